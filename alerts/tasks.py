"""Thin Celery tasks: the nightly scan (beat, after the import) and the SLA escalation (beat, frequent)."""
from datetime import date

from celery import shared_task

from customers.tasks import TASK_OPTIONS

from . import advisor_work, services


@shared_task(bind=True, **TASK_OPTIONS)
def scan_alerts(self, day=None):
    """Idempotent for a date: a retry or a second run merges the same firings into the same alerts."""
    run = services.run_scan(day=date.fromisoformat(day) if day else None, task_id=self.request.id or "")
    advisor_work.record_today_lists()  # the lists the advisors work today, for the measures
    return run.pk


@shared_task(**TASK_OPTIONS)
def escalate_overdue():
    return services.escalate_overdue()
