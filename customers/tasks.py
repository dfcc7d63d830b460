"""Thin Celery tasks: ids in, a service call, idempotent, acks_late, retried, time-limited."""
import logging
import shutil
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError

from . import services
from .imports.datasets import IMPORT_ORDER

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
def import_backoffice_drop():
    """Nightly: import every `<dataset>*.csv` in the drop folder, in dependency order.

    Imported files move to done/, rejected ones to rejected/ with an .errors.csv beside them.
    """
    drop = Path(settings.BACKOFFICE_DROP_DIR)
    results = {}
    for dataset in IMPORT_ORDER:
        for path in sorted(drop.glob(f"{dataset}*.csv")):
            result = services.import_backoffice(dataset, path.read_bytes(), filename=path.name)
            target = drop / ("done" if result.written else "rejected")
            target.mkdir(parents=True, exist_ok=True)
            if not result.written:
                _write_errors(result, target / f"{path.name}.errors.csv")
            shutil.move(str(path), target / path.name)
            results[path.name] = result.counts()
            log.info("imported %s: %s", path.name, result.counts())
    return results


def _write_errors(result, path):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "field", "value", "message"])
        for e in result.errors:
            writer.writerow([e["line"], e["field"], e["value"], e["message"]])
