"""Writes of the workspaces: the coverage-KPI targets (versioned policy)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import KpiPolicy
from crm.services import audit
from customers.rights import Write
from customers.scope import scope_for

from .targets import KpiTargets


def can_edit_targets(user):
    return scope_for(user).may(Write.EDIT_KPI_TARGETS)


@transaction.atomic
def save_targets(*, user, params, note=""):
    """A new active version of the KPI targets from a full set of values; the previous one is retired (audited)."""
    if not can_edit_targets(user):
        raise PermissionDenied(_("Only branch managers change the coverage targets."))
    values = params if isinstance(params, KpiTargets) else KpiTargets.from_json(params)
    errors = values.validate()
    if errors:
        raise ValidationError(errors)
    return _new_version(KpiPolicy, "kpi_policy.create", user=user, values=values, note=note)


def _new_version(model, action, *, user, values, note):
    """A new active version of a policy model (one active, the previous retired), audited as `action`.
    The policy rows are locked first: two managers saving at once get versions n+1 and n+2, one active."""
    rows = list(model.objects.select_for_update().order_by("version"))
    version = (max((r.version for r in rows), default=0)) + 1
    previous = next((r for r in rows if r.status == model.Status.ACTIVE), None)
    if previous:
        previous.status = model.Status.RETIRED
        previous.save(update_fields=["status"])
    policy = model.objects.create(version=version, params=values.to_json(), note=note, created_by=user)
    audit(user, action, policy, version=version, note=note, replaced=previous.version if previous else None)
    return policy


def store_product_coverage(day=None):
    """Night, after the reclassification: the product coverage groups of this quarter and the last for the
    active band (crm.models.CoverageCell), replacing those stored for the same dates and band; the manager
    home then reads a few thousand rows instead of aggregating every customer. Set-based: one grouped query
    and one bulk insert per quarter. Returns the groups stored."""
    from decimal import Decimal

    from crm.models import CoverageCell
    from customers.models import Customer

    from .selectors import active_targets, coverage_dates, coverage_groups

    targets, _policy = active_targets()
    band = Decimal(str(targets.product_band))
    dates = coverage_dates(day)
    stored = 0
    for _start, snap_day, run_day in dates:
        if run_day is None:
            continue
        groups = coverage_groups(Customer.objects.all(), snap_day, run_day, band)
        cells = [CoverageCell(snap_day=snap_day, run_day=run_day, band=band, office_id=0)]  # marks the set
        cells += [CoverageCell(snap_day=snap_day, run_day=run_day, band=band, office_id=office_id,
                               advisor_id=advisor_id, investment_advisor_id=investment_advisor_id,
                               effective=effective, small=small, large=large)
                  for office_id, advisor_id, investment_advisor_id, effective, small, large in groups]
        with transaction.atomic():
            CoverageCell.objects.filter(snap_day=snap_day, run_day=run_day, band=band).delete()
            CoverageCell.objects.bulk_create(cells, batch_size=5000)
        stored += len(groups)
    CoverageCell.objects.filter(snap_day__lt=dates[-1][0]).delete()  # older than last quarter: not shown
    return stored


def can_edit_today_policy(user):
    return scope_for(user).may(Write.EDIT_TODAY_POLICY)


@transaction.atomic
def save_today_policy(*, user, params, note=""):
    """A new active version of the today list's values (capacity per role, churn risk per rule); the previous
    one is retired (audited). Branch managers only (Write.EDIT_TODAY_POLICY)."""
    from crm.models import TodayPolicy

    from .today import TodayParams

    if not can_edit_today_policy(user):
        raise PermissionDenied(_("Only branch managers change the today list's policy."))
    values = params if isinstance(params, TodayParams) else TodayParams.from_json(params)
    errors = values.validate()
    if errors:
        raise ValidationError(errors)
    return _new_version(TodayPolicy, "today_policy.create", user=user, values=values, note=note)
