"""Alerts: versioned thresholds, the alerts themselves (one active per customer and rule) and their history."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import PolicyVersion
from customers.models import MONEY, Customer, Staff

ACTIVE = ("open", "acknowledged", "contacted")
CLOSED = ("resolved", "dismissed")


class AlertPolicy(PolicyVersion):
    """One version of every alert threshold (alerts.params.AlertParams). Exactly one is active."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("policy status", "active")
        RETIRED = "retired", pgettext_lazy("policy status", "retired")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta(PolicyVersion.Meta):
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="active"),
                                               name="one_active_alert_policy")]
        verbose_name = _("alert policy")
        verbose_name_plural = _("alert policies")


class Rule(models.TextChoices):
    LARGE_OUTFLOW = "large_outflow", _("Large outflow")
    FALLING_TRADING = "falling_trading", _("Falling trading")
    PNL_THRESHOLD = "pnl_threshold", _("Loss / gain threshold")
    ASSETS_ELSEWHERE = "assets_elsewhere", _("Assets elsewhere")
    CLOSING_APPLICATION = "closing_application", _("Closing / transfer application")
    LIFECYCLE_DECLINE = "lifecycle_decline", _("Lifecycle → decline")
    ID_EXPIRY = "id_expiry", _("ID card expiry")
    IPO_PAYMENT = "ipo_payment", _("IPO win payment")
    RIGHTS_PAYMENT = "rights_payment", _("Rights issue payment")
    MARGIN_RATIO = "margin_ratio", _("Margin maintenance ratio")
    DEBT_MATURITY = "debt_maturity", _("Margin debt maturity")
    ASSESSMENT_EXPIRY = "assessment_expiry", _("Risk assessment expiry")
    BIRTHDAY = "birthday", _("Birthday")
    CONTACT_DUE = "contact_due", _("Service contact due")


class Level(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    REMINDER = "reminder", _("Reminder")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CONTACTED = "contacted", _("Contacted")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class Outcome(models.TextChoices):
    RETAINED = "retained", _("Retained")
    FUNDS_RETURNED = "funds_returned", _("Funds returned")
    LOST = "lost", _("Lost")
    NOT_A_RISK = "not_a_risk", _("Not a real risk")


class DismissReason(models.TextChoices):
    """Why an advisor dismissed an alert; "not a risk" is the rule's false positive in the precision measure."""
    NOT_A_RISK = "not_a_risk", _("Not a risk")
    DUPLICATE = "duplicate", _("Duplicate")
    WRONG_DATA = "wrong_data", _("Wrong data")
    ALREADY_HANDLED = "already_handled", _("Customer already handled")
    OTHER = "other", _("Other (see note)")


class Alert(models.Model):
    # FK lookups use the composite indexes below (customer, rule) and (owner, status): fewer indexes to
    # maintain when the nightly scan inserts 100k+ rows
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="alerts",
                                 verbose_name=_("customer"), db_index=False)
    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    evidence = models.JSONField(_("evidence"), default=dict)
    fire_key = models.CharField(max_length=40, blank=True)  # the event behind an event-like firing (a date, …)
    owner = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts",
                              verbose_name=_("owner"), db_index=False)
    manager = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("office manager"), db_index=False)  # informed (red) or escalated to (overdue)
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)  # acknowledgement SLA
    first_fired_on = models.DateField(_("first fired"))
    last_fired_on = models.DateField(_("last fired"))
    fire_count = models.PositiveIntegerField(_("nights fired"), default=1)
    opened_run_id = models.BigIntegerField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    funds_returned = models.DecimalField(_("funds returned"), null=True, blank=True, **MONEY)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    dismiss_reason = models.CharField(_("dismiss reason"), max_length=16, choices=DismissReason.choices, blank=True)
    # out of the inbox's active view, today's list and escalation before this date; active again on it
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    # a reminder that can wait (alerts.batch.opening_dates): not work before this date — out of the active view,
    # today's list (except as a note on a card of the customer's) and escalation until then
    opens_on = models.DateField(_("opens on"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "rule"], condition=Q(status__in=ACTIVE),
                                    name="one_active_alert_per_customer_rule"),
        ]
        indexes = [
            models.Index(fields=["customer", "rule"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["opened_run_id"]),
        ]
        verbose_name = _("alert")

    def __str__(self):
        return f"#{self.pk} {self.rule} {self.customer_id}"

    @property
    def is_active(self):
        return self.status in ACTIVE

    def is_snoozed(self, day):
        return self.snoozed_until is not None and self.snoozed_until > day

    def is_waiting(self, day):
        return self.opens_on is not None and self.opens_on > day


class AlertTransition(models.Model):
    """Every change of an alert: who, when, from, to, note (append-only)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions", db_index=False)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)  # empty for the nightly scan and the escalation job
    action = models.CharField(_("action"), max_length=12)  # opened, transition, escalated, contact, snoozed
    from_status = models.CharField(_("from"), max_length=14, blank=True, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=14, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, blank=True, choices=Outcome.choices)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    interaction_id = models.BigIntegerField(null=True, blank=True)
    until = models.DateField(_("snoozed until"), null=True, blank=True)  # a snooze's end

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alert", "at"])]


class TodayListEntry(models.Model):
    """One customer on one advisor's today list on one day, recorded once a day after the nightly scan (the list
    itself is computed when read): the measures' "share of today's list done" counts these against the contacts
    of the same day."""

    day = models.DateField(_("day"))
    advisor = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    rank = models.PositiveSmallIntegerField(_("rank"))
    value_at_risk = models.FloatField(_("value at risk"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "advisor", "customer"], name="one_today_entry")]
        indexes = [models.Index(fields=["advisor", "day"])]
        verbose_name = _("today list entry")


class ChurnModel(models.Model):
    """One trained version of the learned churn risk (alerts/churn/): its training window, features, backtest
    figures and the fitted estimator serialized under MEDIA_ROOT. At most one is active (a manager's choice)."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("churn model status", "draft")
        ACTIVE = "active", pgettext_lazy("churn model status", "active")
        RETIRED = "retired", pgettext_lazy("churn model status", "retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    algorithm = models.CharField(_("algorithm"), max_length=40)
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"), default=90)
    trained_at = models.DateTimeField(_("trained"))
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("trained by"))
    training_cutoffs = models.JSONField(_("training cut-offs"), default=list)  # ISO dates
    test_cutoff = models.DateField(_("test cut-off"), null=True, blank=True)
    features = models.JSONField(_("features"), default=list)  # feature codes, in the estimator's column order
    metrics = models.JSONField(_("backtest"), default=dict)  # model and rules: auc, top-k, calibration, lift
    file = models.CharField(_("file"), max_length=200, blank=True)  # relative to MEDIA_ROOT
    checksum = models.CharField(_("checksum"), max_length=64, blank=True)  # sha256 of the file
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("activated by"))

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="active"),
                                               name="one_active_churn_model")]
        verbose_name = _("churn model")

    def __str__(self):
        return f"churn model v{self.version} ({self.status})"


class ChurnScore(models.Model):
    """A customer's churn risk on one night (history kept a year): probability within the model's horizon and
    the top reasons that raise it ([{"feature": code, "contribution": float}], words added when read)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    scored_on = models.DateField(_("scored on"))
    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, related_name="scores", db_index=False)
    risk = models.FloatField(_("churn risk"))
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "scored_on"], name="one_churn_score_per_day")]
        indexes = [models.Index(fields=["scored_on"])]
        verbose_name = _("churn score")
