"""Real headless Chromium walks each role's day: the advisor works a red alert from the dashboard, operations
file a callback survey from the worklist, the branch manager exports the tier report; the language switch
sticks; each landing page is saved as a screenshot (Chinese, the product default).

Screenshots go to $SCREENSHOT_DIR, else artifacts/screenshots/ under the repository root (gitignored).
"""
import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from alerts.models import Alert, AlertTransition
from crm.models import AuditEvent
from customers.models import Interaction, Role, TieringPolicy, TierSnapshot
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office
from surveys.models import PlanItem, Questionnaire, SamplingPlan, SurveyResponse

from .browser import browser, log_in, page, screenshot  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_SCREENSHOT_BYTES = 20_000  # a rendered page with text and tables; a blank 1366×900 PNG is a few KB


@pytest.fixture(autouse=True)
def chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default; the suite otherwise runs in English


def assert_screenshot(path):
    assert path.exists(), path
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > MIN_SCREENSHOT_BYTES, f"{path} is only {len(data)} bytes"


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def money(value):
    return Decimal(str(value))


# --- advisor: the dashboard, a red alert worked through to resolved -------------------------------------

@pytest.fixture
def advisor_book():
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True, username="wa_roles")
    other = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    mine = [CustomerFactory(customer_code=f"C1000000{i}", name=name, advisor=wa, office=wa.office)
            for i, name in enumerate(["王芳", "刘洋", "陈静"], start=1)]
    for customer, star, assets in zip(mine, ["5", "4", "4"], [1_000_000, 500_000, 250_000]):
        TierFactory(customer=customer, star=star, lifecycle_stage="mature", total_assets=assets, cev=10_000)
    theirs = CustomerFactory(customer_code="C20000001", advisor=other, office=other.office)
    TierFactory(customer=theirs, star="5", total_assets=9_000_000, cev=90_000)  # another book: never counted
    now = timezone.now()
    red = Alert.objects.create(
        customer=mine[0], rule="closing_application", level="red", owner=wa, opened_at=now,
        due_at=now + timedelta(hours=4), evidence={"filed_on": timezone.localdate().isoformat(), "kind": "close"},
        first_fired_on=timezone.localdate(), last_fired_on=timezone.localdate())
    Alert.objects.create(
        customer=theirs, rule="closing_application", level="red", owner=other, opened_at=now,
        due_at=now + timedelta(hours=4), evidence={"filed_on": timezone.localdate().isoformat(), "kind": "close"},
        first_fired_on=timezone.localdate(), last_fired_on=timezone.localdate())
    return {"advisor": wa, "customers": mine, "red": red}


def test_advisor_works_a_red_alert_from_the_dashboard(page, live_server, advisor_book):
    wa, red = advisor_book["advisor"], advisor_book["red"]
    log_in(page, live_server, "wa_roles")
    assert page.url.endswith("/workspace/today/")  # advisors land on today's list
    page.goto(f"{live_server.url}/workspace/advisor/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text().strip() == "顾问工作台"
    # the book summary: 3 customers, 175万 of assets (1,000,000 + 500,000 + 250,000), 5★ 1 and 4★ 2
    totals = page.locator("#book-totals")
    assert totals.locator("[data-figure=customers]").inner_text().strip() == "3"
    assert totals.locator("[data-figure=assets]").inner_text().strip() == "175.00万"
    assert page.locator("#by-star [data-star='5']").inner_text().strip() == "1"
    assert page.locator("#by-star [data-star='4']").inner_text().strip() == "2"
    # today's work: one red alert, this advisor's only
    today = page.locator("#today-alerts")
    assert today.locator("[data-figure=red]").inner_text().strip() == "1"
    rows = today.locator("tbody tr[data-alert]")
    assert rows.count() == 1
    row = today.locator(f"tr[data-alert='{red.pk}']")
    assert row.locator(".badge.text-bg-danger").inner_text().strip() == "红色"
    assert "C10000001" in row.inner_text() and "转销户申请" in row.inner_text()
    assert_screenshot(screenshot(page, "advisor-dashboard"))

    click_and_wait(page, row.get_by_role("link", name="转销户申请"))
    assert page.url.endswith(f"/alerts/{red.pk}/")
    assert f"预警 #{red.pk}" in page.locator("h1").inner_text()
    form = page.locator(f"form[action='/alerts/{red.pk}/transition/']")

    # 1. acknowledge
    form.locator("#t-to").select_option("acknowledged")
    click_and_wait(page, form.get_by_role("button", name="保存"))
    assert "已确认" in page.locator(".alert-success").inner_text()
    red.refresh_from_db()
    assert red.status == "acknowledged" and red.acknowledged_at is not None

    # 2. contacted: the call is logged on the customer as well
    form.locator("#t-to").select_option("contacted")
    form.locator("#t-channel").select_option("phone")
    form.locator("#t-summary").fill("电话挽留，客户暂缓销户")
    click_and_wait(page, form.get_by_role("button", name="保存"))
    assert "已联系" in page.locator(".alert-success").inner_text()
    red.refresh_from_db()
    assert red.status == "contacted" and red.contacted_at is not None
    call = Interaction.objects.get(customer=red.customer)
    assert call.summary == "电话挽留，客户暂缓销户" and call.channel == "phone"

    # 3. resolving needs an outcome: refused with the reason, nothing written
    form.locator("#t-to").select_option("resolved")
    click_and_wait(page, form.get_by_role("button", name="保存"))
    assert page.locator(".alert-danger").count() >= 1
    red.refresh_from_db()
    assert red.status == "contacted" and AlertTransition.objects.filter(alert=red).count() == 2

    # 4. resolved, retained, with a note
    form.locator("#t-to").select_option("resolved")
    form.locator("#t-outcome").select_option("retained")
    form.locator("#t-note").fill("客户同意继续持有")
    click_and_wait(page, form.get_by_role("button", name="保存"))
    assert "已解决" in page.locator(".alert-success").inner_text()
    red.refresh_from_db()
    assert red.status == "resolved" and red.outcome == "retained" and red.closed_at is not None
    steps = list(AlertTransition.objects.filter(alert=red).order_by("at", "id")
                 .values_list("from_status", "to_status", "actor_id"))
    assert steps == [("open", "acknowledged", wa.user_id), ("acknowledged", "contacted", wa.user_id),
                     ("contacted", "resolved", wa.user_id)]
    last = AlertTransition.objects.filter(alert=red).latest("id")
    assert last.note == "客户同意继续持有" and last.outcome == "retained"
    history = page.locator("tbody", has_text="客户同意继续持有").locator("tr")  # the history: one row a step
    assert history.count() == 3 and "客户同意继续持有" in history.last.inner_text()
    assert "wa_roles" in history.first.inner_text()  # who
    assert page.locator("#t-to").count() == 0  # closed: no next step offered
    # back on the dashboard the alert has left today's work
    click_and_wait(page, page.get_by_role("link", name="工作台"))
    assert page.locator("#today-alerts [data-figure=red]").inner_text().strip() == "0"
    assert page.locator("#today-alerts tr[data-alert]").count() == 0


# --- operations: the worklist, a survey filed with the keyboard and the mouse ---------------------------

S2020_ANSWERS = {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "B", "Q7": "F"}


@pytest.fixture
def worklist():
    ops = StaffFactory(role=Role.OPERATIONS, office=office("CS"), with_user=True, username="ops_roles")
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    customer = CustomerFactory(customer_code="C30000001", name="赵磊", advisor=wa, office=wa.office)
    far = CustomerFactory(customer_code="C30000002", office=office("HY"))  # another office's plan: not listed
    month = timezone.localdate().replace(day=1)
    s2020 = Questionnaire.objects.get(code="S2020")
    plan = SamplingPlan.objects.create(month=month, office=office("CS"), status=SamplingPlan.State.RELEASED)
    item = PlanItem.objects.create(plan=plan, customer=customer, questionnaire=s2020, reason="stratified",
                                   sampled_for=wa, star="4")
    far_plan = SamplingPlan.objects.create(month=month, office=office("HY"), status=SamplingPlan.State.RELEASED)
    PlanItem.objects.create(plan=far_plan, customer=far, questionnaire=s2020, reason="stratified")
    return {"ops": ops, "customer": customer, "item": item}


def radio(page, question, option):
    return page.locator(f"input[type=radio][name=answer_{question}][value={option}]")


def test_operations_file_a_survey_from_the_worklist(page, live_server, worklist):
    ops, customer, item = worklist["ops"], worklist["customer"], worklist["item"]
    log_in(page, live_server, "ops_roles")
    assert page.url.endswith("/surveys/worklist/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "回访工作清单" in page.locator("h1").inner_text()
    rows = page.locator("table tbody tr", has_text="C3000000")
    assert rows.count() == 1 and "C30000001" in rows.first.inner_text()  # the HY item is another office's
    assert_screenshot(screenshot(page, "operations-worklist"))

    click_and_wait(page, rows.first.get_by_role("link", name="已完成…"))
    assert "/surveys/file/S2020/" in page.url and f"item={item.pk}" in page.url
    assert "录入调查" in page.locator("h1").inner_text()
    assert page.locator("input[name=customer_code]").input_value() == "C30000001"

    # keyboard: focus a radio group and choose with Space and the arrow keys
    radio(page, "Q1", "A").focus()
    page.keyboard.press("Space")
    radio(page, "Q2", "A").focus()
    page.keyboard.press("Space")
    radio(page, "Q3", "A").focus()
    page.keyboard.press("ArrowDown")  # A -> B
    radio(page, "Q4", "A").focus()
    page.keyboard.press("ArrowDown")  # A -> B
    for question in ("Q1", "Q2", "Q3", "Q4"):
        assert radio(page, question, S2020_ANSWERS[question]).is_checked(), question
    # mouse: click the option labels
    for question in ("Q5", "Q6"):
        page.locator(f"label[for='{radio(page, question, S2020_ANSWERS[question]).get_attribute('id')}']").click()
        assert radio(page, question, S2020_ANSWERS[question]).is_checked(), question

    # Q7 left unanswered: the error shows on Q7 and nothing is written
    click_and_wait(page, page.get_by_role("button", name="提交调查结果"))
    q7 = page.get_by_role("group", name=re.compile(r"^Q7\. "))  # the question's radio group, by its legend
    assert "此题必答。" in q7.inner_text()
    assert page.get_by_text("此题必答。").count() == 1  # only Q7
    assert SurveyResponse.objects.count() == 0
    item.refresh_from_db()
    assert item.attempts == 0 and item.outcome == ""
    for question in ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6"):  # the answers survive the round trip
        assert radio(page, question, S2020_ANSWERS[question]).is_checked(), question

    radio(page, "Q7", "F").check()
    click_and_wait(page, page.get_by_role("button", name="提交调查结果"))
    # back to the worklist, at the month of the item, after a worklist item
    assert page.url.endswith(f"/surveys/worklist/?month={item.plan.month:%Y-%m}")
    response = SurveyResponse.objects.get()
    assert f"调查结果 #{response.pk} 已录入。" in page.locator(".alert-success").inner_text()
    assert response.customer == customer and response.version.questionnaire.code == "S2020"
    assert response.outcome == "completed" and response.channel == "phone" and response.source == "form"
    assert response.plan_item_id == item.pk and response.filed_by_id == ops.user_id
    assert response.interviewer_id == ops.pk and response.surveyed_on == timezone.localdate()
    answers = dict(response.answers.values_list("question__code", "option__code"))
    assert answers == S2020_ANSWERS
    item.refresh_from_db()
    assert item.outcome == "completed" and item.attempts == 1
    row = page.locator("table tbody tr", has_text="C30000001")
    assert row.get_by_role("link", name="已完成…").count() == 0  # completed items offer no more attempts


# --- branch manager: manager home, the tier report and its exports ---------------------------------------

RUN_DAY = date(2026, 11, 26)
# (code, office, star, cev): CS has 5★ 4★ 3★, HY has 4★ 1★
MANAGER_BOOK = [("C40000001", "CS", "5", 50_000), ("C40000002", "CS", "4", 20_000), ("C40000003", "CS", "3", 5_000),
                ("C40000004", "HY", "4", 20_000), ("C40000005", "HY", "1", 5_000)]


@pytest.fixture
def branch_book():
    bm = StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="bm_roles")
    policy = TieringPolicy.objects.get(status="active")
    for code, office_code, star, cev in MANAGER_BOOK:
        advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=office(office_code))
        customer = CustomerFactory(customer_code=code, advisor=advisor, office=advisor.office)
        TierFactory(customer=customer, as_of=RUN_DAY, star=star, lifecycle_stage="mature", quadrant="A",
                    total_assets=cev * 10, cev=cev, cpv=cev, clv=cev * 2)
        TierSnapshot.objects.create(customer=customer, date=RUN_DAY, policy=policy, star=star, computed_star=star,
                                    lifecycle_stage="mature", quadrant="A", cev=money(cev), cpv=money(cev),
                                    clv=money(cev * 2), total_assets=money(cev * 10))
    return bm


def test_branch_manager_exports_the_tier_report(page, live_server, branch_book):
    log_in(page, live_server, "bm_roles")
    assert page.url.endswith("/workspace/manager/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "经理首页" in page.locator("h1").inner_text()
    assert page.locator("[data-figure=customers]").first.inner_text().strip() == "5"  # both offices
    assert_screenshot(screenshot(page, "manager-home"))

    click_and_wait(page, page.locator("main").get_by_role("link", name="分层报表"))
    assert "/customers/tiering/report/" in page.url
    assert "分层报表" in page.locator("h1").inner_text() and "2026-11-26" in page.locator("h1").inner_text()

    # CSV of the "by star" table: header row and the counts set up above
    with page.expect_download() as info:
        page.locator("a[href*='export=by_star'][href*='format=csv']").click()
    download = info.value
    assert download.suggested_filename == "by_star-2026-11-26.csv"
    text = download.path().read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["星级", "客户", "CEV", "客户占比", "CEV 占比"]  # headers in the reader's language
    by_star = {row[0]: row for row in table[1:]}
    assert list(by_star) == ["1★", "3★", "4★", "5★"]  # retail stars in order, only those present
    assert {s: int(r[1]) for s, r in by_star.items()} == {"1★": 1, "3★": 1, "4★": 2, "5★": 1}
    assert float(by_star["4★"][2]) == 40_000  # two 4★ customers with a CEV of 20,000 each
    assert by_star["4★"][3] == "40.0%"  # 2 of 5 customers
    assert by_star["5★"][4] == "50.0%"  # 50,000 of 100,000 CEV

    # XLSX: the report's workbook, a sheet per table, opening on the office × star table
    with page.expect_download() as info:
        page.locator("a[href*='export=by_office'][href*='format=xlsx']").click()
    download = info.value
    assert download.suggested_filename == "tier-report-2026-11-26.xlsx"
    book = load_workbook(io.BytesIO(download.path().read_bytes()))  # path has no suffix
    assert book.active.title == "按营业部" and book.sheetnames[0] == "按星级"
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "分层报表 · 按营业部" and rows[1][0] == "日期: 2026-11-26"
    start = next(i for i, r in enumerate(rows) if r[0] == "营业部")
    assert rows[start][:5] == ["营业部", "1★", "3★", "4★", "5★"]
    assert {r[0]: r[1:5] for r in rows[start + 1:]} == {"CS": [0, 1, 1, 1], "HY": [1, 0, 1, 0]}

    exports = AuditEvent.objects.filter(action="export", object_type="tier_report", actor=branch_book.user)
    assert sorted(exports.values_list("object_id", flat=True)) == ["by_office", "by_star"]


# --- the language switch ---------------------------------------------------------------------------------

def test_language_switch_to_english_sticks_on_the_next_page(page, live_server, advisor_book):
    log_in(page, live_server, "wa_roles")
    page.goto(f"{live_server.url}/workspace/advisor/")  # advisors land on today's list; the dashboard is here
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text().strip() == "顾问工作台"
    nav = page.locator("nav")
    assert nav.get_by_role("link", name="客户", exact=True).is_visible()

    click_and_wait(page, nav.get_by_role("button", name="English"))
    assert page.url.endswith("/workspace/advisor/")  # the switch comes back to the same page
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().strip() == "Advisor dashboard"
    assert page.locator("#h-book").inner_text().strip() == "My book"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "en"

    click_and_wait(page, nav.get_by_role("link", name="Customers", exact=True))  # the next page: still English
    assert page.url.endswith("/customers/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Customers" in page.locator("h1").inner_text()
    assert nav.get_by_role("button", name="中文").is_visible()  # and the switch offers Chinese back

    click_and_wait(page, nav.get_by_role("button", name="中文"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "客户" in page.locator("h1").inner_text()


# --- the Content-Security-Policy in a real browser (the `page` fixture fails on any violation) --------------

def test_api_docs_render_under_their_policy_and_a_violation_is_caught(page, live_server):
    StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="bm_csp")
    log_in(page, live_server, "bm_csp")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)  # Swagger UI built the operations from the schema
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("[data-section-id]", timeout=15_000)  # Redoc rendered the schema
    # Redoc's web fonts and "powered by" logo come from other hosts: refused on purpose (no third-party
    # requests from the branch's PCs); the text falls back to local fonts
    outside = ("fonts.googleapis.com", "cdn.redoc.ly")
    page.csp_violations[:] = [v for v in page.csp_violations if not any(host in v for host in outside)]
    assert page.csp_violations == []
    page.goto(f"{live_server.url}/workspace/manager/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"https://example.invalid/x.png\">')")
    page.wait_for_timeout(300)
    assert any("img-src" in v for v in page.csp_violations), page.csp_violations  # the listener works
    page.csp_violations.clear()
