"""Writes of the planner: tasks and appointments and the secret calendar feed.

Who may: the role needs Write.PLAN_TASKS (customers.rights); a task's customer must be in the actor's scope and
in its owner's; an advisor plans for themself, a manager (office or branch) for any colleague in scope. Only the
task's owner or a manager who sees it completes, reschedules or cancels it."""
import hashlib
import secrets
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.services import audit
from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, refuse_longer
from customers.rights import Write
from customers.scope import MANAGER_ROLES, scope_for

from . import selectors
from .models import CalendarFeed, Task


class TaskNotFound(PermissionDenied):
    """The task does not exist or is outside the actor's scope (reads like absent: 404)."""


def _planning_scope(actor):
    scope = scope_for(actor)
    if not scope.may(Write.PLAN_TASKS):
        raise PermissionDenied(str(Write.PLAN_TASKS))
    return scope


def _is_manager(scope):
    return scope.everything or scope.role in MANAGER_ROLES


def may_change(scope, task):
    """Whether the scope (which sees the task) may complete, reschedule or cancel it: its owner or a manager."""
    return scope.may(Write.PLAN_TASKS) and (task.owner_id == getattr(scope.staff, "pk", None) or _is_manager(scope))


PLAN_HORIZON = timedelta(days=3660)  # plans lie within ten years of today (and far from the calendar's ends)


def _check_times(due_at, ends_at):
    now = timezone.now()
    for field, value in (("due_at", due_at), ("ends_at", ends_at)):
        if value is not None and (timezone.is_naive(value) or value.year in (1, 9999)
                                  or abs(value - now) > PLAN_HORIZON):
            raise ValidationError({field: [_("Give a date within ten years of today.")]})
    if due_at is None:
        raise ValidationError({"due_at": [_("Give a date and a time.")]})
    if ends_at is not None and ends_at < due_at:
        raise ValidationError({"ends_at": [_("An appointment ends after it starts.")]})


@transaction.atomic
def create_task(*, actor, title, due_at, kind=Task.Kind.CALL_BACK, customer=None, owner=None, notes="",
                ends_at=None, location="", source=Task.Source.PERSON, source_id=None):
    """A new open task (an appointment when it has an end). For a source other than a person, a second call for
    the same source while its task is open returns that task (a double click plans nothing twice)."""
    scope = _planning_scope(actor)
    owner = owner or scope.staff
    if owner is None:
        raise ValidationError({"owner": [_("Choose whose task it is.")]})
    if not (owner.is_active and scope.staff_queryset().filter(pk=owner.pk).exists()):
        raise PermissionDenied
    if owner != scope.staff and not _is_manager(scope):
        raise PermissionDenied  # an advisor plans for themself only
    if customer is not None:
        owners_reach = selectors.staff_scope(owner).customers()
        if not (scope.customers().filter(pk=customer.pk).exists()
                and owners_reach.filter(pk=customer.pk).exists()):
            raise PermissionDenied
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the task a title.")]})
    refuse_longer(title=(title, SHORT_TEXT_MAX_LENGTH), notes=(notes, NOTE_MAX_LENGTH),
                  location=(location, SHORT_TEXT_MAX_LENGTH))
    if kind not in Task.Kind.values:
        raise ValidationError({"kind": [_("Choose a kind.")]})
    _check_times(due_at, ends_at)
    if source != Task.Source.PERSON:
        existing = Task.objects.filter(source=source, source_id=source_id, status=Task.Status.OPEN).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            task = Task.objects.create(owner=owner, customer=customer, kind=kind, title=title, notes=notes,
                                       due_at=due_at, ends_at=ends_at, location=location, source=source,
                                       source_id=source_id, created_by=actor)
    except IntegrityError:  # the same source planned at the same moment by another request
        return Task.objects.get(source=source, source_id=source_id, status=Task.Status.OPEN)
    audit(actor, "planner.task.create", task, owner=owner.pk, source=source, source_id=source_id)
    return task


def _task_to_change(actor, task_id):
    """The task, locked, if the actor sees it and is its owner or a manager; PermissionDenied otherwise."""
    scope = _planning_scope(actor)
    try:
        task = selectors.tasks_in(scope).select_for_update(of=("self",)).get(pk=task_id)
    except Task.DoesNotExist:
        raise TaskNotFound from None
    if not may_change(scope, task):
        raise PermissionDenied
    if not task.is_open:
        raise ValidationError({"status": [_("The task is no longer open.")]})
    return task


@transaction.atomic
def complete_task(*, actor, task_id, note=""):
    task = _task_to_change(actor, task_id)
    refuse_longer(note=(note, NOTE_MAX_LENGTH))
    task.status, task.completed_at = Task.Status.DONE, timezone.now()
    if note:
        task.notes = f"{task.notes}\n{note}".strip()[:NOTE_MAX_LENGTH]
    task.save(update_fields=["status", "completed_at", "notes"])
    audit(actor, "planner.task.complete", task)
    return task


@transaction.atomic
def cancel_task(*, actor, task_id, note=""):
    task = _task_to_change(actor, task_id)
    refuse_longer(note=(note, NOTE_MAX_LENGTH))
    task.status = Task.Status.CANCELLED
    if note:
        task.notes = f"{task.notes}\n{note}".strip()[:NOTE_MAX_LENGTH]
    task.save(update_fields=["status", "notes"])
    audit(actor, "planner.task.cancel", task)
    return task


@transaction.atomic
def reschedule(*, actor, task_id, due_at, ends_at=None):
    """Move a task; an appointment keeps its length unless a new end is given."""
    task = _task_to_change(actor, task_id)
    if ends_at is None and task.ends_at is not None and due_at is not None:
        _check_times(due_at, None)  # before the sum, which a date at the calendar's end would overflow
        ends_at = due_at + (task.ends_at - task.due_at)
    _check_times(due_at, ends_at)
    before = task.due_at
    task.due_at, task.ends_at = due_at, ends_at
    task.save(update_fields=["due_at", "ends_at"])
    audit(actor, "planner.task.reschedule", task, before=before.isoformat(), after=due_at.isoformat())
    return task


def task_from_interaction(interaction, *, actor, kind, due_at, note=""):
    """The contact's "next step": a task for whoever logged it, about the same customer."""
    title = (note.strip().splitlines() or [""])[0][:SHORT_TEXT_MAX_LENGTH] or str(Task.Kind(kind).label)
    return create_task(actor=actor, title=title, notes=note, kind=kind, due_at=due_at,
                       customer=interaction.customer, source=Task.Source.INTERACTION, source_id=interaction.pk)


def _owner_or_self(scope, owner):
    """An object's owner when the actor may plan for them (themself, or a colleague for a manager), else the
    actor."""
    if owner is not None and (owner == scope.staff or _is_manager(scope)) \
            and scope.staff_queryset().filter(pk=owner.pk, is_active=True).exists():
        return owner
    return scope.staff


def task_from_alert(alert_id, *, actor, due_at=None, kind=Task.Kind.CALL_BACK, title="", notes=""):
    """A task about an alert the actor sees (alerts.selectors.alert_detail decides), for the alert's owner when
    the actor may plan for them; due by the alert's deadline unless told otherwise."""
    from alerts.models import Alert
    from alerts.selectors import alert_detail

    scope = _planning_scope(actor)
    try:
        alert = alert_detail(actor, alert_id)
    except Alert.DoesNotExist:
        raise PermissionDenied from None
    due_at = due_at or max(alert.due_at or timezone.now(), timezone.now())
    title = title or _("Alert: %(rule)s") % {"rule": alert.get_rule_display()}
    return create_task(actor=actor, title=title, notes=notes, kind=kind, due_at=due_at, customer=alert.customer,
                       owner=_owner_or_self(scope, alert.owner), source=Task.Source.ALERT, source_id=alert.pk)


FOLLOW_UP_HOUR = time(9, 0)  # a survey follow-up's due day becomes a morning call


def task_from_survey_followup(followup_id, *, actor, due_at=None, kind=Task.Kind.CALL_BACK, title="", notes=""):
    """A task about a survey follow-up the actor sees (surveys.selectors.tasks_for), for its owner when the actor
    may plan for them; due on the follow-up's due day at 09:00 unless told otherwise."""
    from surveys.models import FollowUpTask
    from surveys.selectors import tasks_for

    scope = _planning_scope(actor)
    try:
        followup = tasks_for(actor).get(pk=followup_id)
    except FollowUpTask.DoesNotExist:
        raise PermissionDenied from None
    due_at = due_at or timezone.make_aware(datetime.combine(followup.due_on, FOLLOW_UP_HOUR))
    title = title or _("Survey follow-up: %(category)s") % {"category": followup.get_category_display()}
    return create_task(actor=actor, title=title, notes=notes or followup.detail, kind=kind, due_at=due_at,
                       customer=followup.customer, owner=_owner_or_self(scope, followup.owner),
                       source=Task.Source.SURVEY, source_id=followup.pk)


# --- the calendar feed -------------------------------------------------------------------------------------------

def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def new_feed(*, actor):
    """A new secret feed URL token for the actor (returned once; only its hash is kept); the old one stops."""
    scope = scope_for(actor)
    if not scope.may(Write.MANAGE_OWN_FEED):
        raise PermissionDenied(str(Write.MANAGE_OWN_FEED))
    now = timezone.now()
    CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, token_hash=token_hash(token))
    audit(actor, "planner.feed.create", feed)
    return token


@transaction.atomic
def revoke_feed(*, actor):
    """Stop the actor's feed URL; returns how many were live (0 or 1)."""
    scope = scope_for(actor)
    if not scope.may(Write.MANAGE_OWN_FEED):
        raise PermissionDenied(str(Write.MANAGE_OWN_FEED))
    revoked = CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit(actor, "planner.feed.revoke", object_type="planner.calendarfeed", object_id=str(actor.pk))
    return revoked

