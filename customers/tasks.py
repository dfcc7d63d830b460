"""Thin Celery tasks: ids in, a service call, idempotent, acks_late, retried, time-limited."""
import logging
import shutil
from pathlib import Path

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from crm.services import job_run

from . import services
from .imports.datasets import IMPORT_ORDER
from .imports.uploader import SYSTEM

log = logging.getLogger(__name__)
TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 30,
    "max_retries": 3,
    "soft_time_limit": 30 * 60,
    "time_limit": 35 * 60,
}


class QueueUnavailable(Exception):
    """The broker could not be reached; the caller tells the user instead of failing."""


class RunTask(Task):
    """Marks the job run (first argument) failed once the task gives up, so no run stays 'running'."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if args:
            services.fail_reclassification(args[0], exc)


@shared_task(**TASK_OPTIONS)
def reclassify(day=None, policy_version=None, user_id=None, chunk_size=None, scan_after=False):
    """Nightly (beat) and "run now": record the run, then one task per chunk for any worker to take.
    scan_after (the nightly run): once the run has published, the alert scan follows (scan_after_publish)."""
    from datetime import date

    from .models import TieringPolicy

    policy = TieringPolicy.objects.get(version=policy_version) if policy_version else None
    run = services.start_reclassification(day=date.fromisoformat(day) if day else None, policy=policy,
                                          chunk_size=chunk_size, user=_user(user_id))
    for lo, hi in run.params["chunks"]:
        reclassify_chunk.delay(run.pk, lo, hi, scan_after=scan_after)
    if not run.params["chunks"]:
        reclassify_publish.delay(run.pk, scan_after=scan_after)
    return run.pk


@shared_task(base=RunTask, **TASK_OPTIONS)
def reclassify_chunk(run_id, lo, hi, scan_after=False):
    if services.reclassify_chunk(run_id, lo, hi):  # the last chunk in publishes the run
        reclassify_publish.delay(run_id, scan_after=scan_after)


@shared_task(base=RunTask, **TASK_OPTIONS)
def reclassify_publish(run_id, scan_after=False):
    run = services.publish_reclassification(run_id)
    if scan_after:
        scan_after_publish(run)


def scan_after_publish(run):
    """The night's alert scan, queued once the reclassification `run` has published (two alert rules read the
    new tiers): on commit, so a scan never reads tiers that are not there yet. A failed run queues nothing
    (beat's late safety run scans then). A second delivery of the publish task queues a scan that finds the
    first and does nothing (alerts.tasks.scan_alerts, unless_since)."""
    from crm.models import JobRun

    if run.status != JobRun.Status.SUCCEEDED:
        return

    def send():
        from alerts.tasks import scan_alerts

        try:
            scan_alerts.apply_async(kwargs={"unless_since": run.finished_at.isoformat()}, retry=False)
        except BrokerError:
            log.warning("queue unreachable: the alert scan after run %s waits for beat's safety run", run.pk)

    transaction.on_commit(send)


def enqueue_reclassification(*, user=None, day=None, policy_version=None):
    """For the "run now" button: raises QueueUnavailable when the broker cannot be reached."""
    try:
        return reclassify.apply_async(kwargs={"day": day.isoformat() if day else None,
                                              "policy_version": policy_version,
                                              "user_id": user.pk if user else None}, retry=False)
    except BrokerError as exc:
        raise QueueUnavailable(str(exc)) from exc


@shared_task(**TASK_OPTIONS)
def tiering_preview(policy_version, user_id=None):
    """Compute a draft's migration matrices against the active policy; the result lives on the job run."""
    from .models import TieringPolicy
    from .tiering.policy import preview

    draft = TieringPolicy.objects.get(version=policy_version)
    with job_run("tiering_preview", params={"policy_version": policy_version}, user=_user(user_id)) as run:
        result = preview(draft)
        run.counts = {
            "date": result["day"].isoformat(), "against": result["against"], "moved": result["moved"],
            "matrices": {field: {"rows": [str(i) for i in m.index], "columns": [str(c) for c in m.columns],
                                 "cells": m.to_numpy().tolist()} for field, m in result["matrices"].items()},
        }
    return run.pk


def _user(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


@shared_task(**TASK_OPTIONS)
def process_import_batch(batch_id):
    batch = services.process_import_batch(batch_id)
    return {"batch": batch.pk, "status": batch.status}


def enqueue_import_batch(batch_id):
    """Send after the batch row is committed; raise QueueUnavailable if Redis is down."""
    def send():
        process_import_batch.apply_async(args=[batch_id], retry=False)

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(send)
        return
    try:
        send()
    except BrokerError as exc:
        raise QueueUnavailable(str(exc)) from exc


@shared_task(**TASK_OPTIONS)
def requeue_stuck_imports():
    """Beat, every few minutes: uploads still pending (the queue was down at upload, or the task was lost) are
    queued again. Idempotent: a batch already imported, or being imported, is skipped by the task."""
    requeued = []
    for batch_id in services.stuck_import_batches():
        try:
            process_import_batch.apply_async(args=[batch_id], retry=False)
        except BrokerError:
            log.warning("queue still unreachable: upload %s stays pending", batch_id)
            break
        requeued.append(batch_id)
    return requeued


@shared_task(**TASK_OPTIONS)
def import_backoffice_drop():
    """Nightly: import every `<dataset>*.csv` in the drop folder, in dependency order.

    Imported files move to done/, rejected ones to rejected/ with an .errors.csv beside them.
    """
    drop = Path(settings.BACKOFFICE_DROP_DIR)
    results = {}
    for dataset in IMPORT_ORDER:
        for path in sorted(drop.glob(f"{dataset}*.csv")):
            result = services.import_backoffice(dataset, path.read_bytes(), uploader=SYSTEM, filename=path.name)
            target = drop / ("done" if result.written else "rejected")
            target.mkdir(parents=True, exist_ok=True)
            if not result.written:
                _write_errors(result, target / f"{path.name}.errors.csv")
            shutil.move(str(path), target / path.name)
            results[path.name] = result.counts()
            log.info("imported %s: %s", path.name, result.counts())
    return results


def _write_errors(result, path):
    """The rejected file's errors (the first ones kept, then how many more); cells neutralised for spreadsheets."""
    import csv

    from crm.exports import neutralise

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "field", "value", "message"])
        for e in result.errors:
            writer.writerow([e["line"], neutralise(e["field"]), neutralise(e["value"]), neutralise(e["message"])])
        if result.error_count > len(result.errors):
            writer.writerow(["", "", "", _("… and %(n)d more errors") % {"n": result.error_count - len(result.errors)}])
