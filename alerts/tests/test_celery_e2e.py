"""The nightly scan on real components: a Celery worker consuming from Redis, writing to PostgreSQL."""
import os
import time
from datetime import date

import pytest

from crm.celery import app as celery_app
from crm.tests.test_celery_e2e import worker  # noqa: F401 (the fixture: a real worker on its own queue)


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_scan_runs_on_a_worker(reference_data, worker):  # noqa: F811
    import importlib

    from django.apps import apps
    from django.core.management import call_command

    from alerts.models import Alert, AlertTransition
    from crm.models import JobRun

    importlib.import_module("alerts.migrations.0002_initial_alert_policy").forwards(apps, None)  # flushed by the db
    # no alert history: every alert in the database is then one the worker's scan opened
    call_command("generate_branch", customers=300, seed=5, as_of=date(2026, 11, 26), no_history=True,
                 stdout=open(os.devnull, "w"))
    celery_app.send_task("alerts.tasks.scan_alerts", kwargs={"day": "2026-11-26"}, queue=worker)
    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(job="scan_alerts").first()
        if run and run.status != JobRun.Status.RUNNING:
            break
        time.sleep(0.5)
    assert run is not None and run.status == JobRun.Status.SUCCEEDED, run and run.error
    assert run.task_id  # the worker's task id is on the run
    opened = run.counts["opened"]
    assert opened > 0 and Alert.objects.count() == opened
    assert AlertTransition.objects.filter(action="opened").count() == opened
    # a redelivered task (acks_late) merges the same firings into the same alerts
    celery_app.send_task("alerts.tasks.scan_alerts", kwargs={"day": "2026-11-26"}, queue=worker)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = list(JobRun.objects.filter(job="scan_alerts", status=JobRun.Status.SUCCEEDED))
        if len(runs) == 2:
            break
        time.sleep(0.5)
    assert len(runs) == 2 and runs[0].counts["opened"] == 0
    assert Alert.objects.count() == opened
