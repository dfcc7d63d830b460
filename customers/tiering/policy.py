"""Policy versions: drafts, activation (audited), and previews that write nothing."""
import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from crm.services import audit

from ..models import TieringPolicy
from ..rights import Write
from ..scope import scope_for
from .batch import active_overrides, chunk_ranges, default_run_date, previous_run_rows
from .compute import assign_tiers, customer_values
from .inputs import activity_data_start
from .params import TieringParams


def _require_branch_manager(user):
    if not scope_for(user).may(Write.EDIT_TIERING_POLICY):
        raise PermissionDenied("Only branch managers change tiering policy.")


def _lock_policies():
    """Serialise policy writes: lock every version row (a small table), in a fixed order. Statements after
    this one see whatever a concurrent writer committed while we waited (READ COMMITTED)."""
    list(TieringPolicy.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def create_draft(*, params, user, note=""):
    """A new version (draft) from a full parameter set; invalid values are refused, field by field."""
    _require_branch_manager(user)
    values = params if isinstance(params, TieringParams) else TieringParams.from_json(params)
    errors = values.validate()
    if errors:
        raise ValidationError(errors)
    _lock_policies()
    version = (TieringPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    policy = TieringPolicy.objects.create(version=version, params=values.to_json(), note=note, created_by=user)
    audit(user, "tiering_policy.create", policy, version=version, note=note)
    return policy


@transaction.atomic
def activate(*, policy, user):
    _require_branch_manager(user)
    _lock_policies()
    policy = TieringPolicy.objects.get(pk=policy.pk)
    if policy.status == TieringPolicy.Status.ACTIVE:
        return policy
    previous = TieringPolicy.objects.filter(status=TieringPolicy.Status.ACTIVE).first()
    if previous:
        previous.status = TieringPolicy.Status.RETIRED
        previous.save(update_fields=["status"])
    policy.status = TieringPolicy.Status.ACTIVE
    policy.activated_by, policy.activated_at = user, timezone.now()
    policy.save(update_fields=["status", "activated_by", "activated_at"])
    audit(user, "tiering_policy.activate", policy, version=policy.version,
          replaced=previous.version if previous else None)
    return policy


def compute_all(params, day, chunk_size=50_000):
    """The full result for `params` in memory (nothing written)."""
    data_start = activity_data_start()
    prev, _ = previous_run_rows(day)
    frames = [customer_values(lo, hi, day, data_start, params, prev) for lo, hi in chunk_ranges(chunk_size)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    return assign_tiers(pd.concat(frames), params, prev, active_overrides(day))


def preview(draft, day=None, against=None):
    """Migration matrices (rows: the active policy's result, columns: the draft's) for star, stage, quadrant and
    sub-type."""
    day = day or default_run_date()
    against = against or TieringPolicy.objects.get(status=TieringPolicy.Status.ACTIVE)
    before = compute_all(TieringParams.from_json(against.params), day)
    after = compute_all(TieringParams.from_json(draft.params), day)
    matrices = {}
    for field in ("star", "lifecycle_stage", "quadrant", "stp_subtype"):
        a = before[field].replace("", "—") if len(before) else pd.Series(dtype=object)
        b = after[field].replace("", "—") if len(after) else pd.Series(dtype=object)
        matrices[field] = pd.crosstab(a.rename("active"), b.rename("draft"))
    moved = {f: int((before[f] != after[f]).sum()) if len(before) else 0 for f in matrices}
    return {"day": day, "against": against.version, "draft": draft.version, "matrices": matrices, "moved": moved}
