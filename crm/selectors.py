"""Reads shared by every app: the audit log and job runs, with who may read them."""
from django.core.exceptions import PermissionDenied

from customers.scope import scope_for

from .models import AuditEvent


def can_read_audit(user):
    """Compliance and branch managers (and superusers) read the whole log; nobody edits it."""
    return scope_for(user).is_branch_wide


def audit_events(user):
    if not can_read_audit(user):
        raise PermissionDenied
    return AuditEvent.objects.select_related("actor").order_by("-at", "-id")


AUDIT_EXPORT_HEADERS = ("at", "user", "action", "object_type", "object_id", "detail")


def audit_export_rows(queryset, limit=100_000):
    for event in queryset[:limit]:
        yield (event.at.isoformat(timespec="seconds"), event.actor.username if event.actor else "", event.action,
               event.object_type, event.object_id, event.detail)
