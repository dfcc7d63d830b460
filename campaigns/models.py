"""Campaigns: one message template sent by channel to a segment of customers (1★/2★, a product's push list),
approved by a manager first; and one row per customer it reached or skipped (why)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Office


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("campaign status", "Awaiting approval")
        APPROVED = "approved", pgettext_lazy("campaign status", "Approved")
        SENDING = "sending", pgettext_lazy("campaign status", "Sending")
        DONE = "done", pgettext_lazy("campaign status", "Sent")
        CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")

    class Channel(models.TextChoices):
        # Customers have a mobile number only (no e-mail or WeChat Work address in the back-office files).
        SMS = "sms", pgettext_lazy("outreach channel", "SMS")

    class SegmentKind(models.TextChoices):
        FILTER = "filter", _("Customer list filters")
        PUSH_LIST = "push_list", _("A product's push list")

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    template = models.TextField(_("message"), max_length=500)
    segment_kind = models.CharField(_("segment"), max_length=10, choices=SegmentKind.choices,
                                    default=SegmentKind.FILTER)
    segment_query = models.CharField(_("customer list filters"), max_length=500, blank=True)  # its querystring
    product = models.ForeignKey("products.Product", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("product"))
    # The office whose customers it reaches (an office role's campaign); empty: branch-wide (a branch manager's).
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("office"))
    scheduled_at = models.DateTimeField(_("send at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)  # when sending started (results count after)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"]), models.Index(fields=["office", "-created_at"])]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return f"#{self.pk} {self.name}"


class CampaignRecipient(models.Model):
    """A customer of the approved segment: pending until the send re-checks them, then sent or skipped (why)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", pgettext_lazy("campaign recipient", "Waiting")
        SENT = "sent", pgettext_lazy("campaign recipient", "Handed to the channel")
        SKIPPED_OPT_OUT = "skipped_opt_out", _("Skipped: no marketing consent")
        SKIPPED_DO_NOT_CONTACT = "skipped_do_not_contact", _("Skipped: do not contact")
        SKIPPED_UNSUITABLE = "skipped_unsuitable", _("Skipped: product not suitable")
        SKIPPED_NO_ADDRESS = "skipped_no_address", _("Skipped: no mobile number")
        SKIPPED_CLOSED = "skipped_closed", _("Skipped: account closed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, default=Outcome.PENDING)
    message_id = models.BigIntegerField(null=True, blank=True)  # outreach.Message

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="one_recipient_per_campaign")]
        indexes = [models.Index(fields=["customer"]), models.Index(fields=["campaign", "outcome"])]
        verbose_name = _("campaign recipient")
