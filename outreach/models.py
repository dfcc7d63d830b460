"""Outgoing messages (one row per event × recipient × channel: the log and the idempotency key) and each user's
notification preferences."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Staff


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("outreach channel", "E-mail")
    WECOM = "wecom", pgettext_lazy("outreach channel", "WeChat Work")
    SMS = "sms", pgettext_lazy("outreach channel", "SMS")
    IN_APP = "in_app", pgettext_lazy("outreach channel", "In the CRM")


class EventKind(models.TextChoices):
    DIGEST = "digest", _("Morning digest")
    RED_ALERT = "red_alert", _("Red alert")
    ESCALATION = "escalation", _("Escalation")
    CAMPAIGN = "campaign", _("Campaign")
    TASK_DUE = "task_due", _("Task due")


# Events a user receives when they have set no preferences (campaigns go to customers, never to staff)
DEFAULT_EVENTS = [EventKind.DIGEST, EventKind.RED_ALERT, EventKind.ESCALATION, EventKind.TASK_DUE]


class Message(models.Model):
    """One message to one recipient on one channel for one event. (event_key, recipient_key, channel) is unique:
    dispatching the same event twice creates nothing; sending claims the row, so it goes out once."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("message status", "Queued")
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        FAILED = "failed", pgettext_lazy("message status", "Failed")
        SUPPRESSED = "suppressed", pgettext_lazy("message status", "Suppressed")

    event_key = models.CharField(_("event"), max_length=120)  # e.g. digest:2026-12-05, red_alert:123
    recipient_key = models.CharField(max_length=40)  # staff:<id>, user:<id> or customer:<id>
    event_kind = models.CharField(_("event kind"), max_length=16, choices=EventKind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name=_("recipient"), db_index=False)
    recipient_staff = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                        verbose_name=_("staff member"), db_index=False)
    recipient_customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+", verbose_name=_("customer"), db_index=False)
    address = models.CharField(_("address"), max_length=254, blank=True)  # e-mail, phone, webhook group
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)  # quiet hours, a retry's backoff
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it (status sending)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    campaign_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event_key", "recipient_key", "channel"],
                                               name="one_message_per_event_recipient_channel")]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient_staff", "created_at"]),
            models.Index(fields=["recipient_user", "created_at"]),
            models.Index(fields=["campaign_id", "status"]),
        ]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self):
        return f"#{self.pk} {self.event_key} → {self.recipient_key} ({self.channel}, {self.status})"


class NotificationPreference(models.Model):
    """What a user wants to hear about, where, and when not. A user without a row gets the defaults
    (outreach.selectors.preferences_of): every staff event, by e-mail, no quiet hours."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(_("events"), default=list)  # EventKind values
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    phone = models.CharField(_("mobile for SMS"), max_length=32, blank=True)
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)  # local time (settings.TIME_ZONE)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
