"""The advisor's today list (issue 18, crm.workspaces.today): one card per customer, ranked by value at risk,
then deadlines, then time since the last contact, cut to the daily capacity, within the viewer's scope.

Priorities are worked out by hand from the formula of crm.workspaces.today:
    priority = floor(4 × log10(1 + value_at_risk)) × 100_000 + deadline_points × 1_000 + min(days, 999)
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from alerts.models import Alert
from crm.models import TodayPolicy
from crm.tests.policy_forms import posted
from crm.workspaces import services, today
from customers.models import CurrentTier, Interaction, Role

DAY = date(2026, 12, 4)


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def tier(customer, clv=None, assets=0, star="4"):
    return CurrentTier.objects.create(customer=customer, star=star, lifecycle_stage="mature", quadrant="A",
                                      total_assets=Decimal(assets), clv=None if clv is None else Decimal(clv))


def alert(customer, rule, level="yellow", evidence=None, due=None, status="open"):
    return Alert.objects.create(customer=customer, rule=rule, level=level, status=status, owner=customer.advisor,
                                evidence=evidence or {}, opened_at=at(DAY, 8), due_at=due,
                                first_fired_on=DAY, last_fired_on=DAY)


def contact(customer, day, channel="phone"):
    return Interaction.objects.create(customer=customer, staff=customer.advisor, at=at(day), channel=channel,
                                      summary="call")


@pytest.fixture
def advisor(make_staff):
    return make_staff(Role.WEALTH_ADVISOR, "CS")


@pytest.fixture
def book(advisor, customer_of):
    """Four customers of one advisor, each with open work (the module docstring's example is A)."""
    c = {k: customer_of(advisor, customer_code=f"C9000000{i}", name=k) for i, k in enumerate("ABCD", start=1)}
    # A: CLV 200,000, a closing application (0.9) → 180,000 at risk → band floor(4 × 5.2553) = 21;
    #    red, due this morning → 4 points; contacted 10 days ago → 2_104_010
    tier(c["A"], clv=200_000, assets=300_000)
    alert(c["A"], "closing_application", "red", {"filed_on": "2026-12-04", "kind": "close"}, due=at(DAY, 9))
    contact(c["A"], DAY - timedelta(days=10))
    # B: no CLV, assets 1,000,000; falling trading (0.2) and contact due (0.05): 1 − 0.8 × 0.95 = 0.24 →
    #    240,000 → band floor(4 × 5.3802) = 21; no deadline; never contacted → 999 → 2_100_999
    tier(c["B"], clv=None, assets=1_000_000)
    alert(c["B"], "falling_trading", evidence={"recent_trades": 2, "baseline_trades": 15, "monthly_average": 5.0,
                                               "ratio": 0.4})
    alert(c["B"], "contact_due", "reminder", {"star": "4", "every_months": 1, "last_contact": None,
                                              "due_on": "2026-11-03"})
    # C: CLV 50,000, a large outflow (0.35) → 17,500 → band floor(4 × 4.2431) = 16; never contacted → 1_600_999
    tier(c["C"], clv=50_000, assets=400_000)
    alert(c["C"], "large_outflow", evidence={"date": "2026-12-03", "transfer_out": 140_000.0,
                                             "previous_assets": 400_000.0, "share": 0.35})
    # D: CLV 5,000,000, only a contact due (0.05) → 250,000 → band floor(4 × 5.3979) = 21; contacted 40 days
    #    ago → 2_100_040: the same band as A and B, no deadline (below A), contacted more lately than B
    tier(c["D"], clv=5_000_000, assets=9_000_000, star="5")
    alert(c["D"], "contact_due", "reminder", {"star": "5", "every_months": 1, "due_on": "2026-11-24"})
    contact(c["D"], DAY - timedelta(days=40), channel="wechat")
    return c


def items(advisor, day=DAY):
    with translation.override("en"):
        return today.as_api(today.today_list(advisor.user, advisor, day=day))


def test_hand_worked_ranking(advisor, book):
    result = items(advisor)
    assert [(i["customer_code"], i["priority"], i["value_at_risk"]) for i in result["items"]] == [
        ("C90000001", 2_104_010, 180_000.0),  # A: same band as B and D, a red alert due today
        ("C90000002", 2_100_999, 240_000.0),  # B: never contacted
        ("C90000004", 2_100_040, 250_000.0),  # D: contacted 40 days ago
        ("C90000003", 1_600_999, 17_500.0),   # C: a band lower
    ]
    assert result["date"] == "2026-12-04" and result["capacity"] == 20 and result["later_count"] == 0


def test_a_payment_due_tomorrow_and_an_id_expiring_this_week_are_deadlines(advisor, customer_of):
    c = customer_of(advisor)
    tier(c, clv=10_000)
    alert(c, "rights_payment", "reminder", {"due_on": "2026-12-05", "amount": 5_000.0})
    alert(c, "id_expiry", "reminder", {"expires_on": "2026-12-10", "days_left": 6})
    # 10,000 × (1 − 0.97 × 0.95) = 785.0 → band floor(4 × 2.8954) = 11; 2 + 1 points; never contacted
    [item] = items(advisor)["items"]
    assert (item["value_at_risk"], item["priority"]) == (785.0, 1_103_999)


def test_several_alerts_of_one_customer_make_one_card_with_every_reason(advisor, book):
    result = items(advisor)
    assert len(result["items"]) == 4  # five alerts, four customers
    b = result["items"][1]
    assert [r["rule"] for r in b["reasons"]] == ["falling_trading", "contact_due"]  # yellow before reminder
    assert [r["text"] for r in b["reasons"]] == ["trading down 60 %", "contact due since 3 Nov"]
    c = result["items"][3]
    assert c["reasons"][0]["text"] == "assets out 35 % (CNY 140,000) on 3 Dec"


def test_chinese_card_texts_format_numbers_and_dates(advisor, book):
    with translation.override("zh-hans"):
        result = today.as_api(today.today_list(advisor.user, advisor, day=DAY))
    texts = {i["customer_code"]: " · ".join(r["text"] for r in i["reasons"]) for i in result["items"]}
    assert "60 %" in texts["C90000002"] and "11月3日" in texts["C90000002"]
    assert "14.00万" in texts["C90000003"] and "12月3日" in texts["C90000003"]


def test_suggested_action_follows_star_and_channel_history(advisor, book):
    result = {i["customer_code"]: i["suggested_action"] for i in items(advisor)["items"]}
    assert result["C90000001"].startswith("Call")  # 4★ with a red alert, called before: the phone
    assert result["C90000004"].startswith("Message on WeChat")  # answers on WeChat


def test_contacted_alerts_are_no_longer_work(advisor, customer_of):
    c = customer_of(advisor)
    tier(c, clv=10_000)
    alert(c, "large_outflow", status="contacted")
    assert items(advisor)["items"] == []


def test_capacity_is_a_versioned_policy_per_role(advisor, book, make_staff):
    manager = make_staff(Role.BRANCH_MANAGER, "CS")
    services.save_today_policy(user=manager.user, params={"capacity": {"wealth_advisor": 2}}, note="test")
    result = items(advisor)
    assert result["capacity"] == 2 and result["later_count"] == 2
    assert [i["customer_code"] for i in result["items"]] == ["C90000001", "C90000002"]
    services.save_today_policy(user=manager.user, params={"capacity": {"wealth_advisor": 3}})
    assert items(advisor)["later_count"] == 1
    assert list(TodayPolicy.objects.values_list("version", "status")) == [(2, "active"), (1, "retired")]


def test_default_capacity_per_role():
    params = today.TodayParams()
    assert [params.capacity_of(r) for r in (Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR,
                                            Role.INSTITUTIONAL_ADVISOR)] == [20, 10, 8]


def test_only_branch_managers_change_the_policy(advisor):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.save_today_policy(user=advisor.user, params={})


# --- scope: API and page ------------------------------------------------------------------------------------

@pytest.fixture
def two_books(advisor, make_staff, customer_of):
    other = make_staff(Role.WEALTH_ADVISOR, "XT")
    mine = customer_of(advisor, customer_code="C91000001")
    theirs = customer_of(other, customer_code="C92000001")
    for c in (mine, theirs):
        tier(c, clv=100_000)
        alert(c, "closing_application", "red", {"filed_on": "2026-12-04", "kind": "close"},
              due=timezone.now() + timedelta(hours=4))
    return other


def test_an_advisor_sees_only_their_own_book(advisor, two_books, client_for):
    client = client_for(advisor)
    data = client.get("/api/workspace/today/").json()
    assert [i["customer_code"] for i in data["items"]] == ["C91000001"]
    # naming another advisor changes nothing for an advisor
    data = client.get(f"/api/workspace/today/?advisor={two_books.staff_code}").json()
    assert [i["customer_code"] for i in data["items"]] == ["C91000001"]
    page = client.get("/workspace/today/").content.decode()
    assert "C91000001" in page and "C92000001" not in page


def test_managers_name_an_advisor_within_their_scope(advisor, two_books, make_staff, client_for):
    office_manager = client_for(make_staff(Role.OFFICE_MANAGER, "CS"))
    assert office_manager.get("/api/workspace/today/").status_code == 400
    assert office_manager.get("/workspace/today/").status_code == 200  # the advisor chooser
    data = office_manager.get(f"/api/workspace/today/?advisor={advisor.staff_code}").json()
    assert [i["customer_code"] for i in data["items"]] == ["C91000001"]
    assert office_manager.get(f"/api/workspace/today/?advisor={two_books.staff_code}").status_code == 404
    assert office_manager.get(f"/workspace/today/?advisor={two_books.staff_code}").status_code == 404
    branch = client_for(make_staff(Role.BRANCH_MANAGER, "CS"))
    data = branch.get(f"/api/workspace/today/?advisor={two_books.staff_code}").json()
    assert [i["customer_code"] for i in data["items"]] == ["C92000001"]


def test_operations_get_no_today_list(advisor, two_books, make_staff, client_for):
    client = client_for(make_staff(Role.OPERATIONS, "CS"))
    assert client.get(f"/api/workspace/today/?advisor={advisor.staff_code}").status_code == 403
    assert client.get("/workspace/today/").status_code == 403


def test_advisors_land_on_todays_list(advisor, client_for):
    assert client_for(advisor).get("/")["Location"] == "/workspace/today/"


def test_the_page_shows_cards_actions_and_the_later_list(advisor, book, make_staff, client_for):
    manager = make_staff(Role.BRANCH_MANAGER, "CS")
    services.save_today_policy(user=manager.user, params={"capacity": {"wealth_advisor": 3}})
    page = client_for(advisor).get("/workspace/today/").content.decode()
    cards = page.split('id="today-later"')[0]
    assert cards.count('data-role="quick-log"') == 3
    assert 'action="/customers/C90000002/interactions/"' in cards
    assert "trading down 60 % · contact due since" in cards
    later = page.split('id="today-later"')[1]
    assert "C90000003" in later and "C90000003" not in cards


# --- a constant number of queries --------------------------------------------------------------------------

def _book_of(advisor, customer_of, n):
    for i in range(n):
        c = customer_of(advisor)
        tier(c, clv=10_000 * (i + 1))
        alert(c, "falling_trading", evidence={"ratio": 0.3})
        alert(c, "contact_due", "reminder", {"due_on": "2026-11-01"})
        if i % 2:
            contact(c, DAY - timedelta(days=i))


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_list_reads_a_constant_number_of_queries(make_staff, customer_of, client_for):
    small, large = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR)
    _book_of(small, customer_of, 1)
    _book_of(large, customer_of, 30)
    today.today_list(large.user, large)  # warms the product catalogue of this process
    users = {s.pk: get_user_model().objects.get(pk=s.user_id) for s in (small, large)}  # no cached scope
    counts = [_count(lambda s=s: today.today_list(users[s.pk], s)) for s in (small, large)]
    # the scope, the policy, the alerts with their tiers, the contact history, the catalogue mark, the facts
    # and the customers worth a call with no card (room on the list)
    assert counts[0] == counts[1] <= 7
    pages = [_count(lambda s=s: client_for(s).get("/workspace/today/")) for s in (small, large)]
    assert pages[0] == pages[1]
    apis = [_count(lambda s=s: client_for(s).get("/api/workspace/today/")) for s in (small, large)]
    assert apis[0] == apis[1]


def test_a_retention_reason_suggests_the_first_suitable_product(advisor, book):
    from products.selectors import current_match_context, recommendations_for

    b = book["B"]
    b.risk_assessed_on = DAY - timedelta(days=100)  # a valid assessment: more products pass rule 2
    b.save()
    matched = recommendations_for(b)["matched"]  # the customer page's matches, catalogue order
    assert matched, "the shipped catalogue matches a C3 customer with 1,000,000 of assets"
    name = current_match_context().versions[matched[0].product].display_name
    with translation.override("en"):
        result = today.as_api(today.today_list(advisor.user, advisor, day=DAY))
    actions = {i["customer_code"]: i["suggested_action"] for i in result["items"]}
    assert actions["C90000002"] == f"Call · suggest {name}"
    assert "suggest" not in actions["C90000001"]  # a filed closing: no product pitch
    assert "suggest" not in actions["C90000004"]  # a contact due alone: no product pitch


def test_closing_and_transfer_texts(advisor, customer_of):
    c = customer_of(advisor)
    tier(c, clv=1_000)
    alert(c, "closing_application", "red", {"filed_on": "2026-12-02", "kind": "transfer_out"}, due=at(DAY, 9))
    [item] = items(advisor)["items"]
    assert item["reasons"][0]["text"] == "transfer-out application filed 2 Dec"


def test_expired_and_coming_expiries_read_differently(advisor, customer_of):
    c = customer_of(advisor)
    tier(c, clv=1_000)
    alert(c, "assessment_expiry", "reminder", {"assessed_on": "2024-09-03", "expires_on": "2026-09-03"})
    alert(c, "id_expiry", "reminder", {"expires_on": "2026-12-20", "days_left": 16})
    [item] = items(advisor)["items"]
    assert {r["text"] for r in item["reasons"]} == {"risk assessment expired 3 Sep", "ID card expires 20 Dec"}


# --- the policy page (branch managers edit; other managers read) ---------------------------------------------


def test_branch_managers_save_a_new_policy_version_from_the_page(make_staff, client_for):
    client = client_for(make_staff(Role.BRANCH_MANAGER, "CS"))
    page = client.get("/workspace/today/policy/")
    assert page.status_code == 200
    form = page.context["form"]
    # one labelled number per rule, in the reader's words, not a JSON object of rule codes
    html = page.content.decode()
    assert "Closing / transfer application" in html and '"closing_application"' not in html
    assert "In decline and not contacted for" in html  # the room on the list is policy too
    data = posted(form)
    data.update({"capacity__wealth_advisor": 15, "churn_risk__closing_application": "0.8",
                 "churn_risk__contact_due": "0.1", "room_quiet_days": 45, "note": "fewer calls"})
    response = client.post("/workspace/today/policy/", data)
    assert response.status_code == 302
    params = today.active_params()
    assert params.capacity_of(Role.WEALTH_ADVISOR) == 15 and params.room_quiet_days == 45
    assert params.churn_risk["closing_application"] == 0.8 and params.churn_risk["contact_due"] == 0.1
    assert params.churn_risk["large_outflow"] == 0.35  # the rest as they were
    refused = client.post("/workspace/today/policy/", {**data, "churn_risk__closing_application": "1.5"})
    assert refused.status_code == 200 and refused.context["form"].errors["churn_risk"]
    assert TodayPolicy.objects.count() == 1


@pytest.mark.parametrize("role,status", [(Role.OFFICE_MANAGER, 403), (Role.WEALTH_ADVISOR, 403)])
def test_other_roles_do_not_change_the_policy(role, status, make_staff, client_for):
    client = client_for(make_staff(role, "CS"))
    response = client.post("/workspace/today/policy/", {
        "capacity__wealth_advisor": 1, "capacity__investment_advisor": 1, "capacity__institutional_advisor": 1,
        "churn_risk__birthday": "0"})
    assert response.status_code == status and TodayPolicy.objects.count() == 0
