"""Issue 18, point 5: the advisors' day on the manager home — items handled per day, share of today's list done,
value at risk contacted within its SLA — per advisor and office, worked by hand."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts import advisor_work, services
from alerts.models import Alert, TodayListEntry
from customers.models import CurrentTier, Interaction, Staff


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def tier(customer, clv):
    CurrentTier.objects.create(customer=customer, star="4", lifecycle_stage="mature", quadrant="A",
                               total_assets=Decimal(0), clv=None if clv is None else Decimal(clv))


def alert(customer, opened, contacted=None):
    """A yellow large-outflow warning (churn risk 0.35 in the today list's policy) due a day after it opened."""
    return Alert.objects.create(customer=customer, rule="large_outflow", level="yellow", owner=customer.advisor,
                                opened_at=opened, due_at=opened + timedelta(days=1), contacted_at=contacted,
                                first_fired_on=opened.date(), last_fired_on=opened.date())


def contact(customer, when):
    return Interaction.objects.create(customer=customer, staff=customer.advisor, at=when, channel="phone",
                                      summary="call")


@pytest.fixture
def day():
    return timezone.localdate()


@pytest.fixture
def book(advisor, make_staff, customer_of, day):
    """Advisor A (CS) with three warned customers: c1 (CLV 100,000), c2 (CLV 200,000), c3 (no tier: 0).
    Yesterday's list: c2 (VaR 70,000), c1 (35,000), c3 (0). c1 was contacted yesterday (done), c2 today (not
    the listed day), c3 not at all. A acknowledged c3's alert and snoozed c2's (2 steps) and logged the two
    contacts: 4 items in 30 days = 0.13 a day. c1's alert was contacted within its SLA, c2's a day late:
    value at risk with an SLA 35,000 + 70,000 + 0 = 105,000, within the SLA 35,000 (33.3 %).
    Advisor B in the same office has nothing."""
    yesterday = day - timedelta(days=1)
    c1, c2, c3 = (customer_of(advisor) for _ in range(3))
    tier(c1, 100_000)
    tier(c2, 200_000)
    opened = at(yesterday, 8)
    alerts = (alert(c1, opened, contacted=opened + timedelta(hours=3)),
              alert(c2, opened, contacted=opened + timedelta(days=2)), alert(c3, opened))
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(contacted_at=None)
    assert advisor_work.record_today_lists(yesterday) == 3
    assert advisor_work.record_today_lists(yesterday) == 0  # the first record of a day stands
    Alert.objects.filter(pk=alerts[0].pk).update(contacted_at=opened + timedelta(hours=3))
    Alert.objects.filter(pk=alerts[1].pk).update(contacted_at=opened + timedelta(days=2))
    services.transition(alert_id=alerts[2].pk, actor=advisor.user, to="acknowledged")
    services.snooze(alert_id=alerts[1].pk, actor=advisor.user, until=day + timedelta(days=3))
    contact(c1, at(yesterday, 15))
    contact(c2, at(day, 10))
    other = make_staff("wealth_advisor")
    return {"customers": (c1, c2, c3), "other": other}


def test_the_list_of_a_day_is_recorded_in_rank_order(book, advisor, day):
    c1, c2, c3 = book["customers"]
    rows = list(TodayListEntry.objects.filter(advisor=advisor).order_by("rank")
                .values_list("customer_id", "rank", "value_at_risk"))
    assert rows == [(c2.pk, 1, 70_000.0), (c1.pk, 2, 35_000.0), (c3.pk, 3, 0.0)]


# the book's warnings fired yesterday: too recent for the assets kept 30 days after a warning
NOT_WARNED_LONG_AGO = {"kept_n": 0, "kept_at": 0.0, "kept_after": 0.0, "kept_share": None,
                       "lost_n": 0, "lost_at": 0.0, "lost_after": 0.0, "lost_share": None}


def test_measures_per_advisor_and_office_by_hand(book, advisor, day):
    work = advisor_work.work_measures(Staff.objects.filter(office=advisor.office), day=day)
    mine = next(r for r in work["advisors"] if r["code"] == advisor.staff_code)
    assert mine == {"code": advisor.staff_code, "name": advisor.name, "office": "CS", "items": 4,
                    "items_per_day": 0.13, "listed": 3, "listed_done": 1, "done_share": 1 / 3,
                    "var_due": 105_000.0, "var_in_sla": 35_000.0, "var_share": 1 / 3, **NOT_WARNED_LONG_AGO}
    theirs = next(r for r in work["advisors"] if r["code"] == book["other"].staff_code)
    assert (theirs["items"], theirs["listed"], theirs["done_share"], theirs["var_share"]) == (0, 0, None, None)
    assert work["offices"] == [{"code": "", "name": "", "office": "CS", "items": 4, "items_per_day": 0.13,
                                "listed": 3, "listed_done": 1, "done_share": 1 / 3, "var_due": 105_000.0,
                                "var_in_sla": 35_000.0, "var_share": 1 / 3, **NOT_WARNED_LONG_AGO}]


def test_a_contact_through_the_alert_counts_once(book, advisor, day):
    """Moving an alert to contacted logs the contact: one item, not two."""
    c3 = book["customers"][2]
    services.transition(alert_id=c3.alerts.get().pk, actor=advisor.user, to="contacted", channel="phone")
    work = advisor_work.work_measures(Staff.objects.filter(pk=advisor.pk), day=day)
    assert work["advisors"][0]["items"] == 5


def test_the_manager_home_shows_and_exports_the_measures(book, advisor, make_staff, client_for):
    manager = client_for(make_staff("office_manager"))
    page = manager.get(reverse("workspaces:manager")).content.decode()
    assert 'id="advisor-work"' in page and 'id="office-work"' in page and "33.3" in page
    export = manager.get(reverse("workspaces:manager"), {"export": "advisor-work", "format": "csv"})
    text = export.content.decode("utf-8-sig")
    # shares as rounded percentages, amounts to the cent (crm.exports)
    assert f"{advisor.staff_code} {advisor.name},CS,0.13,3,1,33.3%,105000.00,35000.00,33.3%" in text


def test_the_measures_read_a_constant_number_of_queries(book, advisor, make_staff, customer_of, day):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            advisor_work.work_measures(Staff.objects.all(), day=day)
        return len(ctx.captured_queries)

    small = count()
    for _ in range(4):
        someone = make_staff("investment_advisor")
        customer = customer_of(someone)
        alert(customer, at(day - timedelta(days=2), 9))
        contact(customer, at(day - timedelta(days=1)))
    TodayListEntry.objects.all().delete()
    advisor_work.record_today_lists(day - timedelta(days=1))
    assert count() == small


def test_the_scan_command_records_todays_lists_like_the_nightly_task(make_staff, customer_of, day):
    """`make demo` runs the command, not the task: both record the lists the measures read."""
    import io

    from django.core.management import call_command

    advisor = make_staff("wealth_advisor")
    customer = customer_of(advisor)
    tier(customer, 100_000)
    alert(customer, at(day - timedelta(days=1)))
    out = io.StringIO()
    call_command("scan_alerts", stdout=out)
    assert list(TodayListEntry.objects.values_list("advisor_id", "customer_id", "rank")) == [
        (advisor.pk, customer.pk, 1)]
    assert "today's lists recorded: 1 cards" in out.getvalue()


def test_assets_kept_after_a_warning_contacted_or_not_by_hand(advisor, customer_of, day):
    """Warnings first fired 31–60 days ago count (30 days later is in the past). c1 warned 40 days ago and called
    2 days later: 100,000 at the warning → 90,000 thirty days on. c2 warned 50 days ago, never called: 200,000 →
    50,000. c3 warned 50 days ago, called 10 days later (not within 7): 100,000 → 100,000. c4 warned 10 days ago
    (too recent) and c5's contact-due reminder (not a churn warning) are left out. Contacted: 1 customer, 90 %
    kept; not contacted: 2 customers, 150,000 / 300,000 = 50 %."""
    from .conftest import snap

    c1, c2, c3, c4, c5 = (customer_of(advisor) for _ in range(5))

    def warned(customer, days_ago, rule="large_outflow"):
        fired = day - timedelta(days=days_ago)
        Alert.objects.create(customer=customer, rule=rule, level="yellow", owner=advisor, opened_at=at(fired, 2),
                             first_fired_on=fired, last_fired_on=fired, status="resolved")

    warned(c1, 40)
    contact(c1, at(day - timedelta(days=38)))
    snap(c1, day - timedelta(days=45), 100_000)
    snap(c1, day - timedelta(days=12), 90_000)
    warned(c2, 50)
    snap(c2, day - timedelta(days=55), 200_000)
    snap(c2, day - timedelta(days=25), 50_000)
    snap(c2, day - timedelta(days=5), 10_000)  # after the 30 days: not read
    warned(c3, 50)
    contact(c3, at(day - timedelta(days=40)))
    snap(c3, day - timedelta(days=60), 100_000)
    warned(c4, 10)
    snap(c4, day - timedelta(days=12), 500_000)
    warned(c5, 40, rule="contact_due")
    snap(c5, day - timedelta(days=45), 700_000)

    work = advisor_work.work_measures(Staff.objects.filter(pk=advisor.pk), day=day)
    mine = work["advisors"][0]
    assert (mine["kept_n"], mine["kept_at"], mine["kept_after"]) == (1, 100_000.0, 90_000.0)
    assert mine["kept_share"] == pytest.approx(0.9)
    assert (mine["lost_n"], mine["lost_at"], mine["lost_after"]) == (2, 300_000.0, 150_000.0)
    assert mine["lost_share"] == pytest.approx(0.5)
    office = work["offices"][0]
    assert (office["kept_n"], office["lost_n"], office["lost_share"]) == (1, 2, pytest.approx(0.5))
