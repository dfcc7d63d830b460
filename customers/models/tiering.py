"""Tiering: versioned policy, dated tier snapshots, change log, star overrides, advisor notifications."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .branch import MONEY, Customer, Staff

__all__ = ["TieringPolicy", "TierSnapshot", "TierChange", "StarOverride", "Notification", "TierStaging",
           "TierReportCell", "TierMigrationCell", "TierReport"]


class TieringPolicy(models.Model):
    """One version of every tiering parameter (customers.tiering.params). Exactly one is active."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("policy status", "draft")
        ACTIVE = "active", pgettext_lazy("policy status", "active")
        RETIRED = "retired", pgettext_lazy("policy status", "retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    params = models.JSONField(_("parameters"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="active"),
                                               name="one_active_tiering_policy")]
        verbose_name = _("tiering policy")
        verbose_name_plural = _("tiering policies")

    def __str__(self):
        return f"v{self.version} ({self.get_status_display()})"


class TierFields(models.Model):
    """The result of one run for one customer (shared by the snapshot and its staging row)."""

    star = models.CharField(_("star"), max_length=10, blank=True)
    computed_star = models.CharField(_("star by rank"), max_length=10, blank=True)
    below_runs = models.PositiveSmallIntegerField(default=0)  # consecutive runs ranked below the kept star
    legacy_star = models.CharField(_("legacy star"), max_length=10, blank=True)
    legacy_observed = models.BooleanField(_("under observation"), default=False)
    legacy_year = models.PositiveSmallIntegerField(null=True, blank=True)
    stp_subtype = models.CharField(_("STP sub-type"), max_length=4, blank=True)
    stp_weak = models.BooleanField(_("weak sub-type"), default=False)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=12, blank=True)
    quadrant = models.CharField(_("quadrant"), max_length=1, blank=True)
    cev = models.DecimalField(_("CEV"), **MONEY)
    cpv = models.DecimalField(_("CPV"), **MONEY)
    clv = models.DecimalField(_("CLV"), **MONEY)
    total_assets = models.DecimalField(_("total assets"), null=True, **MONEY)
    overridden = models.BooleanField(_("star overridden"), default=False)
    # The numbers behind the tier, kept as columns so the explanation can be rendered in any language.
    stage_reason = models.CharField(max_length=24, blank=True)
    stage_days = models.IntegerField(null=True, blank=True)  # days since funding / dormant / the figure that fired
    stage_figure = models.FloatField(null=True, blank=True)  # e.g. trade ratio, outflow share
    clv_top_share = models.FloatField(null=True, blank=True)  # 0.03 = in the top 3 % by CLV
    growth = models.FloatField(default=0)
    retention = models.FloatField(default=0)
    neutral_inputs = models.CharField(max_length=80, blank=True)  # survey inputs that took neutral defaults
    survey_on = models.DateField(null=True, blank=True)  # the newest survey answer the run read
    survey_stale_on = models.DateField(null=True, blank=True)  # the newest answer left out as too old
    survey_max_age = models.PositiveSmallIntegerField(null=True, blank=True)  # months (the policy's survey age)
    # Under a policy whose retention comes from the churn model: "model" (with the score's date) or "rules" (no
    # score: the fallback); "" under the rules policy.
    retention_source = models.CharField(max_length=8, blank=True, default="")
    retention_scored_on = models.DateField(null=True, blank=True)
    assets_elsewhere = models.DecimalField(null=True, blank=True, **MONEY)
    securities_share = models.FloatField(null=True, blank=True)
    products_share = models.FloatField(null=True, blank=True)
    holding_days = models.FloatField(null=True, blank=True)  # None = no trades (infinite holding period)
    main_product_share = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class TierSnapshot(TierFields):
    # The unique (customer, date) index serves lookups by customer, so no separate one.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_snapshots", db_index=False)
    date = models.DateField(_("date"))
    # Every row of a run has the same policy, checked once when the run starts; a database constraint would
    # re-check it for each of the run's rows at commit. Policies are never deleted (PROTECT in the ORM).
    policy = models.ForeignKey(TieringPolicy, on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "date"], name="tiersnapshot_customer_date")]
        indexes = [models.Index(fields=["date", "star"]), models.Index(fields=["date", "lifecycle_stage"])]
        ordering = ["customer_id", "date"]


class TierStaging(TierFields):
    """A run's results before they are published in one transaction (a crash leaves only these rows)."""

    run_id = models.BigIntegerField()  # leads the unique (run_id, customer_id) index
    customer_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    rank_value = models.FloatField(default=0)  # CLV, for the branch-wide ranking

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run_id", "customer_id"], name="tierstaging_run_customer")]


class TierChange(models.Model):
    """A star, stage, sub-type or quadrant change made by a run, with its reason."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes", db_index=False)
    date = models.DateField(_("date"), db_index=True)
    field = models.CharField(_("field"), max_length=16)
    old = models.CharField(_("from"), max_length=10, blank=True)
    new = models.CharField(_("to"), max_length=10, blank=True)
    # Why, as data rendered in the reader's language (tiering.explain.change_reason): the rule and its figures,
    # e.g. {"rule": "quadrant", "cev": 5200.0, "cev_cut": 4100.0, ...}.
    reason = models.JSONField(_("reason"), default=dict, blank=True)

    class Meta:
        ordering = ["-date", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "date", "field"], name="tierchange_once_per_run")]


class TierReportCell(models.Model):
    """The tier report pre-aggregated at publish: customers, CEV and the funding cohort of one run date per
    office, kind and combination of tier fields (a few thousand rows instead of every customer)."""

    date = models.DateField()
    office_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    star = models.CharField(max_length=10, blank=True)
    legacy_star = models.CharField(max_length=10, blank=True)
    lifecycle_stage = models.CharField(max_length=12, blank=True)
    quadrant = models.CharField(max_length=1, blank=True)
    stp_subtype = models.CharField(max_length=4, blank=True)
    customers = models.PositiveIntegerField()
    cev = models.DecimalField(**MONEY)
    cohort = models.PositiveIntegerField()  # opened 180–365 days before the date
    cohort_funded = models.PositiveIntegerField()  # of those: funded within 180 days and past budding

    class Meta:
        indexes = [models.Index(fields=["date", "office_id"])]


class TierMigrationCell(models.Model):
    """Customers moving from one value to another of a tier field between a run and the run before it, per
    office (written at publish; other pairs of dates are aggregated on demand)."""

    date = models.DateField()
    date_from = models.DateField()
    office_id = models.BigIntegerField()
    field = models.CharField(max_length=16)
    source = models.CharField(max_length=12, blank=True)
    target = models.CharField(max_length=12, blank=True)
    customers = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["date", "date_from", "field"])]


class TierReport(models.Model):
    """The tier report of one run date for one office (office_id 0: the whole branch), computed from the cells
    when the run is published, with the moves from the run before: the report page reads one row."""

    date = models.DateField()
    office_id = models.BigIntegerField()
    date_from = models.DateField(null=True)
    data = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["date", "office_id"], name="tierreport_date_office")]


class StarOverride(models.Model):
    """A manager pins a customer's star until an expiry date, with a reason."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="star_overrides")
    star = models.CharField(_("star"), max_length=10)
    reason = models.CharField(_("reason"), max_length=200)
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_on"])]


class Notification(models.Model):
    """A message to a staff member about one customer (promotions, demotions, stage changes, …)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="notifications")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24)
    date = models.DateField(null=True, blank=True)  # the run or event date, so a rerun replaces its messages
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["staff", "read_at"])]
