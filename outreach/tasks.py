"""Thin Celery tasks: message ids in, outreach.services does the work. acks_late (a lost worker's batch is
delivered again; the claim in services makes the second delivery send nothing already sent), retries with
doubling backoff while a channel is down, then the messages show as failed."""
from celery import shared_task

from . import conf, services

SEND_OPTIONS = {"acks_late": True, "soft_time_limit": 10 * 60, "time_limit": 12 * 60, "max_retries": None}


@shared_task(bind=True, **SEND_OPTIONS)
def send_batch(self, message_ids):
    """Send one channel's batch. Messages the channel could not take now come back as a retry of this task with
    only them; after conf MAX_RETRIES retries they are marked failed. Returns (sent, failed, retried) counts."""
    return _send(self, message_ids)


@shared_task(bind=True, **SEND_OPTIONS)
def send_message(self, message_id):
    """One message: the batch's rules for a batch of one."""
    return _send(self, [message_id])


def _send(self, message_ids):
    outcome = services.send_messages(message_ids)
    if outcome.retry:
        retries = self.request.retries
        if retries >= conf.get("MAX_RETRIES"):
            services.give_up(outcome.retry, outcome.error)
        else:
            countdown = conf.get("RETRY_BACKOFF") * 2 ** retries
            services.hold(outcome.retry, seconds=countdown / 2)  # the beat sweep leaves them to this retry
            raise self.retry(args=[outcome.retry], countdown=countdown)
    return len(outcome.sent), len(outcome.failed), len(outcome.retry)


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def sweep_queued():
    """Beat, every five minutes: messages whose task was lost (queue down at dispatch, a worker gone beyond the
    lease) or that waited for quiet hours get a task."""
    return services.sweep()


@shared_task(acks_late=True, soft_time_limit=20 * 60, time_limit=25 * 60, autoretry_for=(Exception,),
             retry_backoff=60, max_retries=3)
def send_digest(day=None):
    """Nightly beat (morning): every advisor's digest of `day` (default today). Idempotent per day."""
    from datetime import date

    from . import digest

    return digest.send_digests(date.fromisoformat(day) if day else None)


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, autoretry_for=(Exception,),
             retry_backoff=30, max_retries=3)
def push_alerts():
    """After the nightly scan and each escalation sweep: push recent red alerts and escalations (once each)."""
    from . import pushes

    return pushes.push_alerts()
