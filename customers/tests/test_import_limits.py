"""Issue 17, findings 8, 11 and 12: an invalid file keeps only the first errors (checks still whole-file across
chunks), an upload made while the queue is down is picked up later and imported once, and the rejects files are
safe to open in a spreadsheet."""
import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from crm.celery import app as celery_app
from crm.models import JobRun
from crm.tests.test_outages import stopped_redis  # noqa: F401 (a fixture: a real Redis, stopped)
from customers import services, tasks
from customers.imports.engine import import_file
from customers.models import ImportBatch, Role, Snapshot
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.tests.test_import import SNAP_HEADER, csv_bytes, snap

EVENT_HEADER = "customer_code,date,kind,amount,due_on"
FORMULA = '=HYPERLINK("http://x")'


def test_a_large_invalid_file_keeps_the_capped_errors_and_counts_the_rest(db):
    # 5,000 rows, each with two errors (unknown customer, amount not a number): 10,000 errors in all, read in
    # chunks of 1,000 rows; the first 100 by line and field are kept: lines 2..51, two each.
    rows = [f"GHOST{n},2026-11-20,ipo_win,abc,2026-11-23" for n in range(5000)]
    result = import_file("events", csv_bytes(EVENT_HEADER, *rows), max_errors=100, chunk_rows=1000)
    assert not result.written
    assert result.error_count == 10_000 and result.counts()["errors"] == 10_000
    assert len(result.errors) == 100
    assert [(e["line"], e["field"]) for e in result.errors[:2]] == [(2, "amount"), (2, "customer_code")]
    assert {e["line"] for e in result.errors} == set(range(2, 52))
    assert result.rows == 5000


def test_whole_file_checks_still_see_across_chunks(db):
    CustomerFactory(customer_code="A1")
    CustomerFactory(customer_code="B2")
    # Line 6 repeats line 2's key; with chunks of two rows they are read in different chunks.
    data = csv_bytes(SNAP_HEADER, snap(), snap("B2"), snap("A1", day="2026-11-30"), snap("B2", day="2026-11-30"),
                     snap())
    result = import_file("snapshots", data, chunk_rows=2)
    assert [(e["line"], e["field"], e["value"], e["message"]) for e in result.errors] == [
        (6, "customer_code+date", "A1, 2026-10-31", "duplicate key, first seen on line 2")]
    assert Snapshot.objects.count() == 0
    staff = csv_bytes("staff_code,name,office_code,role,grade,username", "S1,a,CS,operations,,same",
                      "S2,b,CS,operations,,", "S3,c,CS,operations,,same")
    result = import_file("staff", staff, chunk_rows=1)
    assert [(e["line"], e["field"], e["value"]) for e in result.errors] == [(4, "username", "same")]


def test_skip_invalid_across_chunks_writes_the_good_rows_only(db):
    CustomerFactory(customer_code="A1")
    CustomerFactory(customer_code="B2")
    data = csv_bytes(SNAP_HEADER, snap(), snap("NOPE"), snap("B2"), snap())
    result = import_file("snapshots", data, skip_invalid=True, chunk_rows=1)
    assert (result.inserted, result.rejected) == (2, 2)  # line 3 unknown, line 5 repeats line 2
    assert Snapshot.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_upload_made_while_the_queue_is_down_is_requeued_and_imported_once(reference_data, stopped_redis,  # noqa: F811
                                                                            client_for):
    CustomerFactory(customer_code="A1")
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True)
    upload = SimpleUploadedFile("snap.csv", csv_bytes(SNAP_HEADER, snap()), content_type="text/csv")
    client_for(ops).post("/customers/import/", {"dataset": "snapshots", "file": upload})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PENDING
    assert tasks.requeue_stuck_imports() == []  # too young to be stuck; and the queue is still down

    ImportBatch.objects.update(uploaded_at=timezone.now() - timedelta(minutes=6))
    assert tasks.requeue_stuck_imports() == []  # stuck, but the queue is still down: it stays pending
    celery_app.conf.task_always_eager = True  # the queue is back (tasks run here, as a worker would)
    assert tasks.requeue_stuck_imports() == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and Snapshot.objects.count() == 1
    # Delivered again (a second sweep raced the first, or a redelivery): nothing is imported twice.
    assert tasks.requeue_stuck_imports() == []
    tasks.process_import_batch(batch.pk)
    assert JobRun.objects.filter(job="import_backoffice").count() == 1


def test_a_failing_import_marks_its_batch_failed_not_pending_forever(db, monkeypatch):
    user = StaffFactory(role=Role.BRANCH_MANAGER, with_user=True).user
    batch = ImportBatch.objects.create(dataset="snapshots", filename="s.csv", content=b"x", uploaded_by=user)

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "import_file", broken)
    with pytest.raises(RuntimeError):
        services.process_import_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert services.stuck_import_batches(now=timezone.now() + timedelta(hours=1)) == []


def test_rejects_file_neutralises_formulas(db, tmp_path):
    path = tmp_path / "snap.csv"
    path.write_bytes(csv_bytes(SNAP_HEADER, snap(FORMULA.replace('"', '""').join('""'))))
    rejects = tmp_path / "rejects.csv"
    call_command("import_backoffice", "snapshots", str(path), "--skip-invalid", "--rejects", str(rejects),
                 stdout=io.StringIO(), stderr=io.StringIO())
    [row] = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert row["customer_code"] == "'" + FORMULA


def test_drop_folder_errors_file_neutralises_formulas(db, tmp_path, settings):
    settings.BACKOFFICE_DROP_DIR = tmp_path
    (tmp_path / "snapshots.csv").write_bytes(csv_bytes(SNAP_HEADER, snap(FORMULA.replace('"', '""').join('""'))))
    tasks.import_backoffice_drop()
    [row] = list(csv.DictReader((tmp_path / "rejected" / "snapshots.csv.errors.csv").open(encoding="utf-8")))
    assert row["value"] == "'" + FORMULA and row["field"] == "customer_code"
