"""Pluggable channels. A channel sends one message (an outreach.models.Message) and either returns (the channel
took it), raises ChannelDown (try again later: the task retries with backoff) or Rejected (this message can never
go: failed at once, e.g. a malformed address). Settings are read when sending, so tests and env can switch them."""
from importlib import import_module

from django.conf import settings

# channel value -> "module.Class"; settings.OUTREACH_CHANNELS may replace or add entries
DEFAULT_CHANNELS = {
    "email": "outreach.channels.email.EmailChannel",
    "wecom": "outreach.channels.wecom.WeComChannel",
    "sms": "outreach.channels.sms.SmsChannel",
    "in_app": "outreach.channels.in_app.InAppChannel",
}


class ChannelDown(Exception):
    """The channel could not take the message now (unreachable, 5xx, rate limited): retry later."""


class Rejected(Exception):
    """The channel refused this message for good (bad address, refused content): retrying cannot help."""


def channel_for(name):
    path = {**DEFAULT_CHANNELS, **getattr(settings, "OUTREACH_CHANNELS", {})}[name]
    module, cls = path.rsplit(".", 1)
    return getattr(import_module(module), cls)()
