"""Writes shared by every app: job-run bookkeeping and the audit log."""
import contextlib
import traceback

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, JobRun


def audit(actor, action, obj=None, *, object_type="", object_id="", **detail):
    """Record one audit event; `obj` may be a model instance or omitted in favour of explicit ids."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor, action=action, object_type=object_type, object_id=str(object_id), detail=detail
    )


def audit_many(actor, events, batch_size=2000):
    """Record many audit events in bulk: events are (action, object_type, object_id, detail). Returns how many."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    rows = [AuditEvent(actor=actor, action=action, object_type=object_type, object_id=str(object_id), detail=detail)
            for action, object_type, object_id, detail in events]
    AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def start_job(job, *, params=None, user=None, task_id=""):
    return JobRun.objects.create(job=job, params=params or {}, started_by=user, task_id=task_id or "")


def finish_job(run, *, counts=None, error="", status=None):
    """End a run: failed with an error, else `status` (e.g. rejected) or succeeded."""
    run.status = JobRun.Status.FAILED if error else (status or JobRun.Status.SUCCEEDED)
    run.counts = counts or run.counts
    run.error = error
    run.progress = 100 if not error else run.progress
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "error", "progress", "finished_at"])
    if run.status == JobRun.Status.REJECTED:
        return run  # nothing was written
    from customers.services import (
        touch_books,  # customers builds on crm: imported when first needed
    )

    touch_books(everyone=True)  # a nightly job rewrites what every book shows
    return run


def abandon_stale_runs(now=None, after=None):
    """Runs still 'running' long after any job could (a worker killed beyond its retries, a process that
    died) are marked failed, so the job-runs page and the next run stop waiting for them. Returns how many.

    `after` (default settings.JOB_STALE_AFTER_HOURS, 3 h) exceeds every task's time limit (35 min) plus its
    retries."""
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    after = after or timedelta(hours=getattr(settings, "JOB_STALE_AFTER_HOURS", 3))
    stale = JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=now - after)
    return stale.update(status=JobRun.Status.FAILED, finished_at=now,
                        error=f"abandoned: still running {after} after it started (worker or process gone)")


def set_progress(run, percent):
    JobRun.objects.filter(pk=run.pk).update(progress=max(0, min(100, int(percent))))


@contextlib.contextmanager
def job_run(job, *, params=None, user=None, task_id=""):
    """Wrap a batch: the run row is committed first so a crash still leaves a visible, failed row. The body may
    set `run.status` to the run's outcome (JobRun.Status.REJECTED); it ends succeeded otherwise."""
    with transaction.atomic():
        run = start_job(job, params=params, user=user, task_id=task_id)
    try:
        yield run
    except BaseException as exc:  # record then re-raise: the caller decides retries
        finish_job(run, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
        raise
    else:
        finish_job(run, counts=run.counts, status=None if run.status == JobRun.Status.RUNNING else run.status)
