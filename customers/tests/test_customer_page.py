"""The 360° customer page (reports.md "Customer page"): asset mix, service focus of the stage (study table 4-1),
tier timeline, two-click contact log, a constant number of queries, the data scope."""
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from crm.tests.browser import browser, page  # noqa: F401  (fixtures for the one browser test)
from customers import selectors_360
from customers.models import Interaction, Role, Snapshot, TierChange, TieringPolicy, TierSnapshot
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory
from customers.tiering.service_focus import TABLE_4_1, focus_for

ZERO = {"securities_value": 0, "equity_fund_value": 0, "fixed_income_value": 0, "reits_trust_value": 0,
        "other_product_value": 0, "cash": 0, "margin_debt": 0}


def snapshot(customer, day, **values):
    fields = {**ZERO, **values}
    total = sum(v for k, v in fields.items() if k != "margin_debt")
    return Snapshot.objects.create(customer=customer, date=day, total_assets=total, **fields)


@pytest.fixture
def advisor(db):
    return StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)


@pytest.fixture
def customer(advisor):
    c = CustomerFactory(advisor=advisor, office=advisor.office)
    snapshot(c, date(2026, 9, 30), securities_value=999_999, cash=1)  # older: must not be the one shown
    # Latest: securities 300,000; products 120,000 + 50,000 + 20,000 + 10,000 = 200,000; cash 100,000;
    # total 600,000 (margin debt 40,000 reported apart). Shares of 600,000: 50 %, 33.3 % (20 %, 8.3 %, 3.3 %,
    # 1.7 %), 16.7 %.
    snapshot(c, date(2026, 10, 31), securities_value=300_000, equity_fund_value=120_000, fixed_income_value=50_000,
             reits_trust_value=20_000, other_product_value=10_000, cash=100_000, margin_debt=40_000)
    return c


def render_page(client, customer, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("customers:detail", args=[customer.customer_code]))
    assert response.status_code == 200
    return response.content.decode()


def mix_rows(html):
    """{data-class: [amount, share]} from the asset-mix table."""
    table = re.search(r'<table[^>]*id="asset-mix-table".*?</table>', html, re.S).group(0)
    rows = {}
    for key, body in re.findall(r'<tr data-class="([a-z_]+)"[^>]*>(.*?)</tr>', table, re.S):
        cells = re.findall(r'<td class="num[^"]*">(.*?)</td>|<td></td>', body, re.S)
        rows[key] = [cell.strip() for cell in cells]
    return rows


def test_asset_mix_of_the_latest_snapshot_worked_by_hand(customer):
    latest = Snapshot.objects.filter(customer=customer).order_by("-date").first()
    mix = selectors_360.asset_mix(latest)
    assert mix["date"] == date(2026, 10, 31)
    assert [(r["key"], r["amount"]) for r in mix["rows"]] == [
        ("securities", 300_000), ("equity_funds", 120_000), ("fixed_income", 50_000), ("reits_trusts", 20_000),
        ("other_products", 10_000), ("cash", 100_000)]
    assert [round(r["share"], 4) for r in mix["rows"]] == [0.5, 0.2, 0.0833, 0.0333, 0.0167, 0.1667]
    assert mix["products"]["amount"] == 200_000 and round(mix["products"]["share"], 4) == 0.3333
    assert mix["total"] == 600_000 and mix["margin_debt"] == 40_000
    assert mix["chart"]["values"] == [300_000.0, 120_000.0, 50_000.0, 20_000.0, 10_000.0, 100_000.0]
    assert mix["chart"]["shares"] == [50.0, 20.0, 8.3, 3.3, 1.7, 16.7]


def test_asset_mix_without_positions_or_with_nothing_in_them(db):
    assert selectors_360.asset_mix(None) is None
    empty = snapshot(CustomerFactory(), date(2026, 10, 31))
    mix = selectors_360.asset_mix(empty)
    assert mix["chart"] is None and all(r["share"] is None for r in mix["rows"]) and mix["products"]["amount"] == 0


def test_page_shows_the_asset_mix_table_and_chart_data(customer, advisor, client_for):
    client = client_for(advisor)
    html = render_page(client, customer, "zh-hans")  # the product's default language: 万 from 10,000
    assert mix_rows(html) == {
        "securities": ["30.00万", "50.0%"], "products": ["20.00万", "33.3%"], "equity_funds": ["12.00万", "20.0%"],
        "fixed_income": ["5.00万", "8.3%"], "reits_trusts": ["2.00万", "3.3%"], "other_products": ["1.00万", "1.7%"],
        "cash": ["10.00万", "16.7%"], "total": ["60.00万", ""], "margin_debt": ["4.00万", ""]}
    script = re.search(r'<script id="asset-mix-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(script.group(1))
    assert data["keys"] == ["securities", "equity_funds", "fixed_income", "reits_trusts", "other_products", "cash"]
    assert data["values"] == [300_000, 120_000, 50_000, 20_000, 10_000, 100_000]
    assert 'id="chart-asset-mix"' in html and "vendor/chart.umd.min.js" in html and "js/customer.js" in html
    assert "cdn" not in html.lower()

    english = render_page(client, customer, "en")
    assert mix_rows(english)["securities"] == ["300,000", "50.0%"]
    assert mix_rows(english)["total"] == ["600,000", ""]


def test_positions_list_each_month_newest_first_in_the_readers_amounts(customer, advisor, client_for):
    client = client_for(advisor)
    rows = re.findall(r'<tr title="(\d{4}-\d{2}-\d{2})">(.*?)</tr>', render_page(client, customer, "zh-hans"))
    assert [day for day, _cells in rows] == ["2026-10-31", "2026-09-30"]
    cells = re.findall(r'<td class="num">([^<]*)', rows[0][1])
    # total 600,000, then securities, equity funds, fixed income, REITs, other, cash, margin debt
    assert [c.strip() for c in cells] == ["60.00万", "30.00万", "12.00万", "5.00万", "2.00万", "1.00万", "10.00万",
                                          "4.00万"]
    rows = re.findall(r'<tr title="(\d{4}-\d{2}-\d{2})">(.*?)</tr>', render_page(client, customer, "en"))
    cells = re.findall(r'<td class="num">([^<]*)', rows[1][1])
    assert [c.strip() for c in cells] == ["1,000,000", "999,999", "0", "0", "0", "0", "1", "0"]


def test_page_without_positions_draws_no_chart(advisor, client_for):
    bare = CustomerFactory(advisor=advisor, office=advisor.office)
    html = render_page(client_for(advisor), bare)
    assert 'id="asset-mix-table"' not in html and "asset-mix-data" not in html and "chart.umd.min.js" not in html


def test_table_4_1_as_data():
    assert [(f.stage, f.stage_zh, f.basic_zh, f.expected_zh) for f in TABLE_4_1] == [
        ("budding", "萌芽期", "公司品牌", "交易成本低廉"),
        ("growth", "成长期", "一对一财富顾问服务", "一对一投资顾问服务"),
        ("mature", "成熟期", "公司提供产品与服务与客户需求匹配", "获得资源、实现共赢"),
        ("decline", "衰退期", "公司提供产品与服务与客户需求不匹配", "获得尊重、超值服务"),
        ("churned", "消亡期", "替代所能提供的产品和服务", "极端让利、价值无法实现"),
    ]
    assert focus_for("potential") is None and focus_for("") is None and focus_for(None) is None
    with translation.override("en"):
        assert focus_for("decline").expected == "Being respected; service beyond expectations"
    with translation.override("zh-hans"):
        assert focus_for("decline").expected == "获得尊重、超值服务"


def service_focus_card(html):
    return re.search(r'<div class="card mb-3" id="service-focus">.*?</div></div>', html, re.S).group(0)


def test_page_shows_the_service_focus_of_the_stage(customer, advisor, client_for):
    TierFactory(customer=customer, lifecycle_stage="growth")
    client = client_for(advisor)
    card = service_focus_card(render_page(client, customer, "zh-hans"))
    assert "一对一财富顾问服务" in card and "一对一投资顾问服务" in card
    assert "公司品牌" not in card  # only the customer's own stage
    card = service_focus_card(render_page(client, customer, "en"))
    assert "One-to-one wealth advisor service" in card and "One-to-one investment advisor service" in card
    assert "一对一财富顾问服务" in card  # the study's wording stays at hand (title)


def test_service_focus_of_a_prospect_and_of_an_unclassified_customer(advisor, client_for):
    prospect = CustomerFactory(advisor=advisor, office=advisor.office)
    TierFactory(customer=prospect, lifecycle_stage="potential")
    client = client_for(advisor)
    card = service_focus_card(render_page(client, prospect, "en"))
    assert "no row for prospects" in card and "<dl" not in card
    unclassified = CustomerFactory(advisor=advisor, office=advisor.office)
    card = service_focus_card(render_page(client, unclassified, "en"))
    assert "No lifecycle stage yet" in card


def tier_run(customer, day, **fields):
    values = {"star": "3", "lifecycle_stage": "growth", "stp_subtype": "I", "quadrant": "A", "cev": 1000,
              "cpv": 2000, "clv": 3000, "stage_reason": "growth_window", "stage_days": 100, "stage_figure": 360,
              "clv_top_share": 0.2, **fields}
    return TierSnapshot.objects.create(customer=customer, date=day, policy=TieringPolicy.objects.first(), **values)


def test_tier_timeline_in_words(customer, advisor, client_for):
    tier_run(customer, date(2026, 9, 30), star="2", lifecycle_stage="budding", stage_reason="not_effective")
    last = tier_run(customer, date(2026, 10, 31), star="3", lifecycle_stage="growth")
    TierChange.objects.create(customer=customer, date=date(2026, 10, 31), field="lifecycle_stage", old="budding",
                              new="growth")
    TierFactory(customer=customer, as_of=last.date, star="3", lifecycle_stage="growth", stp_subtype="I", quadrant="A",
                cev=1000, cpv=2000, clv=3000, snapshot=last)
    html = render_page(client_for(advisor), customer, "en")
    timeline = re.search(r'<table[^>]*id="tier-timeline".*?</table>', html, re.S).group(0)
    assert re.search(r"<th>Stage</th><td>budding</td><td>growth</td>", timeline)
    assert re.search(r"<th>Star</th><td>2★</td><td>3★</td>", timeline)
    assert "Stage: budding → growth" in html
    assert 'id="tier-explanation"' in html and "CLV" in html


def test_pii_masked_and_risk_shown(customer, advisor, client_for):
    customer.risk_assessed_on = date(2026, 3, 1)
    customer.save()
    html = render_page(client_for(advisor), customer)
    assert "138****5678" in html and "13812345678" not in html and "430102199001011234" not in html
    assert re.search(r'id="risk-level">C3<', html) and re.search(r'id="risk-assessed">2026-03-01<', html)


def test_log_a_contact_in_two_clicks(customer, advisor, client_for):
    """Click one opens the menu, click two posts one of its forms: channel and summary are already in it."""
    client = client_for(advisor)
    html = render_page(client, customer, "en")
    menu = re.search(r'<div class="dropdown" id="quick-log">(.*?)</ul>', html, re.S).group(1)
    forms = re.findall(r'<form method="post" action="([^"]+)">.*?name="channel" value="(\w+)">'
                       r'<button class="dropdown-item" name="summary" value="([^"]+)">', menu, re.S)
    assert len(forms) == 4
    action, channel, summary = forms[0]
    response = client.post(action, {"channel": channel, "summary": summary}, follow=True)
    assert response.status_code == 200
    assert Interaction.objects.get(customer=customer).summary == "Phone call"


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_depend_on_what_the_customer_has(customer, advisor, client_for):
    from django.utils import timezone

    bare = CustomerFactory(advisor=advisor, office=advisor.office)
    TierFactory(customer=bare)
    for month in range(1, 10):
        snapshot(customer, date(2026, month, 28), securities_value=1000 * month, cash=500)
        tier_run(customer, date(2026, month, 28))
        TierChange.objects.create(customer=customer, date=date(2026, month, 28), field="star", old="2", new="3")
        Interaction.objects.create(customer=customer, channel="phone", summary=f"call {month}", at=timezone.now())
    last = tier_run(customer, date(2026, 11, 1))
    TierFactory(customer=customer, star="3", lifecycle_stage="growth", snapshot=last)
    client = client_for(advisor)
    bare_count = count_queries(client, reverse("customers:detail", args=[bare.customer_code]))
    assert count_queries(client, reverse("customers:detail", args=[customer.customer_code])) == bare_count
    assert bare_count <= 25


@pytest.mark.parametrize("role", [Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR])
def test_another_advisor_gets_404(customer, client_for, role):
    other = StaffFactory(role=role, office=customer.office, with_user=True)
    client = client_for(other)
    assert client.get(reverse("customers:detail", args=[customer.customer_code])).status_code == 404
    url = reverse("customers:log-interaction", args=[customer.customer_code])
    assert client.post(url, {"channel": "phone", "summary": "x"}).status_code == 404
    assert not Interaction.objects.exists()


def test_amounts_are_decimals_not_floats_in_the_table(customer):
    mix = selectors_360.asset_mix(Snapshot.objects.filter(customer=customer).latest("date"))
    assert all(isinstance(r["amount"], Decimal) for r in mix["rows"])


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_in_a_browser_the_chart_draws_and_a_contact_takes_two_clicks(page, live_server, settings):  # noqa: F811
    """Headless Chromium: Chart.js (served locally) draws the six slices; Quick log → an entry logs the contact."""
    from crm.tests.browser import log_in

    settings.LANGUAGE_CODE = "zh-hans"
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True, username="wa360")
    c = CustomerFactory(customer_code="C00000360", advisor=wa, office=wa.office)
    snapshot(c, date(2026, 10, 31), securities_value=300_000, equity_fund_value=120_000, cash=100_000)
    TierFactory(customer=c, lifecycle_stage="mature")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    log_in(page, live_server, "wa360")
    page.goto(f"{live_server.url}/customers/C00000360/")
    slices = page.evaluate("() => Chart.getChart(document.getElementById('chart-asset-mix')).data.datasets[0].data")
    assert slices == [300_000, 120_000, 0, 0, 0, 100_000]
    assert "公司提供产品与服务与客户需求匹配" in page.locator("#service-focus").inner_text()
    page.locator("#quick-log > button").click()  # click 1
    with page.expect_navigation():
        page.locator("#quick-log .dropdown-item[name=summary]").first.click()  # click 2
    assert Interaction.objects.get(customer=c).channel == "phone"
    assert page.locator("table#contacts tr").count() == 1
    assert not errors
    assert all(url.startswith(live_server.url) for url in requests)  # nothing from a CDN


@pytest.mark.parametrize("subtype, overridden", [("II", False), ("IV", False), ("II", True)])
def test_the_explanation_reads_every_figure_of_the_run(customer, advisor, client_for, subtype, overridden):
    """The page reads only EXPLAINED_FIELDS of the run: every figure explain() uses must be among them. Each
    figure here differs from its field's default in one case or another, so one left out would change the
    sentence."""
    from customers.tiering.explain import explain

    run = tier_run(customer, date(2026, 10, 31), star="4", computed_star="3", below_runs=2, clv_top_share=0.08,
                   overridden=overridden,
                   stp_subtype=subtype, stp_weak=True, holding_days=41.6, securities_share=0.72, products_share=0.61,
                   main_product_share=0.55, lifecycle_stage="decline", stage_reason="outflow", stage_days=90,
                   stage_figure=0.35, cev=1234, cpv=5678, growth=0.12, retention=0.87, neutral_inputs="loyalty")
    TierFactory(customer=customer, as_of=run.date, star="4", lifecycle_stage="decline", snapshot=run)
    with translation.override("en"):
        expected = explain(TierSnapshot.objects.get(pk=run.pk))
    assert ("ranked 3 for 2 run(s)" in expected) != overridden and ("set by a manager" in expected) == overridden
    assert "1,234" in expected and "loyalty" in expected
    assert ("holding period 42 days" in expected) == (subtype == "II")
    assert ("largest class 55%" in expected) == (subtype == "IV")
    html = render_page(client_for(advisor), customer, "en")
    shown = re.search(r'<p class="small mb-2" id="tier-explanation">(.*?)</p>', html, re.S).group(1)
    assert shown == expected.replace("'", "&#x27;")


def test_profile_names_the_office_and_both_advisors(customer, advisor, client_for):
    """Read apart from the customer (selectors_360.people), printed as the models print them; none is a dash."""
    html = render_page(client_for(advisor), customer, "en")
    office = customer.office
    assert f"<th>Office</th><td>{office.code} {office.name_zh}</td>" in html
    assert f"<th>Advisor</th><td>{advisor.staff_code} {advisor.name}</td>" in html
    assert "<th>Investment advisor</th><td>—</td>" in html
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, office=customer.office, name="李强")
    customer.investment_advisor = ia
    customer.save(update_fields=["investment_advisor"])
    html = render_page(client_for(advisor), customer, "en")
    assert f"<th>Investment advisor</th><td>{ia.staff_code} 李强</td>" in html
