"""Every role's main task in real headless Chromium, in Chinese (the product default), from the login page:

- wealth advisor: works a card of today's list (a contact quick-logged clears it);
- investment advisor: opens a customer of theirs and sees the products that suit them;
- operations: on the worklist (phones shown, logged once), a one-key "no answer" with its confirmation and
  undo, then a survey filed from the worklist with the date already in its field;
- office manager: reassigns a customer of the office to another advisor;
- branch manager: reads the tier report and exports it as a workbook (checked with openpyxl);
- compliance: reveals a customer's phone (audited) and finds the reveal in the audit log.

Key pages are saved at 1440 and 375 px (crm.tests.browser.screenshots: $BROWSER_ARTIFACTS_DIR, kept by CI;
never compared pixel by pixel). Locators go by role, label and the pages' data attributes, so small template
changes do not break them; texts new in this change (not yet translated) are found by their ids."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from alerts.models import Alert
from crm.models import AuditEvent
from customers.models import Customer, Interaction, Role, TieringPolicy, TierSnapshot
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office
from surveys.models import Outcome, PlanItem, Questionnaire, SamplingPlan, SurveyResponse

from .browser import browser, log_in, page, screenshots  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def assert_screenshots(paths):
    assert [p.name.rsplit("-", 1)[1] for p in paths] == ["1440.png", "375.png"]
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 10_000, path


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def assert_chinese(page):
    assert page.locator("html").get_attribute("lang") == "zh-hans"


# --- wealth advisor: a card of today's list ---------------------------------------------------------------------

def test_wealth_advisor_works_a_card_of_todays_list(page, live_server):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True, username="zh_wa")
    customer = CustomerFactory(customer_code="C51000001", name="王芳", advisor=wa, office=wa.office)
    TierFactory(customer=customer, star="4", lifecycle_stage="mature", total_assets=900_000, clv=Decimal(900_000))
    day = timezone.localdate()
    Alert.objects.create(customer=customer, rule="large_outflow", level="yellow", owner=wa, opened_at=timezone.now(),
                         evidence={"date": day.isoformat(), "transfer_out": 300_000.0, "share": 0.33},
                         first_fired_on=day, last_fired_on=day)
    log_in(page, live_server, "zh_wa")
    assert page.url.endswith("/workspace/today/")
    assert_chinese(page)
    card = page.locator("#today-cards > li[data-customer=C51000001]")
    assert card.count() == 1
    assert_screenshots(screenshots(page, "zh-wealth-advisor-today"))

    form = card.locator("[data-role=quick-log]")
    form.locator("select[name=channel]").select_option("phone")
    click_and_wait(page, form.locator("button[type=submit]"))
    call = Interaction.objects.get(customer=customer)
    assert call.channel == "phone" and call.staff_id == wa.pk
    assert page.locator("#today-cards > li[data-customer=C51000001]").count() == 0  # the contact cleared it


# --- investment advisor: a customer's suitable products ---------------------------------------------------------

def test_investment_advisor_opens_a_customer_and_sees_suitable_products(page, live_server):
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, office=office("CS"), with_user=True, username="zh_ia")
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    customer = CustomerFactory(customer_code="C52000001", name="刘洋", advisor=wa, investment_advisor=ia,
                               office=wa.office, risk_level="C3", risk_assessed_on=timezone.localdate())
    TierFactory(customer=customer, star="3", total_assets=Decimal(50_000))
    log_in(page, live_server, "zh_ia")
    assert_chinese(page)
    click_and_wait(page, page.locator("nav").get_by_role("link", name="客户", exact=True))
    click_and_wait(page, page.locator("main").get_by_role("link", name="C52000001"))
    assert page.url.endswith("/customers/C52000001/")
    panel = page.locator("#products-panel")
    # GHDH 股海导航 (R3, free): suits a C3 customer of 3★ with a risk assessment of today
    assert panel.get_by_role("link", name="股海导航").count() == 1
    assert "私募" in panel.locator("details").inner_text() or panel.locator("details tr").count() > 1
    assert_screenshots(screenshots(page, "zh-investment-advisor-customer"))


# --- operations: the worklist -----------------------------------------------------------------------------------

S2020_ANSWERS = {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}


@pytest.fixture
def ops_month():
    ops = StaffFactory(role=Role.OPERATIONS, office=office("CS"), with_user=True, username="zh_ops")
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    plan = SamplingPlan.objects.create(month=timezone.localdate().replace(day=1), office=office("CS"),
                                       status=SamplingPlan.State.RELEASED, released_at=timezone.now())
    s2020 = Questionnaire.objects.get(code="S2020")
    items = [PlanItem.objects.create(
        plan=plan, customer=CustomerFactory(customer_code=f"C5300000{n}", name=name, advisor=wa, office=wa.office,
                                            phone=f"1390000000{n}"),
        questionnaire=s2020, reason="stratified", sampled_for=wa) for n, name in ((1, "赵磊"), (2, "陈静"))]
    return ops, plan, items


def test_operations_record_an_attempt_by_key_undo_it_and_file_a_survey(page, live_server, ops_month):
    ops, plan, (first, second) = ops_month
    log_in(page, live_server, "zh_ops")
    assert page.url.endswith("/surveys/worklist/")
    assert_chinese(page)
    # the phones, in full, to call from; the reveal is logged once for the plan
    assert page.locator(f"#item-{first.pk} a[href='tel:13900000001']").inner_text() == "13900000001"
    page.reload()
    events = AuditEvent.objects.filter(actor=ops.user, action="pii.view", object_type="surveys.samplingplan")
    assert list(events.values_list("object_id", flat=True)) == [str(plan.pk)]
    assert_screenshots(screenshots(page, "zh-operations-worklist"))

    # j selects the first row, n records "no answer": the row stays, updated, and a confirmation offers undo
    page.keyboard.press("j")
    page.keyboard.press("n")
    confirmation = page.locator("#attempt-confirmation.alert-success")
    confirmation.wait_for()
    with translation.override("zh-hans"):
        no_answer = str(Outcome.NO_ANSWER.label)
    assert "C53000001" in confirmation.inner_text() and no_answer in confirmation.inner_text()
    row = page.locator(f"#item-{first.pk}")
    assert row.locator("[data-outcome]").inner_text() == no_answer
    assert row.locator("[data-attempts]").inner_text() == "1"
    assert page.locator("#worklist tbody tr[data-item]").first.get_attribute("id") == f"item-{first.pk}"
    first.refresh_from_db()
    assert (first.outcome, first.attempts) == ("no_answer", 1)
    assert_screenshots(screenshots(page, "zh-operations-attempt-recorded"))

    confirmation.get_by_role("button").click()  # undo
    page.locator("#attempt-confirmation.alert-secondary").wait_for()
    assert row.locator("[data-attempts]").inner_text() == "0"
    first.refresh_from_db()
    assert (first.outcome, first.attempts) == ("", 0) and not SurveyResponse.objects.exists()
    assert AuditEvent.objects.filter(action="survey.attempt.undo", actor=ops.user).count() == 1

    # the second customer answers: the survey filed from the worklist, today's date already in its field
    click_and_wait(page, page.locator(f"#item-{second.pk}").get_by_role("link", name="已完成…"))
    assert page.locator("input[name=date]").input_value() == timezone.localdate().isoformat()
    assert page.locator("input[name=customer_code]").input_value() == "C53000002"
    assert_screenshots(screenshots(page, "zh-operations-file"))
    for question, option in S2020_ANSWERS.items():
        page.locator(f"input[type=radio][name=answer_{question}][value={option}]").check()
    click_and_wait(page, page.get_by_role("button", name="提交调查结果"))
    assert f"/surveys/worklist/?month={plan.month:%Y-%m}" in page.url
    response = SurveyResponse.objects.get()
    assert (response.plan_item_id, response.outcome, response.surveyed_on) == (
        second.pk, "completed", timezone.localdate())
    assert page.locator(f"#item-{second.pk}").get_by_role("link", name="已完成…").count() == 0


# --- office manager: reassigning a customer ---------------------------------------------------------------------

def test_office_manager_reassigns_a_customer(page, live_server):
    om = StaffFactory(role=Role.OFFICE_MANAGER, office=office("CS"), with_user=True, username="zh_om")
    a = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), name="甲顾问")
    b = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), name="乙顾问")
    customer = CustomerFactory(customer_code="C54000001", name="陈静", advisor=a, office=a.office)
    TierFactory(customer=customer, star="3", total_assets=Decimal(300_000))
    log_in(page, live_server, "zh_om")
    assert page.url.endswith("/workspace/manager/")
    assert_chinese(page)
    assert "经理首页" in page.locator("h1").inner_text()
    assert_screenshots(screenshots(page, "zh-office-manager-home"))

    page.goto(f"{live_server.url}/customers/C54000001/")
    reassign = page.locator("form[action$='/assign/']")
    reassign.locator("select[name=advisor]").select_option(str(b.pk))
    click_and_wait(page, reassign.get_by_role("button", name="分配"))
    customer.refresh_from_db()
    assert customer.advisor_id == b.pk
    assert page.locator(".alert-success").count() >= 1
    assert AuditEvent.objects.filter(actor=om.user, object_id=str(customer.pk)).exists()
    assert_screenshots(screenshots(page, "zh-office-manager-customer"))


# --- branch manager: the tier report and its workbook -----------------------------------------------------------

RUN_DAY = date(2026, 11, 26)
BOOK = [("C55000001", "CS", "5", 50_000), ("C55000002", "CS", "4", 20_000), ("C55000003", "CS", "3", 5_000),
        ("C55000004", "HY", "4", 20_000), ("C55000005", "HY", "1", 5_000)]


def test_branch_manager_reads_the_tier_report_and_exports_its_workbook(page, live_server):
    bm = StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="zh_bm")
    policy = TieringPolicy.objects.get(status="active")
    for code, office_code, star, cev in BOOK:
        advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=office(office_code))
        customer = CustomerFactory(customer_code=code, advisor=advisor, office=advisor.office)
        TierFactory(customer=customer, as_of=RUN_DAY, star=star, lifecycle_stage="mature", quadrant="A",
                    total_assets=cev * 10, cev=cev, cpv=cev, clv=cev * 2)
        TierSnapshot.objects.create(customer=customer, date=RUN_DAY, policy=policy, star=star, computed_star=star,
                                    lifecycle_stage="mature", quadrant="A", cev=Decimal(cev), cpv=Decimal(cev),
                                    clv=Decimal(cev * 2), total_assets=Decimal(cev * 10))
    log_in(page, live_server, "zh_bm")
    assert page.url.endswith("/workspace/manager/")
    assert_chinese(page)
    click_and_wait(page, page.locator("main").get_by_role("link", name="分层报表"))
    assert "分层报表" in page.locator("h1").inner_text()
    assert_screenshots(screenshots(page, "zh-branch-manager-tier-report"))

    with page.expect_download() as info:
        page.locator("a[href*='export=by_star'][href*='format=xlsx']").click()
    download = info.value
    assert download.suggested_filename == "tier-report-2026-11-26.xlsx"
    book = load_workbook(io.BytesIO(download.path().read_bytes()))
    assert book.active.title == "按星级" and len(book.sheetnames) >= 6  # a sheet per table of the page
    rows = list(book.active.iter_rows())
    assert rows[0][0].value == "分层报表 · 按星级" and rows[1][0].value == "日期: 2026-11-26"
    start = next(i for i, r in enumerate(rows) if r[0].value == "星级")
    assert [c.value for c in rows[start]][:5] == ["星级", "客户", "CEV", "客户占比", "CEV 占比"]
    four = next(r for r in rows[start + 1:] if r[0].value == "4★")
    assert four[1].value == 2 and four[1].number_format == "#,##0"  # two 4★ customers
    assert four[3].value == pytest.approx(0.4) and four[3].number_format == "0.0%"  # 2 of 5
    assert four[2].value == 40_000 and "万" in four[2].number_format  # 4.0万 of CEV
    event = AuditEvent.objects.get(action="export", object_type="tier_report", actor=bm.user)
    assert event.object_id == "by_star" and event.detail["fmt"] == "xlsx"


# --- compliance: an audited reveal, found in the audit log ------------------------------------------------------

def test_compliance_reveals_a_phone_and_reads_it_in_the_audit_log(page, live_server):
    comp = StaffFactory(role=Role.COMPLIANCE, office=office("CS"), with_user=True, username="zh_comp")
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    customer = CustomerFactory(customer_code="C56000001", name="赵磊", advisor=wa, office=wa.office,
                               phone="13712345678")
    TierFactory(customer=customer, star="2", total_assets=Decimal(80_000))
    log_in(page, live_server, "zh_comp")
    assert_chinese(page)
    page.goto(f"{live_server.url}/customers/C56000001/")
    phone = page.locator("#phone-value")
    assert phone.inner_text() == "137****5678"
    page.locator("button[data-target=phone-value]").click()
    page.wait_for_function("document.getElementById('phone-value').textContent === '13712345678'")
    reveal = AuditEvent.objects.get(action="pii.view", actor=comp.user)
    assert reveal.object_id == str(customer.pk) and reveal.detail == {"field": "phone"}
    assert_screenshots(screenshots(page, "zh-compliance-customer"))

    page.goto(f"{live_server.url}/audit/")
    assert "审计日志" in page.locator("h1").inner_text()
    assert page.locator("table tbody tr", has_text="pii.view").count() >= 1
    assert Customer.objects.get(pk=customer.pk).phone == "13712345678"  # nothing but the log was written
    assert_screenshots(screenshots(page, "zh-compliance-audit-log"))
