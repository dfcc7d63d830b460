"""Thin Celery tasks: the nightly scan (chained after the night's reclassification publishes, with a late beat
safety run) and the SLA escalation (beat, frequent)."""
from datetime import date, datetime

from celery import shared_task

from customers.tasks import TASK_OPTIONS

from . import advisor_work, selectors, services


@shared_task(bind=True, **TASK_OPTIONS)
def scan_alerts(self, day=None, unless_since=None, unless_done=False):
    """Idempotent for a date: a retry or a second run merges the same firings into the same alerts.

    unless_since (ISO time; the chain after a reclassification): nothing to do if a scan of the date started
    since then (a duplicate delivery). unless_done (beat's late safety run): nothing to do if the date was
    scanned already, by the chain or by hand. Returns the job run's id, or None when skipped."""
    scan_day = date.fromisoformat(day) if day else selectors.default_scan_date()
    if unless_done or unless_since:
        since = datetime.fromisoformat(unless_since) if unless_since else None
        if selectors.scan_recorded(scan_day, since=since):
            return None
    run = services.run_scan(day=scan_day, task_id=self.request.id or "")
    advisor_work.record_today_lists()  # the lists the advisors work today, for the measures
    return run.pk


@shared_task(**TASK_OPTIONS)
def escalate_overdue():
    return services.escalate_overdue()
