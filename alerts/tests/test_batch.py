"""The scan: dedup with evidence update, idempotent re-runs, suppression of handled firings, job runs."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts import services
from alerts.models import Alert, AlertTransition
from crm.models import JobRun

from .conftest import DAY, act, snap


@pytest.fixture
def outflow_customer(make_customer):
    c = make_customer()
    snap(c, DAY - timedelta(days=1), 200_000)
    act(c, DAY, transfer_out=80_000)  # 40 % of 200,000
    return c


def test_scan_opens_one_alert_with_history_and_job_run(outflow_customer):
    run = services.run_scan(day=DAY)
    assert run.status == JobRun.Status.SUCCEEDED and run.job == "scan_alerts"
    assert run.counts["opened"] == 1 and run.counts["by_rule"] == {"large_outflow": 1}
    alert = Alert.objects.get()
    assert (alert.rule, alert.level, alert.status, alert.owner_id) == (
        "large_outflow", "yellow", "open", outflow_customer.advisor_id)
    assert alert.evidence["transfer_out"] == 80_000 and alert.first_fired_on == DAY
    assert alert.due_at is not None and alert.due_at > alert.opened_at
    assert list(AlertTransition.objects.values_list("action", "to_status")) == [("opened", "open")]


def test_rescan_of_the_same_date_changes_nothing(outflow_customer):
    services.run_scan(day=DAY)
    before = list(Alert.objects.values())
    again = services.run_scan(day=DAY)
    assert again.counts["opened"] == 0 and again.counts["updated"] == 0 and again.counts["fired"] == 1
    assert list(Alert.objects.values()) == before
    assert AlertTransition.objects.count() == 1


def test_a_new_firing_updates_the_open_alert(outflow_customer):
    services.run_scan(day=DAY)
    next_day = DAY + timedelta(days=1)
    snap(outflow_customer, DAY, 120_000)
    act(outflow_customer, next_day, transfer_out=150_000)
    run = services.run_scan(day=next_day)
    assert run.counts["opened"] == 0 and run.counts["updated"] == 1
    alert = Alert.objects.get()  # still one alert: one active per customer and rule
    assert alert.evidence["transfer_out"] == 150_000 and alert.evidence["date"] == next_day.isoformat()
    assert alert.first_fired_on == DAY and alert.last_fired_on == next_day and alert.fire_count == 2


def test_partial_unique_constraint_allows_one_active_alert_per_rule(outflow_customer):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    services.run_scan(day=DAY)
    alert = Alert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(customer=outflow_customer, rule="large_outflow", level="yellow",
                             opened_at=timezone.now(), first_fired_on=DAY, last_fired_on=DAY)
    Alert.objects.filter(pk=alert.pk).update(status="resolved", outcome="retained")
    Alert.objects.create(customer=outflow_customer, rule="large_outflow", level="yellow",  # a closed one no longer counts
                         opened_at=timezone.now(), first_fired_on=DAY, last_fired_on=DAY)


def test_a_handled_firing_does_not_reopen(outflow_customer, advisor):
    services.run_scan(day=DAY)
    alert = Alert.objects.get()
    services.transition(alert_id=alert.pk, actor=advisor.user, to="dismissed", note="known: moving house")
    run = services.run_scan(day=DAY)  # same date again: the dismissed firing stays handled
    assert run.counts["suppressed"] == 1 and run.counts["opened"] == 0
    # a new large transfer on another day is a new event (large_outflow has no cool-down)
    snap(outflow_customer, DAY, 120_000)
    act(outflow_customer, DAY + timedelta(days=1), transfer_out=150_000)
    run = services.run_scan(day=DAY + timedelta(days=1))
    assert run.counts["opened"] == 1
    assert Alert.objects.filter(status="open").get().evidence["transfer_out"] == 150_000


def test_condition_rules_pause_for_their_cool_down(make_customer, advisor):
    c = make_customer()
    act(c, DAY - timedelta(days=60), trades=12)  # falling trading persists every night
    services.run_scan(day=DAY)
    alert = Alert.objects.get(rule="falling_trading")
    services.transition(alert_id=alert.pk, actor=advisor.user, to="dismissed", note="on holiday")
    later = DAY + timedelta(days=5)  # within the 30-day cool-down
    assert services.run_scan(day=later).counts["opened"] == 0


def test_manage_command(outflow_customer):
    out = StringIO()
    call_command("scan_alerts", "--date", DAY.isoformat(), stdout=out)
    assert "1 opened" in out.getvalue() and "large_outflow" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("scan_alerts", "--date", "26/11/2026")


def test_default_date_is_the_latest_data_date(outflow_customer):
    run = services.run_scan()
    assert run.params["date"] == DAY.isoformat()


def test_a_failing_scan_is_recorded_and_writes_nothing(outflow_customer, monkeypatch):
    from alerts import batch

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch, "_fill_temp", broken)
    with pytest.raises(RuntimeError):
        services.run_scan(day=DAY)
    assert JobRun.objects.get(job="scan_alerts").status == "failed"
    assert not Alert.objects.exists()


def test_tiering_reads_open_warnings(outflow_customer, make_customer, advisor):
    from customers.tiering.inputs import open_warnings

    other = make_customer()
    services.run_scan(day=DAY)
    flags = open_warnings([outflow_customer.pk, other.pk])
    assert flags.to_dict() == {outflow_customer.pk: True, other.pk: False}
    alert = Alert.objects.get()
    services.transition(alert_id=alert.pk, actor=advisor.user, to="dismissed", note="n/a")
    assert not open_warnings([outflow_customer.pk]).any()


def test_thresholds_come_from_the_active_policy(make_customer, make_staff):
    c = make_customer()
    snap(c, DAY - timedelta(days=1), 1_000_000)
    act(c, DAY, transfer_out=60_000)  # 6 % and < 100,000: nothing under v1
    assert services.run_scan(day=DAY).counts["opened"] == 0
    bm = make_staff("branch_manager", office_code="ZS")
    services.create_policy_version(params={"outflow_amount": 50_000}, user=bm.user)
    run = services.run_scan(day=DAY)
    assert run.counts["opened"] == 1 and run.params["policy_version"] == 2


def test_a_worsening_margin_ratio_raises_the_level(make_customer, make_staff):
    manager = make_staff("office_manager")
    c = make_customer()
    snap(c, DAY - timedelta(days=26), 300_000, securities=300_000, debt=200_000, ratio=145)
    services.run_scan(day=DAY)
    alert = Alert.objects.get(rule="margin_ratio")
    assert alert.level == "yellow" and alert.manager_id is None
    snap(c, DAY, 250_000, securities=250_000, debt=200_000, ratio=125)
    services.run_scan(day=DAY + timedelta(days=1))
    alert.refresh_from_db()
    assert alert.level == "red" and alert.evidence["ratio"] == 125 and alert.manager_id == manager.pk
    assert Alert.objects.filter(rule="margin_ratio").count() == 1


def test_escalation_task(make_customer, make_alert, make_staff):
    from django.utils import timezone

    from alerts import tasks

    make_staff("office_manager")
    make_alert(make_customer(), due_at=timezone.now() - timedelta(hours=1))
    assert tasks.escalate_overdue.delay().get() == 1
    assert tasks.escalate_overdue.delay().get() == 0


def test_the_scan_is_set_based(make_customer, django_assert_max_num_queries):
    """The number of statements does not grow with the number of customers or firings."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            c = make_customer(id_expires_on=DAY)
            snap(c, DAY - timedelta(days=1), 200_000)
            act(c, DAY, transfer_out=80_000)

    add(2)
    with CaptureQueriesContext(connection) as few:
        services.run_scan(day=DAY)
    Alert.objects.all().delete()
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        run = services.run_scan(day=DAY)
    assert run.counts["opened"] == 64  # 32 customers × (large outflow + ID expiry)
