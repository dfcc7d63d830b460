"""Thin Celery tasks for surveys (beat: monthly plan, daily escalation)."""
from datetime import date

from celery import shared_task
from django.utils import timezone

from crm.services import job_run
from customers.tasks import TASK_OPTIONS

from . import services


@shared_task(**TASK_OPTIONS)
def generate_monthly_plan(month=None, seed=None):
    """Draft plans for `month` (ISO date; default: the current month). Regenerating a draft replaces it;
    released plans are never touched, so a retried or repeated run is harmless."""
    day = date.fromisoformat(month) if month else timezone.localdate()
    return services.generate_plans(month=day, seed=seed)


@shared_task(**TASK_OPTIONS)
def escalate_overdue_followups(day=None):
    """Overdue follow-up tasks go to the office manager; each task is escalated once."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    with job_run("survey_escalation", params={"day": today.isoformat()}) as run:
        run.counts = {"escalated": services.escalate_overdue(today)}
    return run.counts
