"""A worker killed (SIGKILL) in the middle of the nightly reclassification: the previous tiers stay in
force with no partial snapshot, and because tasks are acknowledged late, the lost chunk goes back to the
queue and a restarted worker completes the same run."""
import os
import time
import uuid
from datetime import date

import pytest
from django.core.management import call_command

from crm.celery import app as celery_app
from crm.models import JobRun
from crm.tests.workers import (
    crash_worker,
    held_and_queued,
    require_worker_setup,
    start_worker,
    stop_worker,
    wait_for,
)
from customers import services
from customers.models import CurrentTier, TierSnapshot, TierStaging

CUSTOMERS, CHUNK = 2000, 200  # ten chunks, so the kill lands between the first and the last


def chunks_done(run):
    return len(JobRun.objects.get(pk=run.pk).counts.get("chunks_done", []))


def current_tiers():
    return dict(CurrentTier.objects.values_list("customer_id", "as_of"))


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_killed_worker_leaves_previous_tiers_and_the_run_completes_after_restart(reference_data):
    require_worker_setup()
    call_command("generate_branch", customers=CUSTOMERS, seed=5, as_of=date(2026, 11, 26),
                 stdout=open(os.devnull, "w"))
    assert services.run_reclassification(day=date(2026, 11, 25)).status == JobRun.Status.SUCCEEDED
    before = current_tiers()
    assert set(before.values()) == {date(2026, 11, 25)}

    queue = f"crash-{uuid.uuid4().hex[:8]}"
    # A one-second visibility timeout lets the restarted worker take back the killed worker's task at once.
    first = start_worker(queue, CELERY_VISIBILITY_TIMEOUT="1")
    celery_app.send_task("customers.tasks.reclassify", kwargs={"day": "2026-11-26", "chunk_size": CHUNK},
                         queue=queue)
    run = wait_for(lambda: JobRun.objects.filter(job="reclassify", params__date="2026-11-26").first(), 60)
    assert run is not None
    wait_for(lambda: chunks_done(run) >= 2, 120, interval=0.05)

    def mid_chunk():  # a chunk is held, and done + held + queued covers all ten
        held, queued = held_and_queued(queue)
        return held and chunks_done(run) + held + queued >= 10

    output = crash_worker(first, mid_chunk)
    run.refresh_from_db()
    done = len(run.counts.get("chunks_done", []))
    assert run.status == JobRun.Status.RUNNING and 2 <= done < 10, (run.status, done, output[-2000:])

    # Killed mid-run: nothing of 2026-11-26 is visible; the previous tiers are intact.
    assert not TierSnapshot.objects.filter(date=date(2026, 11, 26)).exists()
    assert current_tiers() == before
    assert TierStaging.objects.filter(run_id=run.pk).count() == done * CHUNK  # staged, not published

    time.sleep(1.5)  # past the held message's visibility timeout before the new worker's start-up sweep
    second = start_worker(queue, CELERY_VISIBILITY_TIMEOUT="1")
    try:
        finished = wait_for(lambda: JobRun.objects.filter(pk=run.pk).exclude(status=JobRun.Status.RUNNING).first(),
                            180, interval=0.5)
    finally:
        output = stop_worker(second)
    assert finished is not None and finished.status == JobRun.Status.SUCCEEDED, output[-3000:]
    assert finished.counts["customers"] == CUSTOMERS
    assert TierSnapshot.objects.filter(date=date(2026, 11, 26)).count() == CUSTOMERS  # one per customer
    assert set(current_tiers().values()) == {date(2026, 11, 26)}
    assert not TierStaging.objects.exists()
    assert JobRun.objects.filter(job="reclassify", params__date="2026-11-26").count() == 1


def alerts_state():
    from alerts.models import Alert

    return sorted(Alert.objects.values_list("id", "customer_id", "rule", "status", "last_fired_on", "fire_count"))


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_alert_scan_leaves_the_alerts_and_the_rerun_opens_no_duplicates(reference_data):
    from django.db.models import Count

    from alerts import services as alert_services
    from alerts.models import ACTIVE, Alert

    require_worker_setup()
    call_command("generate_branch", customers=CUSTOMERS, seed=6, as_of=date(2026, 11, 26),
                 stdout=open(os.devnull, "w"))
    assert services.run_reclassification(day=date(2026, 11, 26)).status == JobRun.Status.SUCCEEDED
    assert alert_services.run_scan(day=date(2026, 11, 25)).status == JobRun.Status.SUCCEEDED
    before = alerts_state()
    assert before  # the previous night opened alerts

    queue = f"crash-{uuid.uuid4().hex[:8]}"
    first = start_worker(queue, CELERY_VISIBILITY_TIMEOUT="1")
    celery_app.send_task("alerts.tasks.scan_alerts", kwargs={"day": "2026-11-26"}, queue=queue)
    run = wait_for(lambda: JobRun.objects.filter(job="scan_alerts", params__date="2026-11-26").first(), 60,
                   interval=0.02)
    output = crash_worker(first, lambda: held_and_queued(queue)[0] == 1)
    run.refresh_from_db()
    assert run.status == JobRun.Status.RUNNING, ("the scan finished before the kill", output[-2000:])
    assert alerts_state() == before  # nothing of the interrupted scan is visible

    time.sleep(1.5)  # past the held message's visibility timeout before the new worker's start-up sweep
    second = start_worker(queue, CELERY_VISIBILITY_TIMEOUT="1")
    try:
        done = wait_for(lambda: JobRun.objects.filter(job="scan_alerts", params__date="2026-11-26",
                                                      status=JobRun.Status.SUCCEEDED).first(), 180, interval=0.5)
    finally:
        output = stop_worker(second)
    assert done is not None, output[-3000:]
    duplicates = (Alert.objects.filter(status__in=ACTIVE).values("customer_id", "rule")
                  .annotate(n=Count("id")).filter(n__gt=1))
    assert not duplicates.exists()
    after = alerts_state()
    again = alert_services.run_scan(day=date(2026, 11, 26))  # idempotent for the date
    assert again.counts["opened"] == 0 and alerts_state() == after
