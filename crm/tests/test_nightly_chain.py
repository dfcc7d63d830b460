"""The night's alert scan runs when the night's reclassification has published (issue 22), not at a fixed time
that may come first; beat keeps a late safety run that does nothing when the date was scanned already.

Celery runs eagerly here (test settings); crm/tests/test_celery_e2e.py runs the same chain on a real worker."""
from datetime import timedelta

import pytest

from alerts import services as alert_services
from alerts import tasks as alert_tasks
from crm.celery import app
from crm.models import JobRun
from customers import tasks
from customers.models import CurrentTier, TierSnapshot
from customers.tests.test_tiering_batch import DAY, small_book


@pytest.fixture
def book(db):
    return small_book()


@pytest.fixture
def scans(monkeypatch):
    """Each scan run, with what it found published when it started."""
    seen = []
    real = alert_services.run_scan

    def run_scan(**kwargs):
        reclassified = JobRun.objects.filter(job="reclassify").first()
        seen.append({"day": kwargs["day"], "reclassify": reclassified.status if reclassified else None,
                     "snapshots": TierSnapshot.objects.filter(date=DAY).count(),
                     "current": CurrentTier.objects.filter(as_of=DAY).count()})
        return real(**kwargs)

    monkeypatch.setattr(alert_services, "run_scan", run_scan)
    return seen


def sent_scans(queued):
    """Run the callbacks queued for commit that send the scan (others, e.g. PostgreSQL's VACUUM after a run,
    cannot run inside the test's transaction); returns how many there were."""
    sends = [c for c in queued if "scan_after_publish" in c.__qualname__]
    for send in sends:
        send()
    return len(sends)


def scan_runs():
    return list(JobRun.objects.filter(job="scan_alerts").order_by("started_at"))


def test_the_nightly_run_scans_once_it_has_published(book, scans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        tasks.reclassify.apply(kwargs={"day": DAY.isoformat(), "chunk_size": 10, "scan_after": True})
    assert scans == []  # the scan is sent on commit of the publish, not before
    assert sent_scans(queued) == 1
    # when the scan started, the run had published all 25 customers' tiers (3 chunks of ids)
    assert scans == [{"day": DAY, "reclassify": JobRun.Status.SUCCEEDED, "snapshots": 25, "current": 25}]
    (scan,) = scan_runs()
    assert scan.status == JobRun.Status.SUCCEEDED and scan.params["date"] == DAY.isoformat()
    assert scan.started_at >= JobRun.objects.get(job="reclassify").finished_at


def test_run_now_does_not_scan(book, scans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        tasks.reclassify.apply(kwargs={"day": DAY.isoformat()})
    assert sent_scans(queued) == 0
    assert JobRun.objects.get(job="reclassify").status == JobRun.Status.SUCCEEDED
    assert scans == [] and scan_runs() == []


def test_a_failed_run_queues_no_scan(book, scans, django_capture_on_commit_callbacks):
    failed = JobRun.objects.create(job="reclassify", status=JobRun.Status.FAILED, params={"date": DAY.isoformat()})
    with django_capture_on_commit_callbacks() as queued:
        tasks.scan_after_publish(failed)
    assert sent_scans(queued) == 0 and scans == []


def test_a_second_delivery_of_the_publish_scans_nothing_more(book, scans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        tasks.reclassify.apply(kwargs={"day": DAY.isoformat(), "scan_after": True})
    sent_scans(queued)
    run = JobRun.objects.get(job="reclassify")
    with django_capture_on_commit_callbacks() as queued:
        tasks.reclassify_publish.apply(args=[run.pk], kwargs={"scan_after": True})  # redelivered (acks_late)
    assert sent_scans(queued) == 1  # sent again, and the scan finds the first one
    assert len(scans) == 1 and len(scan_runs()) == 1


def test_the_safety_run_scans_only_a_date_not_scanned_yet(book, scans):
    # the reclassification failed or was lost: the safety run scans with the tiers in force
    assert alert_tasks.scan_alerts.apply(kwargs={"unless_done": True}).get() is not None
    assert len(scan_runs()) == 1 and scans[0]["day"] == DAY
    # once the date is scanned, the safety run does nothing
    assert alert_tasks.scan_alerts.apply(kwargs={"unless_done": True}).get() is None
    assert len(scan_runs()) == 1
    # a failed scan does not count as done
    JobRun.objects.filter(job="scan_alerts").update(status=JobRun.Status.FAILED)
    assert alert_tasks.scan_alerts.apply(kwargs={"unless_done": True}).get() is not None
    assert len(scan_runs()) == 2


def test_a_scan_before_the_publish_does_not_stop_the_chained_one(book, scans, django_capture_on_commit_callbacks):
    """A slow night: the safety run scanned before the reclassification published; the chained scan still
    runs, so the alerts read the new tiers."""
    alert_tasks.scan_alerts.apply(kwargs={"unless_done": True})
    JobRun.objects.filter(job="scan_alerts").update(started_at=JobRun.objects.get().started_at - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as queued:
        tasks.reclassify.apply(kwargs={"day": DAY.isoformat(), "scan_after": True})
    sent_scans(queued)
    assert len(scan_runs()) == 2 and scans[-1]["snapshots"] == 25


def test_beat_chains_the_scan_and_keeps_only_a_late_safety_run():
    schedule = app.conf.beat_schedule
    assert schedule["reclassify"]["kwargs"] == {"scan_after": True}
    fixed = [entry for entry in schedule.values() if entry["task"] == "alerts.tasks.scan_alerts"]
    assert len(fixed) == 1 and fixed[0]["kwargs"] == {"unless_done": True}
    assert fixed[0]["schedule"].hour == {6}  # after the reclassification's worst case, before the working day
