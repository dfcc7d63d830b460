"""Cross-app records: batch job runs and the audit log."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobRun(models.Model):
    """One run of a batch job (import, reclassification, scan): what ran, when, and with what result."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REJECTED = "rejected", _("rejected")  # ran to the end and refused its input (an invalid import)

    job = models.CharField(_("job"), max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"])]
        verbose_name = _("job run")

    def __str__(self):
        return f"{self.job} #{self.pk} {self.status}"


class AuditEvent(models.Model):
    """Append-only: who did what to which object. Never edited, never deleted through the app."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # PROTECT: a user with audit events is deactivated, not deleted, so the log keeps naming them.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class PolicyVersion(models.Model):
    """A version of a set of policy parameters (JSON, validated by the owning app). Subclasses add the status
    with its one-active constraint; every edit is a new version, nothing is edited in place."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    params = models.JSONField(_("parameters"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-version"]

    def __str__(self):
        return f"v{self.version} ({self.get_status_display()})"


class KpiPolicy(PolicyVersion):
    """One version of the coverage-KPI targets of the manager home (crm.workspaces.targets.KpiTargets).
    Exactly one is active; every edit is a new version."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("policy status", "active")
        RETIRED = "retired", pgettext_lazy("policy status", "retired")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta(PolicyVersion.Meta):
        constraints = [models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"),
                                               name="one_active_kpi_policy")]
        verbose_name = _("coverage KPI targets")
        verbose_name_plural = _("coverage KPI targets")


class CoverageCell(models.Model):
    """Product coverage counts for the manager home, aggregated at night (crm.workspaces.services): effective
    customers and those holding products under / at or above the band, per office and advisor pair, for one
    quarter's measuring dates. A row with office 0 marks a computed set (and carries nothing)."""

    snap_day = models.DateField()
    run_day = models.DateField()
    band = models.DecimalField(max_digits=18, decimal_places=2)
    office_id = models.BigIntegerField()
    advisor_id = models.BigIntegerField(null=True)
    investment_advisor_id = models.BigIntegerField(null=True)
    effective = models.PositiveIntegerField(default=0)
    small = models.PositiveIntegerField(default=0)
    large = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["snap_day", "run_day", "band", "office_id"])]


class TodayPolicy(PolicyVersion):
    """One version of the values behind the advisor's today list (crm.workspaces.today.TodayParams): the daily
    capacity per advisor role and the churn risk per alert rule. Exactly one is active; every edit is a new
    version. Before any version is saved the defaults apply."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("policy status", "active")
        RETIRED = "retired", pgettext_lazy("policy status", "retired")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta(PolicyVersion.Meta):
        constraints = [models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"),
                                               name="one_active_today_policy")]
        verbose_name = _("today list policy")
        verbose_name_plural = _("today list policies")
