"""Reads for the 360° customer page (reports.md "Customer page"): positions and asset mix, the tier with its
explanation and timeline, contacts and the service focus of the customer's stage.

A constant number of queries whatever the customer has (customers/tests/test_queries.py): positions 1, tier
timeline 1, tier changes 1, contacts 1. The latest snapshot is the last row of the positions history, not a
query of its own. The customer must come from `selectors.customer_detail` (scoped, with its tier joined).
"""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Snapshot, TierChange, TierSnapshot
from .tiering.explain import explain, stage_label, star_label
from .tiering.service_focus import focus_for

POSITION_MONTHS = 13
TIMELINE_RUNS = 24
CHANGES_SHOWN = 20

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
CHANGE_FIELD_LABELS = {"star": _("Star"), "lifecycle_stage": _("Stage"), "stp_subtype": _("STP sub-type"),
                       "quadrant": _("Quadrant")}


def positions(customer, months=POSITION_MONTHS):
    """The last `months` snapshots, oldest first (one query; the newest is also the customer's
    selectors.latest_snapshot from then on)."""
    history = list(Snapshot.objects.filter(customer=customer).order_by("-date")[:months])[::-1]
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
    return value


def tier_timeline(customer, runs=TIMELINE_RUNS):
    """The last `runs` tier snapshots, oldest first, with star and stage in the reader's language (one query)."""
    rows = TierSnapshot.objects.filter(customer=customer).order_by("-date").only(
        "date", "star", "lifecycle_stage", "stp_subtype", "stp_weak", "quadrant")[:runs]
    return [{"date": t.date, "star": _value_label("star", t.star),
             "stage": _value_label("lifecycle_stage", t.lifecycle_stage),
             "subtype": f"{t.stp_subtype}{'?' if t.stp_weak else ''}" if t.stp_subtype else "—",
             "quadrant": t.quadrant or "—"}
            for t in list(rows)[::-1]]


def tier_changes(customer, limit=CHANGES_SHOWN):
    """The latest star / stage / sub-type / quadrant moves, newest first, in words (one query)."""
    return [{"date": c.date, "field": CHANGE_FIELD_LABELS.get(c.field, c.field),
             "old": _value_label(c.field, c.old), "new": _value_label(c.field, c.new)}
            for c in TierChange.objects.filter(customer=customer).order_by("-date", "field")[:limit]]


def current_tier(customer):
    """The CurrentTier row (joined by `customer_detail`) or None before the first run."""
    return getattr(customer, "tier", None)


def customer_page(customer):
    """Everything the page shows about the customer itself (panels of other apps come from crm.panels)."""
    tier = current_tier(customer)
    run = tier.snapshot if tier is not None else None
    stage = tier.lifecycle_stage if tier is not None else ""
    history = positions(customer)
    snapshot = history[-1] if history else None
    return {
        "tier": tier,
        "star_label": _value_label("star", tier.star) if tier is not None else "",
        "stage_label": _value_label("lifecycle_stage", stage),
        "explanation": explain(run) if run is not None else "",
        "snapshot": snapshot,
        "history": history,
        "asset_mix": asset_mix(snapshot),
        "tier_history": tier_timeline(customer),
        "tier_changes": tier_changes(customer),
        "interactions": selectors.recent_interactions(customer),
        "stage": stage,
        "service_focus": focus_for(stage),
    }
