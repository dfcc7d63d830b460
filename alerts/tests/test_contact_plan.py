"""The contact plan (issue 18, point 3): the star's frequency becomes a scheduled next contact per customer, spread
over the first cycle so day one is not "everybody overdue"; contact_due fires only past the scheduled date."""
from collections import Counter
from datetime import date, timedelta

import pandas as pd

from alerts import batch, schedule
from alerts.models import Alert
from alerts.params import AlertParams
from customers.models import CurrentTier, Customer, Interaction

from .conftest import DAY

P = AlertParams()  # 3★ every 2 months, 4★ and 5★ monthly


def frame(rows):
    """rows: (customer_id, next_contact_on, cycle, star, last_contact)."""
    df = pd.DataFrame(rows, columns=["customer_id", "next_contact_on", "contact_cycle_months", "star", "last_contact"])
    df["next_contact_on"] = pd.to_datetime(df["next_contact_on"])
    df["last_contact"] = pd.to_datetime(df["last_contact"])
    return df.set_index("customer_id")


def test_cycle_days_and_the_stable_spread():
    assert schedule.cycle_days(date(2026, 11, 26), 1) == 30  # 26 Nov -> 26 Dec
    assert schedule.cycle_days(date(2026, 11, 26), 2) == 61  # -> 26 Jan
    # Knuth's multiplicative hash: 7 * 2654435761 mod 2^32 = 1401181143, mod 30 = 3
    assert list(schedule.spread_offset([7], 30)) == [(7 * 2654435761) % 2 ** 32 % 30] == [3]
    assert list(schedule.spread_offset([7], 30)) == list(schedule.spread_offset([7], 30))  # stable


def test_a_frequency_that_starts_is_spread_and_a_recent_contact_is_respected():
    got = schedule.planned(frame([
        (7, None, None, "4", None),  # never planned, never contacted: DAY + offset 3
        (8, None, None, "4", "2026-11-20"),  # contacted 6 days ago: not before 20 Dec (last + 1 month)
        (9, None, None, "2", None),  # 2★: no frequency
    ]), DAY, P)
    assert got.loc[7, "next_contact_on"] == pd.Timestamp("2026-11-29") and got.loc[7, "contact_cycle_months"] == 1
    offset8 = int(schedule.spread_offset([8], 30)[0])
    assert got.loc[8, "next_contact_on"] == max(pd.Timestamp(DAY) + pd.Timedelta(days=offset8),
                                                pd.Timestamp("2026-12-20"))
    assert pd.isna(got.loc[9, "next_contact_on"]) and pd.isna(got.loc[9, "contact_cycle_months"])


def test_promotion_respreads_demotion_keeps_and_a_lost_frequency_clears():
    got = schedule.planned(frame([
        (7, "2027-01-20", 2, "4", None),  # 3★ -> 4★: monthly now, re-spread: DAY + 3 = 29 Nov, earlier than 20 Jan
        (10, "2026-12-01", 1, "3", None),  # 4★ -> 3★: the date stays, the cycle becomes 2
        (11, "2026-12-01", 1, "2", None),  # no frequency any more
        (12, "2026-12-01", 1, "4", "2026-11-25"),  # contacted some other way: last + 1 month = 25 Dec
    ]), DAY, P)
    assert got.loc[7, "next_contact_on"] == pd.Timestamp("2026-11-29") and got.loc[7, "contact_cycle_months"] == 1
    assert got.loc[10, "next_contact_on"] == pd.Timestamp("2026-12-01") and got.loc[10, "contact_cycle_months"] == 2
    assert pd.isna(got.loc[11, "next_contact_on"])
    assert got.loc[12, "next_contact_on"] == pd.Timestamp("2026-12-25")


def test_day_one_is_not_everybody_overdue(make_customer):
    """120 monthly customers never contacted: none overdue on day one; afterwards about 4 a day fall due, never
    more than 10 on one day, and every one within the 30-day cycle."""
    customers = [make_customer() for _ in range(120)]
    CurrentTier.objects.bulk_create([CurrentTier(customer=c, star="4", as_of=DAY) for c in customers])
    counts = batch.scan(DAY, P, run_id=1)
    assert counts["contact_plan_changed"] == 120
    assert not Alert.objects.filter(rule="contact_due").exists()
    planned = list(Customer.objects.values_list("next_contact_on", flat=True))
    assert all(DAY <= d < DAY + timedelta(days=30) for d in planned)
    per_day = Counter(planned)
    assert max(per_day.values()) <= 10 and len(per_day) >= 20
    # the next night: exactly those planned for day one are past their date
    batch.scan(DAY + timedelta(days=1), P, run_id=2)
    assert Alert.objects.filter(rule="contact_due").count() == per_day.get(DAY, 0)
    # re-running the night changes nothing
    assert batch.scan(DAY + timedelta(days=1), P, run_id=3)["contact_plan_changed"] == 0


def test_a_contact_logged_elsewhere_resolves_the_reminder_at_night(make_customer, advisor):
    from django.utils import timezone

    c = make_customer()
    CurrentTier.objects.create(customer=c, star="4", as_of=DAY)
    Customer.objects.filter(pk=c.pk).update(next_contact_on=DAY - timedelta(days=5), contact_cycle_months=1)
    batch.scan(DAY, P, run_id=1)
    reminder = Alert.objects.get(rule="contact_due")
    assert reminder.status == "open" and reminder.fire_key == (DAY - timedelta(days=5)).isoformat()
    # an interaction imported straight into the table (no service): the night moves the plan and the reminder lapses
    Interaction.objects.create(customer=c, staff=advisor, channel="phone", summary="imported",
                               at=timezone.make_aware(pd.Timestamp(DAY).to_pydatetime().replace(hour=10)))
    counts = batch.scan(DAY + timedelta(days=1), P, run_id=2)
    reminder.refresh_from_db()
    assert reminder.status == "resolved" and counts["lapsed"] == 1
    assert Customer.objects.get(pk=c.pk).next_contact_on == date(2026, 12, 26)
    assert reminder.transitions.last().action == "lapsed"
