"""Issue 22 through the API and the customer page: each held permission with its opening date, and the tier
history's moves with their reason (data and words)."""
from datetime import timedelta

import pytest

from customers import permissions
from customers.models import Customer, Role
from customers.tests.factories import StaffFactory
from customers.tests.test_tiering_batch import DAY, cash_snapshot, run, small_book


@pytest.fixture
def closed_book(db):
    """The 25-customer cash book run on DAY, then B00 closed and the book run again the day after."""
    wa, customers = small_book(with_user=True)
    run(DAY)
    leaver = customers[0]
    day = DAY + timedelta(days=1)
    Customer.objects.filter(pk=leaver.pk).update(closed_on=day)
    for i, c in enumerate(customers):
        cash_snapshot(c, day, 10_000 * (i + 1))
    run(day)
    return wa, leaver


def test_customer_detail_gives_each_held_permission_with_its_opening_date(db, client_for):
    bm = StaffFactory(role=Role.BRANCH_MANAGER, with_user=True)
    wa, customers = small_book()
    c = customers[0]
    # options was held once and dropped: its recorded date is not a held permission's
    Customer.objects.filter(pk=c.pk).update(
        permission_flags=permissions.to_flags(["margin", "star_market"]),
        permission_dates={"margin": "2021-03-04", "star_market": None, "options": "2020-01-02"})
    body = client_for(bm).get(f"/api/customers/customers/{c.customer_code}/").json()
    assert body["permissions"] == ["margin", "star_market"]  # interfaces.md: still the list of codes
    assert body["permission_dates"] == {"margin": "2021-03-04", "star_market": None}
    listed = client_for(bm).get("/api/customers/customers/?q=" + c.customer_code).json()["results"][0]
    assert listed["permission_dates"] == {"margin": "2021-03-04", "star_market": None}
    other = client_for(bm).get(f"/api/customers/customers/{customers[1].customer_code}/").json()
    assert other["permission_dates"] == {code: None for code in other["permissions"]}


def test_tier_history_gives_each_runs_moves_with_their_reason(closed_book, client_for,
                                                              django_assert_max_num_queries):
    wa, leaver = closed_book
    client = client_for(wa)
    url = f"/api/customers/customers/{leaver.customer_code}/tier-history/"
    client.get(url)  # warm the session and the scope
    with django_assert_max_num_queries(8):
        history = client.get(url).json()
    assert [h["date"] for h in history] == [DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()]
    assert history[0]["changes"] == []  # the first run: nothing to move from
    moves = {m["field"]: m for m in history[1]["changes"]}
    assert set(moves) == {"star", "lifecycle_stage", "quadrant"}
    assert moves["lifecycle_stage"] == {"field": "lifecycle_stage", "old": "mature", "new": "churned",
                                        "reason": {"rule": "closed"},
                                        "reason_text": "account closed or transferred out"}
    assert moves["star"]["reason"] == {"rule": "not_ranked", "stage": "churned"}
    assert moves["star"]["reason_text"] == "not ranked at stage churned"


def test_the_customer_page_shows_why_the_tier_moved(closed_book, client_for):
    wa, leaver = closed_book
    html = client_for(wa).get(f"/customers/{leaver.customer_code}/").content.decode()
    assert '<span class="text-muted">(account closed or transferred out)</span>' in html
    assert '<span class="text-muted">(not ranked at stage churned)</span>' in html
