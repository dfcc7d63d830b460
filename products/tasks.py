"""Thin Celery tasks: ids in, a service call, idempotent, acks_late, retried, time-limited."""
from celery import shared_task
from django.contrib.auth import get_user_model

from customers.tasks import TASK_OPTIONS

from . import services


@shared_task(**TASK_OPTIONS)
def matching_summary(user_id=None):
    """Nightly: per product, how many open customers it matches and why the rest do not (a JobRun row)."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return services.run_matching_summary(user=user).pk
