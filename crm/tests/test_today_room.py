"""Room on the list (crm.workspaces.today.room_cards): when the alert cards leave room under the capacity, the list
is filled with the customers most worth a call who have no card — in decline and not contacted for 30 days, or with
a planned contact in the next 7 days — ranked by the same priority, worked by hand:
    priority = floor(4 × log10(1 + value_at_risk)) × 100_000 + deadline_points × 1_000 + min(days, 999)
with value at risk = CLV (or assets) × the churn risk of lifecycle_decline (0.25) or contact_due (0.05)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from crm.workspaces import services, today
from customers.models import CurrentTier, Customer

from .test_today import DAY, advisor, alert, contact, tier  # noqa: F401 (fixtures and helpers)


def stage(customer, name, clv=None, assets=0):
    CurrentTier.objects.create(customer=customer, star="4", lifecycle_stage=name, quadrant="A",
                               total_assets=Decimal(assets), clv=None if clv is None else Decimal(clv))


@pytest.fixture
def room_book(advisor, customer_of):
    c = {k: customer_of(advisor, customer_code=f"C8000000{i}", name=k) for i, k in enumerate("XABCDEF", start=1)}
    # X: an alert card (large outflow, CLV 50,000 × 0.35 = 17,500 → band 16, never contacted → 1_600_999)
    tier(c["X"], clv=50_000)
    alert(c["X"], "large_outflow", evidence={"date": "2026-12-03", "transfer_out": 140_000.0, "share": 0.35})
    # A: in decline, last contact 40 days ago, CLV 100,000 × 0.25 = 25,000 → band floor(4 × 4.3980) = 17 → 1_700_040
    stage(c["A"], "decline", clv=100_000)
    contact(c["A"], DAY - timedelta(days=40))
    # B: in decline but contacted 10 days ago: not quiet for 30 days, no room card
    stage(c["B"], "decline", clv=900_000)
    contact(c["B"], DAY - timedelta(days=10))
    # C: planned contact in 3 days, last contact 20 days ago, CLV 400,000 × 0.05 = 20,000 → band
    #    floor(4 × 4.3010) = 17 → 1_700_020 (same band as A, contacted more lately: after A)
    stage(c["C"], "mature", clv=400_000)
    Customer.objects.filter(pk=c["C"].pk).update(next_contact_on=DAY + timedelta(days=3))
    contact(c["C"], DAY - timedelta(days=20))
    # D: planned contact in 10 days: beyond the 7, no room card
    stage(c["D"], "mature", clv=9_000_000)
    Customer.objects.filter(pk=c["D"].pk).update(next_contact_on=DAY + timedelta(days=10))
    # E: in decline, never contacted, no CLV, assets 50,000 × 0.25 = 12,500 → band floor(4 × 4.0969) = 16 →
    #    1_600_999 (ties X's priority; X's value at risk 17,500 is larger, but X is an alert card: alert cards first)
    stage(c["E"], "decline", clv=None, assets=50_000)
    # F: in decline and quiet, but closed: no card
    stage(c["F"], "decline", clv=800_000)
    Customer.objects.filter(pk=c["F"].pk).update(closed_on=DAY - timedelta(days=1))
    return c


def test_free_room_is_filled_with_calls_worth_making_by_hand(advisor, room_book):
    with translation.override("en"):
        result = today.today_list(advisor.user, advisor, day=DAY)
        api = today.as_api(result)
    rows = [(i["customer_code"], i["priority"], i["value_at_risk"], i["fills_room"]) for i in api["items"]]
    assert rows == [("C80000001", 1_600_999, 17_500.0, False),
                    ("C80000002", 1_700_040, 25_000.0, True),
                    ("C80000004", 1_700_020, 20_000.0, True),
                    ("C80000006", 1_600_999, 12_500.0, True)]
    texts = [i["reasons"][0]["text"] for i in api["items"][1:]]
    assert texts == ["in decline, no contact since 25 Oct", "contact planned for 7 Dec: call early",
                     "in decline, never contacted"]
    assert api["later_count"] == 0  # room cards are suggestions, never a backlog


def test_room_respects_the_capacity_and_never_displaces_an_alert_card(advisor, room_book, make_staff):
    from customers.models import Role

    manager = make_staff(Role.BRANCH_MANAGER, "CS")
    services.save_today_policy(user=manager.user, params={"capacity": {"wealth_advisor": 2}}, note="test")
    codes = [c.customer_code for c in today.today_list(advisor.user, advisor, day=DAY)["cards"]]
    assert codes == ["C80000001", "C80000002"]


def test_another_advisors_book_never_fills_my_room(advisor, make_staff, customer_of):
    from customers.models import Role

    other = make_staff(Role.WEALTH_ADVISOR, "CS")
    theirs = customer_of(other)
    stage(theirs, "decline", clv=1_000_000)
    assert today.today_list(advisor.user, advisor, day=DAY)["cards"] == []
    assert [c.customer_code for c in today.today_list(other.user, other, day=DAY)["cards"]] == [theirs.customer_code]


def test_an_advisors_own_list_is_cached_until_their_book_changes(advisor, room_book, client_for,
                                                                  django_assert_max_num_queries):
    from django.core.cache import cache

    from customers.scope import scope_for
    from customers.services import touch_books

    cache.clear()
    client = client_for(advisor)
    first = client.get("/api/workspace/today/").json()
    with django_assert_max_num_queries(6):  # session, user, staff and scope, the policy version: no list reads
        again = client.get("/api/workspace/today/").json()
    assert again == first and len(first["items"]) == 4
    contact(room_book["A"], DAY)  # logged outside the services: the book's mark has not moved yet
    assert client.get("/api/workspace/today/").json() == first
    touch_books(customer_ids=[room_book["A"].pk])  # what every contact, alert step and nightly job does
    codes = [i["customer_code"] for i in client.get("/api/workspace/today/").json()["items"]]
    assert "C80000002" not in codes  # A was contacted today: not quiet any more
    assert scope_for(advisor.user).is_advisor
