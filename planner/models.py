"""Tasks and appointments of staff members, and their secret calendar-feed URLs."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Staff


class Task(models.Model):
    """A to-do with a due time; with an end time (and a place) it is an appointment on the calendar."""

    class Kind(models.TextChoices):
        CALL_BACK = "call_back", _("Call back")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        DOCUMENT = "document", _("Document")
        OTHER = "other", pgettext_lazy("task kind", "Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", pgettext_lazy("task status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")

    class Source(models.TextChoices):
        PERSON = "person", pgettext_lazy("task source", "Entered by hand")
        INTERACTION = "interaction", pgettext_lazy("task source", "Next step of a contact")
        ALERT = "alert", pgettext_lazy("task source", "Alert")
        SURVEY = "survey", pgettext_lazy("task source", "Survey follow-up")

    owner = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="planner_tasks",
                              verbose_name=_("owner"), db_index=False)  # (owner, status, due_at) leads with it
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="planner_tasks", verbose_name=_("customer"))
    kind = models.CharField(pgettext_lazy("task", "kind"), max_length=12, choices=Kind.choices, default=Kind.CALL_BACK)
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(pgettext_lazy("task", "source"), max_length=12, choices=Source.choices, default=Source.PERSON)
    source_id = models.BigIntegerField(null=True, blank=True)  # the interaction, alert or survey follow-up task
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_at"]), models.Index(fields=["status", "due_at"])]
        constraints = [
            # one open task per alert / survey follow-up / contact: a second click opens no duplicate
            models.UniqueConstraint(fields=["source", "source_id"], condition=Q(status="open") & ~Q(source="person"),
                                    name="planner_one_open_task_per_source"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("due_at")),
                                   name="planner_task_ends_after_it_starts"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    @property
    def is_appointment(self):
        return self.ends_at is not None


class CalendarFeed(models.Model):
    """A user's secret ICS URL. Only the token's SHA-256 is kept; a new feed revokes the previous one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True),
                                               name="planner_one_live_feed_per_user")]
        verbose_name = _("calendar feed")
