"""SMS through an HTTP gateway (contract: docs/outreach.md). POST SMS_GATEWAY_URL with
{"client_ref", "to", "text", "sender"}; the gateway sends a client_ref at most once (a repeat answers
"duplicate"), so a retry after a lost answer never sends twice."""
import os

from django.conf import settings

from . import Rejected
from .http import post_json


def gateway():
    url = getattr(settings, "OUTREACH_SMS_GATEWAY_URL", "") or os.environ.get("SMS_GATEWAY_URL", "")
    token = getattr(settings, "OUTREACH_SMS_GATEWAY_TOKEN", "") or os.environ.get("SMS_GATEWAY_TOKEN", "")
    return url, token


class SmsChannel:
    def send(self, message):
        if not message.address:
            raise Rejected("no mobile number")
        url, token = gateway()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = post_json(url, {"client_ref": client_ref(message), "to": message.address, "text": message.body,
                                 "sender": getattr(settings, "OUTREACH_SMS_SENDER", "BRANCH")}, headers)
        if answer.get("status") not in ("accepted", "duplicate"):
            raise Rejected(f"gateway answered {answer!r}"[:300])


def client_ref(message):
    """Stable for the message (its event, recipient and channel), whatever the attempt."""
    return f"{message.event_key}|{message.recipient_key}"
