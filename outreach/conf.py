"""Sending knobs: settings OUTREACH_* first, then the environment (a worker started by a test sets them), then
the defaults here. Read on use, never at import."""
import os

from django.conf import settings

DEFAULTS = {
    "RETRY_BACKOFF": 30,  # seconds before the first retry of a channel that is down; doubles each time
    "MAX_RETRIES": 6,  # 30 s … 16 min: about half an hour of outage before the messages show as failed
    "SENDING_LEASE": 600,  # seconds after which a message a lost worker held is taken again
    "BATCH_SIZE": 200,  # messages per send task
    "STAFF_EMAIL_DOMAIN": "branch.example",  # staff without an e-mail: <username or staff code>@domain ("" = none)
}
# messages per window (count, seconds) per channel, shared by every worker (the shared cache).
# WeChat Work's group robot takes 20 messages a minute.
DEFAULT_RATE_LIMITS = {"email": (100, 1), "wecom": (20, 60), "sms": (50, 1)}


def get(name):
    if hasattr(settings, f"OUTREACH_{name}"):
        return getattr(settings, f"OUTREACH_{name}")
    value = os.environ.get(f"OUTREACH_{name}")
    if value is None:
        return DEFAULTS[name]
    return type(DEFAULTS[name])(value)


def rate_limit(channel):
    """(count, seconds) or None (no limit)."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "OUTREACH_RATE_LIMITS", {})}
    return limits.get(channel)
