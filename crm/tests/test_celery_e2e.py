"""End to end on real components: a Celery worker process consuming from Redis, writing to PostgreSQL."""
import os
import time
import uuid

import pytest

from crm.celery import app as celery_app
from crm.tests.workers import require_worker_setup, start_worker, stop_worker
from customers.models import ImportBatch, Role, Snapshot
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.tests.test_import import SNAP_HEADER, csv_bytes, snap


@pytest.fixture
def worker():
    """A real `celery worker` on its own queue, against the test database."""
    require_worker_setup()
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    proc = start_worker(queue)
    try:
        yield queue
    finally:
        print(stop_worker(proc)[-3000:])


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_uploaded_file_is_imported_by_a_worker(reference_data, worker):
    CustomerFactory(customer_code="A1")
    CustomerFactory(customer_code="B2")
    uploader = StaffFactory(role=Role.BRANCH_MANAGER, with_user=True).user  # a batch is checked against its uploader
    batch = ImportBatch.objects.create(dataset="snapshots", filename="snap.csv", uploaded_by=uploader,
                                       content=csv_bytes(SNAP_HEADER, snap(), snap("B2")))
    celery_app.send_task("customers.tasks.process_import_batch", args=[batch.pk], queue=worker)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.PENDING:
            break
        time.sleep(0.5)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert batch.counts["inserted"] == 2
    assert sorted(Snapshot.objects.values_list("customer__customer_code", flat=True)) == ["A1", "B2"]


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_reclassification_runs_in_chunks_on_a_worker(reference_data, worker):
    from datetime import date

    from django.core.management import call_command

    from crm.models import JobRun
    from customers.models import CurrentTier, TierSnapshot

    call_command("generate_branch", customers=300, seed=5, as_of=date(2026, 11, 26), stdout=open(os.devnull, "w"))
    celery_app.send_task("customers.tasks.reclassify", kwargs={"day": "2026-11-26", "chunk_size": 100,
                                                               "scan_after": True}, queue=worker)
    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(job="reclassify").first()
        if run and run.status != JobRun.Status.RUNNING:
            break
        time.sleep(0.5)
    assert run is not None and run.status == JobRun.Status.SUCCEEDED, run and run.error
    assert len(run.params["chunks"]) == 3 and run.counts["customers"] == 300
    assert TierSnapshot.objects.filter(date="2026-11-26").count() == 300
    assert CurrentTier.objects.exclude(star="").exists()
    # as the nightly run (beat passes scan_after), the publish queues the alert scan, which runs after it
    scan = None
    while time.monotonic() < deadline + 60:
        scan = JobRun.objects.filter(job="scan_alerts").first()
        if scan and scan.status != JobRun.Status.RUNNING:
            break
        time.sleep(0.5)
    assert scan is not None and scan.status == JobRun.Status.SUCCEEDED, scan and scan.error
    assert scan.params["date"] == "2026-11-26" and scan.started_at >= run.finished_at
    assert JobRun.objects.filter(job="scan_alerts").count() == 1
