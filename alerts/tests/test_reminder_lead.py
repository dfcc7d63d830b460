"""Reminders that can wait (issue 18, point 4's last clause): an ID or assessment expiry is work only from its lead
time before the date; a backlog found already past its date opens with the customer's next scheduled contact, at
the latest within the spread; a waiting reminder rides along on a card the customer has anyway; a snooze does not
hide an alert that turns red."""
from datetime import date, timedelta

import pandas as pd

from alerts import batch, selectors
from alerts.models import Alert
from alerts.params import AlertParams
from crm.workspaces.today import today_list

from .conftest import DAY, act, snap

P = AlertParams()  # lead 14 days for ID and assessment expiry, backlog spread over 30 days
TODAY = date(2026, 12, 1)


def _fired(rows):
    return pd.DataFrame(rows, columns=["customer_id", "rule", "due_on"])


def _customers(plan):
    return pd.DataFrame({"next_contact_on": pd.to_datetime(pd.Series(plan))})


def test_opening_dates_worked_by_hand():
    # spread_offset(id, 30) = (id × 2654435761 mod 2³²) mod 30: id 1 → 2654435761 mod 30 = 1 (2654435760 = 30 ×
    # 88481192); id 2 → 5308871522 − 2³² = 1013904226, mod 30 = 16. So the latest openings are 2 Dec and 17 Dec.
    fired = _fired([
        (3, "id_expiry", pd.Timestamp("2026-12-25")),  # 25 Dec − 14 days → opens 11 Dec
        (3, "assessment_expiry", pd.Timestamp("2026-12-10")),  # 10 Dec − 14 = 26 Nov, already past: work now
        (1, "assessment_expiry", pd.Timestamp("2026-06-01")),  # backlog, no plan: the latest, 2 Dec
        (2, "assessment_expiry", pd.NaT),  # never assessed = backlog; next contact 5 Dec comes before 17 Dec
        (4, "birthday", pd.Timestamp("2026-12-02")),  # not a rule that waits
    ])
    customers = _customers({1: None, 2: "2026-12-05", 3: None, 4: None})
    got = batch.opening_dates(fired, customers, TODAY, P).tolist()
    assert got == ["2026-12-11", None, "2026-12-02", "2026-12-05", None]


def test_a_backlog_whose_next_contact_is_after_the_spread_opens_at_the_latest_date():
    fired = _fired([(2, "assessment_expiry", pd.Timestamp("2025-01-01"))])
    got = batch.opening_dates(fired, _customers({2: "2026-12-20"}), TODAY, P).tolist()
    assert got == ["2026-12-17"]  # 1 Dec + 16: the spread's bound beats a contact planned for 20 Dec


def test_lead_days_are_policy():
    fired = _fired([(3, "id_expiry", pd.Timestamp("2026-12-25"))])
    lead_30 = AlertParams(reminder_lead_days={"id_expiry": 30})
    assert batch.opening_dates(fired, _customers({3: None}), TODAY, lead_30).tolist() == [None]  # 25 Nov: now
    assert AlertParams(reminder_lead_days={"birthday": 3}).validate() == {
        "reminder_lead_days": "ID or assessment expiry → days ≥ 0"}


def test_a_waiting_reminder_is_out_of_the_active_inbox_and_todays_list_until_it_opens(make_customer, advisor):
    c = make_customer(id_expires_on=DAY + timedelta(days=20))  # fires (≤ 30 days), work from DAY + 6
    batch.scan(DAY, P, run_id=1)
    alert = Alert.objects.get(rule="id_expiry")
    assert alert.opens_on == DAY + timedelta(days=6) and alert.status == "open"
    assert not Alert.objects.filter(selectors.awake(DAY), pk=alert.pk).exists()
    assert Alert.objects.filter(selectors.waiting(DAY), pk=alert.pk).exists()
    assert today_list(advisor.user, advisor, day=DAY)["cards"] == []
    on_the_day = today_list(advisor.user, advisor, day=DAY + timedelta(days=6))["cards"]
    assert [card.customer_code for card in on_the_day] == [c.customer_code]
    batch.scan(DAY + timedelta(days=1), P, run_id=2)  # re-firing keeps the opening date
    alert.refresh_from_db()
    assert (alert.opens_on, alert.fire_count) == (DAY + timedelta(days=6), 2)


def test_a_waiting_reminder_rides_along_on_the_customers_card(make_customer, advisor, make_alert):
    c = make_customer(id_expires_on=DAY + timedelta(days=20))
    batch.scan(DAY, P, run_id=1)
    make_alert(c)  # a large outflow warning: the customer is called today anyway
    cards = today_list(advisor.user, advisor, day=DAY)["cards"]
    assert len(cards) == 1
    rules = [(r["rule"], r["waiting"]) for r in cards[0].reasons]
    assert rules == [("large_outflow", False), ("id_expiry", True)]
    assert cards[0].reasons[1]["text"] == "also in this call: ID card expires 16 Dec"
    assert len(cards[0].alert_ids) == 2  # the contact that works the card can close both


def test_an_alert_that_turns_red_wakes_from_its_snooze(make_customer):
    c = make_customer()
    snap(c, DAY - timedelta(days=1), 300_000, securities=300_000, debt=100_000, ratio=140)  # below 150: yellow
    act(c, DAY - timedelta(days=1))
    batch.scan(DAY, P, run_id=1)
    alert = Alert.objects.get(rule="margin_ratio")
    assert alert.level == "yellow"
    Alert.objects.filter(pk=alert.pk).update(snoozed_until=DAY + timedelta(days=10))
    snap(c, DAY, 300_000, securities=300_000, debt=100_000, ratio=125)  # below the 130 liquidation line: red
    batch.scan(DAY + timedelta(days=1), P, run_id=2)
    alert.refresh_from_db()
    assert (alert.level, alert.snoozed_until) == ("red", None)


def test_the_inbox_lists_scheduled_reminders_apart_from_the_active_work(make_customer):
    from django.utils import timezone

    from alerts.filters import AlertFilter

    today = timezone.localdate()  # the inbox reads today's date
    make_customer(id_expires_on=today + timedelta(days=20))
    batch.scan(today, P, run_id=1)

    def shown(status):
        return list(AlertFilter({"status": status}, queryset=Alert.objects.all()).qs.values_list("rule", flat=True))

    assert (shown("waiting"), shown("active")) == (["id_expiry"], [])


def test_the_dashboard_counts_what_the_active_inbox_lists(make_customer, make_alert, advisor):
    from django.utils import timezone

    from crm.workspaces.selectors import alert_counts

    today = timezone.localdate()
    c = make_customer()
    make_alert(c)  # work: counted
    make_alert(make_customer(), snoozed_until=today + timedelta(days=2))  # snoozed: not counted
    make_alert(make_customer(), rule="id_expiry", level="reminder", opens_on=today + timedelta(days=5))  # waiting
    counts = alert_counts(advisor.user)
    assert (counts["active"], counts["yellow"]) == (1, 1)
