"""Reads for the 360° customer page (reports.md "Customer page"): positions and asset mix, the tier with its
explanation and timeline, contacts and the service focus of the customer's stage.

A constant number of queries whatever the customer has (customers/tests/test_customer_page.py): positions 1,
tier timeline 1, tier changes 1, contacts 1, the people's names 1, the run behind the tier 1, the churn risk 4
(1 while no churn model is active). The latest snapshot is the last row of the positions history, not a query
of its own. The customer must come from `selectors.customer_detail` (scoped, with its tier joined). Each read is
a `CompiledRead`: the page is a dozen one-customer probes, and compiling them with the ORM cost more than running
them.
"""
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from crm.compiled import CompiledRead

from .models import CurrentTier, Customer, Interaction, Office, Snapshot, Staff, TierChange, TierSnapshot
from .tiering.explain import SUBTYPE_NAMES, change_reason, explain, stage_label, star_label
from .tiering.service_focus import focus_for

POSITION_MONTHS = 13
TIMELINE_RUNS = 24
CHANGES_SHOWN = 20
CONTACTS_SHOWN = 20

# The asset mix: securities, products by class, cash (total assets = their sum, interfaces.md; margin debt
# is reported separately). (key, Snapshot field, label, is a product class)
ASSET_CLASSES = (
    ("securities", "securities_value", _("Securities"), False),
    ("equity_funds", "equity_fund_value", _("Equity funds"), True),
    ("fixed_income", "fixed_income_value", _("Fixed income"), True),
    ("reits_trusts", "reits_trust_value", _("REITs / trusts"), True),
    ("other_products", "other_product_value", _("Other products"), True),
    ("cash", "cash", _("Cash"), False),
)
# Value quadrants (study figure 4-1, tiering.md 4): CEV and CPV each split at the policy's percentile.
QUADRANT_LETTERS = {"A": _("A ordinary"), "B": _("B important"), "C": _("C core"), "D": _("D high-value core")}
QUADRANT_MEANINGS = {
    "A": _("current value (CEV) and potential value (CPV) both low"),
    "B": _("current value (CEV) high, potential value (CPV) low"),
    "C": _("current value (CEV) low, potential value (CPV) high"),
    "D": _("current value (CEV) and potential value (CPV) both high"),
}
CHANGE_FIELD_LABELS = {"star": _("Star"), "lifecycle_stage": _("Stage"), "stp_subtype": _("STP sub-type"),
                       "quadrant": _("Quadrant")}


_positions = CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=customer_id).order_by("-date")
                         .values(*(f.attname for f in Snapshot._meta.concrete_fields))[:POSITION_MONTHS])


def positions(customer):
    """The last POSITION_MONTHS snapshots, oldest first (one query; the newest is also the customer's
    selectors.latest_snapshot from then on)."""
    history = _positions.instances(Snapshot, customer_id=customer.pk)[::-1]
    customer._latest_snapshot = history[-1] if history else None
    return history


def _share(amount, whole):
    return float(amount / whole) if whole > 0 else None


def asset_mix(snapshot):
    """Securities / each product class / cash of one snapshot, with shares of their sum; None without a snapshot.

    Shares are of securities + products + cash (which the import checks equals total assets, within 1 CNY of
    rounding), so they add up to 100 %; all None when that sum is zero. The chart gets the six slices.
    """
    if snapshot is None:
        return None
    amounts = [(key, label, is_product, Decimal(getattr(snapshot, field) or 0))
               for key, field, label, is_product in ASSET_CLASSES]
    whole = sum(row[3] for row in amounts)
    products = sum(row[3] for row in amounts if row[2])
    rows = [{"key": key, "label": label, "product": is_product, "amount": amount, "share": _share(amount, whole)}
            for key, label, is_product, amount in amounts]
    chart = None
    if whole > 0:
        chart = {"keys": [r["key"] for r in rows], "labels": [str(r["label"]) for r in rows],
                 "values": [float(r["amount"]) for r in rows], "shares": [round(r["share"] * 100, 1) for r in rows]}
    return {
        "date": snapshot.date,
        "rows": rows,
        "securities": rows[0],
        "product_classes": [r for r in rows if r["product"]],
        "cash": rows[-1],
        "products": {"amount": products, "share": _share(products, whole)},
        "total": snapshot.total_assets,
        "margin_debt": snapshot.margin_debt,
        "chart": chart,
    }


def _value_label(field, value):
    if not value:
        return "—"
    if field == "star":
        return star_label(value)
    if field == "lifecycle_stage":
        return stage_label(value)
    if field == "quadrant":
        return QUADRANT_LETTERS.get(value, value)
    if field == "stp_subtype" and value in SUBTYPE_NAMES:
        return f"{value} {_(SUBTYPE_NAMES[value])}"
    return value


def quadrant_explained(quadrant):
    """A quadrant letter in words: which of current (CEV) and potential (CPV) value is high (tiering.md 4)."""
    return QUADRANT_MEANINGS.get(quadrant, "")


_timeline = CompiledRead(
    lambda customer_id: TierSnapshot.objects.filter(customer_id=customer_id).order_by("-date")
    .values("date", "star", "lifecycle_stage", "stp_subtype", "stp_weak", "quadrant")[:TIMELINE_RUNS])
_changes = CompiledRead(lambda customer_id: TierChange.objects.filter(customer_id=customer_id)
                        .order_by("-date", "field").values("date", "field", "old", "new", "reason")[:CHANGES_SHOWN])
_contacts = CompiledRead(
    lambda customer_id: Interaction.objects.filter(customer_id=customer_id).order_by("-at", "-id")
    .values("id", "at", "channel", "summary", "note", staff_name=F("staff__name"))[:CONTACTS_SHOWN])


def tier_timeline(customer):
    """The last TIMELINE_RUNS tier snapshots, oldest first, with star and stage in the reader's language
    (one query)."""
    return [{"date": t["date"], "star": _value_label("star", t["star"]),
             "stage": _value_label("lifecycle_stage", t["lifecycle_stage"]),
             "subtype": f"{t['stp_subtype']}{'?' if t['stp_weak'] else ''}" if t["stp_subtype"] else "—",
             "quadrant": t["quadrant"] or "—"}
            for t in _timeline(customer_id=customer.pk)[::-1]]


def tier_changes(customer):
    """The latest CHANGES_SHOWN star / stage / sub-type / quadrant moves, newest first, in words (one query)."""
    return [{"date": c["date"], "field": CHANGE_FIELD_LABELS.get(c["field"], c["field"]),
             "old": _value_label(c["field"], c["old"]), "new": _value_label(c["field"], c["new"]),
             "reason": change_reason(c["reason"])}
            for c in _changes(customer_id=customer.pk)]


def recent_contacts(customer):
    """The latest CONTACTS_SHOWN contacts, newest first, as Interaction objects with `staff_name` (one query)."""
    return _contacts.instances(Interaction, customer_id=customer.pk)


# What explain() reads of the run behind the current tier.
EXPLAINED_FIELDS = ("star", "computed_star", "below_runs", "overridden", "clv_top_share", "stp_subtype", "stp_weak",
                    "holding_days", "securities_share", "products_share", "main_product_share", "lifecycle_stage",
                    "stage_reason", "stage_days", "stage_figure", "cev", "cpv", "growth", "retention",
                    "neutral_inputs", "survey_on", "survey_stale_on", "survey_max_age", "retention_source",
                    "retention_scored_on")
_people = CompiledRead(lambda customer_id: Customer.objects.filter(pk=customer_id).values(
    office_code=F("office__code"), office_name=F("office__name_zh"),
    advisor_code=F("advisor__staff_code"), advisor_name=F("advisor__name"),
    investment_advisor_code=F("investment_advisor__staff_code"), investment_advisor_name=F("investment_advisor__name")))
_run = CompiledRead(lambda customer_id: CurrentTier.objects.filter(customer_id=customer_id, snapshot__isnull=False)
                   .values(**{f"run_{f}": F(f"snapshot__{f}") for f in EXPLAINED_FIELDS}))


def people(customer):
    """The customer's office, advisor and investment advisor as the models print them ("" for none).
    One compiled read instead of three joins on the customer's own read."""
    row = _people(customer_id=customer.pk)[0]
    office = Office(code=row["office_code"], name_zh=row["office_name"])
    advisors = [Staff(staff_code=row[f"{role}_code"], name=row[f"{role}_name"]) if row[f"{role}_code"] else None
                for role in ("advisor", "investment_advisor")]
    return {"office": str(office), "advisor": str(advisors[0] or ""), "investment_advisor": str(advisors[1] or "")}


def explained_run(customer):
    """The run behind the customer's current tier with what explain() reads, or None (one query, whether or
    not there is one)."""
    rows = _run(customer_id=customer.pk)
    return TierSnapshot(**{f: rows[0][f"run_{f}"] for f in EXPLAINED_FIELDS}) if rows else None


def current_tier(customer):
    """The CurrentTier row (joined by `customer_detail`) or None before the first run."""
    return getattr(customer, "tier", None)


CHURN_HISTORY_DAYS = 180
CHURN_REASONS_SHOWN = 3
SPARK_WIDTH, SPARK_HEIGHT = 160, 32


def churn_panel(customer):
    """The learned churn risk (issue 19, alerts.churn.selectors): None while no churn model is active (one
    query); else {"scored": False} for a customer it has not scored, or the model's latest score with its top
    reasons in words and the nightly history as sparkline points (four queries either way)."""
    from alerts.churn.selectors import active_churn_model, churn_risk_history, churn_risk_of

    if active_churn_model() is None:
        return None
    risk = churn_risk_of(customer.pk)
    history = churn_risk_history(customer.pk, days=CHURN_HISTORY_DAYS)
    if risk is None:
        return {"scored": False}
    return {"scored": True, "risk": risk["risk"], "scored_on": risk["scored_on"],
            "model_version": risk["model_version"], "horizon_days": risk["horizon_days"],
            "reasons": [r["text"] for r in risk["reasons"][:CHURN_REASONS_SHOWN]],
            "spark": sparkline(history), "history_from": history[0][0] if history else None}


def sparkline(history, width=SPARK_WIDTH, height=SPARK_HEIGHT):
    """SVG polyline points of [(date, risk)] on a 0–100 % scale (top = 100 %), by date; "" below two nights."""
    if len(history) < 2:
        return ""
    first, last = history[0][0], history[-1][0]
    span = max((last - first).days, 1)
    return " ".join(f"{(d - first).days / span * width:.1f},{(1 - min(max(r, 0.0), 1.0)) * height:.1f}"
                    for d, r in history)


def customer_page(customer):
    """Everything the page shows about the customer itself (panels of other apps come from crm.panels)."""
    tier = current_tier(customer)
    run = explained_run(customer)
    stage = tier.lifecycle_stage if tier is not None else ""
    history = positions(customer)
    snapshot = history[-1] if history else None
    # the surveys panel marks which answers this run read (surveys.panels): no query of its own
    customer._tier_run, customer._tier_run_day = run, (tier.as_of if tier is not None else None)
    return {
        "tier": tier,
        "star_label": _value_label("star", tier.star) if tier is not None else "",
        "stage_label": _value_label("lifecycle_stage", stage),
        "quadrant_label": _value_label("quadrant", tier.quadrant) if tier is not None else "",
        "quadrant_meaning": quadrant_explained(tier.quadrant) if tier is not None else "",
        "explanation": explain(run) if run is not None else "",
        "snapshot": snapshot,
        "history": history,
        "asset_mix": asset_mix(snapshot),
        "tier_history": tier_timeline(customer),
        "tier_changes": tier_changes(customer),
        "interactions": recent_contacts(customer),
        "stage": stage,
        "service_focus": focus_for(stage),
        "people": people(customer),
        "churn": churn_panel(customer),
    }
