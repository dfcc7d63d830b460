"""Alert hygiene (issue 18, point 4) over whole nights of the scan: a state rule fires on entering the state and
stays one alert; the assessment expiry reminds once at 30 days before and once on the day."""
from datetime import date, timedelta

from alerts import batch
from alerts.models import Alert
from alerts.params import AlertParams
from customers.models import CurrentTier, TierChange

from .conftest import DAY

P = AlertParams()


def close(alert, status="dismissed"):
    Alert.objects.filter(pk=alert.pk).update(status=status, closed_at=alert.opened_at)


def test_decline_fires_once_on_entry_and_not_every_night(make_customer):
    c = make_customer()
    CurrentTier.objects.create(customer=c, lifecycle_stage="decline", as_of=DAY, star="2")
    TierChange.objects.create(customer=c, date=DAY, field="lifecycle_stage", old="mature", new="decline")
    batch.scan(DAY, P, run_id=1)
    alert = Alert.objects.get(rule="lifecycle_decline")
    for n in (1, 2, 3):  # the next runs keep the customer in decline
        CurrentTier.objects.filter(customer=c).update(as_of=DAY + timedelta(days=n))
        batch.scan(DAY + timedelta(days=n), P, run_id=1 + n)
    alert.refresh_from_db()
    assert Alert.objects.filter(rule="lifecycle_decline").count() == 1
    assert (alert.status, alert.fire_count, alert.last_fired_on) == ("open", 1, DAY)  # no nightly re-fire
    close(alert)
    CurrentTier.objects.filter(customer=c).update(as_of=DAY + timedelta(days=4))
    batch.scan(DAY + timedelta(days=4), P, run_id=9)
    assert Alert.objects.filter(rule="lifecycle_decline").count() == 1  # closed stays closed while in decline


def test_assessment_expiry_reminds_once_before_and_once_on_the_day(make_customer):
    c = make_customer(risk_assessed_on=date(2024, 12, 26))  # expires 2026-12-26 = DAY + 30
    batch.scan(DAY, P, run_id=1)
    notice = Alert.objects.get(rule="assessment_expiry")
    assert notice.fire_key == "2026-12-26:notice"
    close(notice, "resolved")
    for n in (1, 15, 29):  # the rest of the lead time: the handled notice does not reopen
        batch.scan(DAY + timedelta(days=n), P, run_id=1 + n)
    assert Alert.objects.filter(rule="assessment_expiry").count() == 1
    batch.scan(date(2026, 12, 26), P, run_id=40)  # the day itself: one more reminder
    on_the_day = Alert.objects.get(rule="assessment_expiry", status="open")
    assert on_the_day.fire_key == "2026-12-26:expired" and on_the_day.customer_id == c.pk
    close(on_the_day, "resolved")
    batch.scan(date(2026, 12, 27), P, run_id=41)
    assert not Alert.objects.filter(rule="assessment_expiry", status="open").exists()


def test_never_assessed_is_one_reminder(make_customer):
    make_customer(risk_assessed_on=None)
    batch.scan(DAY, P, run_id=1)
    batch.scan(DAY + timedelta(days=1), P, run_id=2)
    assert list(Alert.objects.filter(rule="assessment_expiry").values_list("fire_key", "fire_count")) == [("never", 2)]
