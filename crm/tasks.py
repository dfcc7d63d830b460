"""Thin Celery tasks of the shared layer."""
from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3,
             soft_time_limit=60, time_limit=90)
def abandon_stale_runs():
    """Idempotent: a second delivery finds nothing left running too long."""
    return services.abandon_stale_runs()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3,
             soft_time_limit=20 * 60, time_limit=25 * 60)
def store_product_coverage():
    """Idempotent: the same dates and band replace what was stored."""
    from .workspaces.services import store_product_coverage as store

    with services.job_run("store_product_coverage") as run:
        run.counts = {"groups": store()}
    return run.counts
