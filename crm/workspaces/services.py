"""Writes of the workspaces: the coverage-KPI targets (versioned policy)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import KpiPolicy
from crm.services import audit
from customers.models import Role
from customers.scope import scope_for

from .targets import KpiTargets


def can_edit_targets(user):
    scope = scope_for(user)
    return scope.everything or scope.role == Role.BRANCH_MANAGER


@transaction.atomic
def save_targets(*, user, params, note=""):
    """A new active version of the KPI targets from a full set of values; the previous one is retired (audited)."""
    if not can_edit_targets(user):
        raise PermissionDenied(_("Only branch managers change the coverage targets."))
    values = params if isinstance(params, KpiTargets) else KpiTargets.from_json(params)
    errors = values.validate()
    if errors:
        raise ValidationError(errors)
    # Lock the policy rows first: two managers saving at once get versions n+1 and n+2, one active.
    rows = list(KpiPolicy.objects.select_for_update().order_by("version"))
    version = (max((r.version for r in rows), default=0)) + 1
    previous = next((r for r in rows if r.status == KpiPolicy.Status.ACTIVE), None)
    if previous:
        previous.status = KpiPolicy.Status.RETIRED
        previous.save(update_fields=["status"])
    policy = KpiPolicy.objects.create(version=version, params=values.to_json(), note=note, created_by=user)
    audit(user, "kpi_policy.create", policy, version=version, note=note,
          replaced=previous.version if previous else None)
    return policy
