"""Writes: catalogue versions, matrix and parameter versions, suitability overrides. All audited.

Who may write: branch managers edit the catalogue, the matrices and the parameters; office and
branch managers override rules 4–5 for customers in their scope. Everyone else is refused here,
whatever a page or API lets through.
"""
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.services import audit
from crm.textlimits import SHORT_TEXT_MAX_LENGTH, refuse_longer
from customers.rights import Write
from customers.scope import scope_for

from . import rules
from .models import Category, HoldingClass, PolicyKind, Product, ProductPolicy, ProductVersion, RiskRating
from .models import SuitabilityOverride

VERSION_FIELDS = ("name_zh", "name_en", "category", "channel", "schedule", "risk", "min_investment", "fee_model",
                  "required_flags", "holding_class", "fits", "description_en")


def can_edit_catalogue(user):
    return scope_for(user).may(Write.EDIT_CATALOGUE)


def can_override(user):
    return scope_for(user).may(Write.OVERRIDE_SUITABILITY)


def _require(allowed, what):
    if not allowed:
        raise PermissionDenied(what)


def _validate_version(values):
    errors = {}
    if not (values.get("name_zh") or "").strip():
        errors["name_zh"] = _("Required.")
    if not (values.get("name_en") or "").strip():
        errors["name_en"] = _("Required.")
    if values.get("category") not in Category.values:
        errors["category"] = _("Unknown category.")
    if values.get("risk") not in RiskRating.values:
        errors["risk"] = _("Unknown risk rating.")
    if values.get("holding_class", "") not in ("", *HoldingClass.values):
        errors["holding_class"] = _("Unknown holding class.")
    try:
        if Decimal(values.get("min_investment", 0)) < 0:
            errors["min_investment"] = _("Must not be negative.")
    except (InvalidOperation, TypeError, ValueError):
        errors["min_investment"] = _("Not a number.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_product(*, user, code, values, note=""):
    """Create a product, or write a new current version of it; the previous version stays as history."""
    _require(can_edit_catalogue(user), "Only branch managers edit the catalogue.")
    _validate_version(values)
    product, created = Product.objects.get_or_create(code=code)
    current = ProductVersion.objects.select_for_update().filter(product=product, is_current=True).first()
    if current is not None:
        base = {f: getattr(current, f) for f in VERSION_FIELDS}
        if all(base[f] == values.get(f, base[f]) for f in VERSION_FIELDS) and "retired" not in values:
            return current  # nothing changed: no new version
    version = _new_version(product, current, user, note, values)
    audit(user, "product.create" if created else "product.edit", version, code=code, version=version.version,
          note=note, changed=_changed(current, version))
    return version


def _new_version(product, current, user, note, values):
    number = (ProductVersion.objects.filter(product=product).aggregate(v=Max("version"))["v"] or 0) + 1
    fields = {f: getattr(current, f) for f in VERSION_FIELDS} if current else {}
    fields.update({f: values[f] for f in VERSION_FIELDS if f in values})
    fields["retired"] = values.get("retired", current.retired if current else False)
    if current is not None:  # the Chinese of a field carries over while its English is unchanged
        english = ProductVersion.ZH_FIELDS
        fields["zh"] = {key: text for key, text in (current.zh or {}).items()
                        if fields.get(english[key]) == getattr(current, english[key])}
        current.is_current = False
        current.save(update_fields=["is_current"])
    return ProductVersion.objects.create(product=product, version=number, is_current=True, note=note,
                                         created_by=user, **fields)


def _changed(old, new):
    if old is None:
        return {}
    return {f: [str(getattr(old, f)), str(getattr(new, f))]
            for f in (*VERSION_FIELDS, "retired") if getattr(old, f) != getattr(new, f)}


@transaction.atomic
def set_retired(*, user, product, retired, note=""):
    """Retire (or bring back) a product: a new version; retired products are never matched, history stays."""
    _require(can_edit_catalogue(user), "Only branch managers edit the catalogue.")
    refuse_longer(note=(note, SHORT_TEXT_MAX_LENGTH))  # a version's note column
    current = ProductVersion.objects.select_for_update().get(product=product, is_current=True)
    if current.retired == retired:
        return current
    version = _new_version(product, current, user, note, {"retired": retired})
    audit(user, "product.retire" if retired else "product.reinstate", version, code=product.code,
          version=version.version, note=note)
    return version


def validate_policy(kind, data):
    """Field-by-field errors of one policy document ({} when valid)."""
    errors = {}
    if kind == PolicyKind.ELIGIBILITY:
        if list(data.get("columns", [])) != list(rules.MATRIX_COLUMNS):
            errors["columns"] = _("The columns must be 1, 2, 3, 4-I … 4-VI, 5-I … 5-VI.")
        known = set(Product.objects.values_list("code", flat=True))
        for code, cells in data.get("rows", {}).items():
            if code not in known:
                errors[code] = _("Unknown product.")
            elif len(cells) != len(rules.MATRIX_COLUMNS) or any(v not in (0, 1) for v in cells):
                errors[code] = _("Each cell must be 0 or 1, one per column.")
        if sorted(data.get("products", [])) != sorted(data.get("rows", {})):
            errors["products"] = _("The product order must list every row once.")
    elif kind == PolicyKind.ADVISOR_LEVELS:
        if list(data.get("columns", [])) != list(rules.MATRIX_COLUMNS):
            errors["columns"] = _("The columns must be 1, 2, 3, 4-I … 4-VI, 5-I … 5-VI.")
        grades = data.get("grades", [])
        if len(grades) != len(rules.MATRIX_COLUMNS):
            errors["grades"] = _("One grade (or none) per column.")
        for column, grade in zip(rules.MATRIX_COLUMNS, grades):
            if grade not in ("", *rules.GRADES):
                errors[column] = _("Unknown grade.")
    elif kind == PolicyKind.PARAMETERS:
        errors.update(_validate_parameters(data))
    else:
        errors["kind"] = _("Unknown policy kind.")
    return errors


def _validate_parameters(p):
    errors = {}
    try:
        if not 1 <= int(p["assessment_valid_months"]) <= 120:
            errors["assessment_valid_months"] = _("Between 1 and 120 months.")
    except (KeyError, TypeError, ValueError):
        errors["assessment_valid_months"] = _("A whole number of months.")
    try:
        if not 0 < float(p["concentration_threshold"]) <= 1:
            errors["concentration_threshold"] = _("A share above 0 and at most 1 (0.7 = 70 %).")
    except (KeyError, TypeError, ValueError):
        errors["concentration_threshold"] = _("A share above 0 and at most 1 (0.7 = 70 %).")
    try:
        if float(p["high_net_worth_assets"]) < 0:
            errors["high_net_worth_assets"] = _("Must not be negative.")
    except (KeyError, TypeError, ValueError):
        errors["high_net_worth_assets"] = _("Not a number.")
    risks = p.get("holding_class_risk")
    if not isinstance(risks, dict) or set(risks) != set(HoldingClass.values) or \
            any(v not in RiskRating.values for v in risks.values()):
        errors["holding_class_risk"] = _("A risk rating R1–R5 for each holding class.")
    valid_columns = set(rules.MATRIX_COLUMNS)
    for key in ("white_list_columns", "financing_columns"):
        value = p.get(key)
        if not isinstance(value, list) or any(c not in valid_columns for c in value):
            errors[key] = _("A list of matrix columns, e.g. 5-III.")
    return errors


@transaction.atomic
def save_policy(*, user, kind, data, note=""):
    """A new active version of the matrix / grades / parameters; the previous one is kept, retired."""
    _require(can_edit_catalogue(user), "Only branch managers edit product policy.")
    refuse_longer(note=(note, SHORT_TEXT_MAX_LENGTH))  # a version's note column
    errors = validate_policy(kind, data)
    if errors:
        raise ValidationError(errors)
    previous = ProductPolicy.objects.select_for_update().filter(kind=kind, status=ProductPolicy.Status.ACTIVE).first()
    if previous is not None and previous.data == data:
        return previous
    number = (ProductPolicy.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    if previous is not None:
        previous.status = ProductPolicy.Status.RETIRED
        previous.save(update_fields=["status"])
    policy = ProductPolicy.objects.create(kind=kind, version=number, data=data, note=note, created_by=user)
    audit(user, f"product_policy.{kind}", policy, version=number, note=note,
          replaced=previous.version if previous else None, changed=_policy_diff(kind, previous, data))
    return policy


def _policy_diff(kind, previous, data):
    if previous is None:
        return {}
    old = previous.data
    if kind == PolicyKind.ELIGIBILITY:
        diff = {}
        for code, cells in data["rows"].items():
            before = old["rows"].get(code, [])
            changed = [c for i, c in enumerate(data["columns"]) if i >= len(before) or before[i] != cells[i]]
            if changed:
                diff[code] = changed
        return diff
    if kind == PolicyKind.ADVISOR_LEVELS:
        return {c: [a, b] for c, a, b in zip(data["columns"], old["grades"], data["grades"]) if a != b}
    return {k: [old.get(k), v] for k, v in data.items() if old.get(k) != v}


@transaction.atomic
def create_override(*, user, customer, product, waive_min_investment, waive_tier_matrix, reason, expires_on=None):
    """A manager waives rule 4 and/or 5 for one customer and product, with a reason (audited).

    Rules 1–3 cannot be waived: the model has no field for them and rules.check ignores them in waivers.
    """
    _require(can_override(user), "Only office and branch managers override suitability.")
    scope = scope_for(user)
    if not scope.customers().filter(pk=customer.pk).exists():
        raise PermissionDenied("Customer out of scope.")
    errors = {}
    if not (waive_min_investment or waive_tier_matrix):
        errors["waive_min_investment"] = _("Choose the rule to waive (minimum investment or tier matrix).")
    if not (reason or "").strip():
        errors["reason"] = _("A reason is required.")
    if expires_on is not None and expires_on < timezone.localdate():
        errors["expires_on"] = _("The date is in the past.")
    if errors:
        raise ValidationError(errors)
    override = SuitabilityOverride.objects.create(
        customer=customer, product=product, waive_min_investment=bool(waive_min_investment),
        waive_tier_matrix=bool(waive_tier_matrix), reason=reason.strip(), expires_on=expires_on, created_by=user)
    audit(user, "suitability_override.create", override, customer=customer.customer_code, product=product.code,
          waive_min_investment=override.waive_min_investment, waive_tier_matrix=override.waive_tier_matrix,
          reason=override.reason, expires_on=expires_on.isoformat() if expires_on else None)
    return override


@transaction.atomic
def revoke_override(*, user, override):
    _require(can_override(user), "Only office and branch managers override suitability.")
    override = SuitabilityOverride.objects.select_for_update().get(pk=override.pk)
    if override.revoked_at is None:
        override.revoked_at, override.revoked_by = timezone.now(), user
        override.save(update_fields=["revoked_at", "revoked_by"])
        audit(user, "suitability_override.revoke", override, customer_id=override.customer_id,
              product_id=override.product_id)
    return override


def run_matching_summary(*, user=None):
    """The whole branch's matching by product, set-based, recorded as a job run (nightly; idempotent)."""
    from crm.services import job_run
    from customers.models import Customer

    from . import batch, selectors

    with job_run("product_matching", user=user) as run:
        ctx = selectors.match_context()
        frame = selectors.facts_frame(Customer.objects.filter(closed_on__isnull=True))
        counts = batch.matched_counts(frame, ctx.catalogue, cutoff=ctx.cutoff,
                                      overrides=selectors.overrides_frame(today=ctx.today))
        run.counts = {"date": ctx.today.isoformat(), "customers": int(len(frame)),
                      "products": {code: {k: int(v) for k, v in row.items()} for code, row in counts.iterrows()}}
    return run
