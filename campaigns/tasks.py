"""Thin Celery tasks: send one campaign (queued at approval when due) and the beat sweep that sends those whose
time has come. Both idempotent: campaigns.services.send_campaign sends only what is left."""
from celery import shared_task

from customers.tasks import TASK_OPTIONS

from . import services


@shared_task(**TASK_OPTIONS)
def send_campaign(campaign_id):
    counts = services.send_campaign(int(campaign_id))
    return counts


@shared_task(**{**TASK_OPTIONS, "soft_time_limit": 5 * 60, "time_limit": 6 * 60})
def send_due_campaigns():
    """Beat, every few minutes: queue every approved campaign whose time has come."""
    due = services.due_campaigns()
    for campaign_id in due:
        send_campaign.delay(campaign_id)
    return len(due)
