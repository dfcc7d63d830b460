"""Thin Celery tasks: the nightly scan (chained after the night's reclassification publishes, with a late beat
safety run), the SLA escalation (beat, frequent), and the churn model: scoring after the scan (with its own late
safety run), training monthly and on demand."""
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
    from outreach.tasks import push_alerts  # outreach builds on alerts: imported when used

    push_alerts.delay()  # red alerts to their advisors and managers, once each
    score_churn.delay(scan_day.isoformat())  # its own task: a failed scoring never repeats the scan
    return run.pk


@shared_task(**TASK_OPTIONS)
def escalate_overdue():
    escalated = services.escalate_overdue()
    if escalated:
        from outreach.tasks import push_alerts

        push_alerts.delay()  # the office managers hear of their escalations at once
    return escalated


# Scoring reads the features of the whole branch and predicts in chunks: a few minutes at most
CHURN_SCORE_OPTIONS = {**TASK_OPTIONS, "soft_time_limit": 20 * 60, "time_limit": 25 * 60}


@shared_task(bind=True, **CHURN_SCORE_OPTIONS)
def score_churn(self, day=None, unless_done=False):
    """Scores of every customer with the active churn model for the date (default: the latest data date).
    Idempotent: a re-run replaces the date's scores. unless_done (beat's late safety run): nothing to do if the
    date was scored already. Returns the job run's id, or None (no active model, or skipped)."""
    from .churn import selectors as churn_selectors
    from .churn import services as churn_services

    score_day = date.fromisoformat(day) if day else selectors.default_scan_date()
    if unless_done and churn_selectors.scored(score_day):
        return None
    run = churn_services.score_branch(score_day, task_id=self.request.id or "")
    return run.pk if run else None


@shared_task(bind=True, **TASK_OPTIONS)
def train_churn_model(self, user_id=None, test_cutoff=None, horizon_days=90, algorithm=None):
    """A new draft version (monthly beat, or a manager's "train now"); activation stays a manager's decision."""
    from django.contrib.auth import get_user_model

    from .churn import services as churn_services

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    cutoff = date.fromisoformat(test_cutoff) if test_cutoff else None
    model = churn_services.train_model(user=user, test_cutoff=cutoff, horizon_days=horizon_days,
                                       algorithm=algorithm, task_id=self.request.id or "")
    return model.version
