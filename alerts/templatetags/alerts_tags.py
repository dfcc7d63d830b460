"""Evidence in words: each number that fired an alert with a translated label."""
from django import template
from django.utils.translation import gettext_lazy as _

from crm.templatetags.crm_format import cny, plain_number
from customers.tiering.explain import stage_label, star_label

register = template.Library()

LABELS = {
    "date": _("Date"), "transfer_out": _("Transfer-out"), "previous_assets": _("Previous total assets"),
    "previous_assets_on": _("Assets as of"), "share": _("Share of assets"),
    "recent_trades": _("Trades, last 30 days"), "baseline_trades": _("Trades, previous 90 days"),
    "monthly_average": _("Monthly average before"), "ratio": _("Ratio"),
    "pnl": _("Cumulative P&L"), "start_assets": _("Assets at the start"), "start_on": _("Start date"),
    "direction": _("Direction"), "days": _("Days"),
    "quota_date": _("Quota date"), "sh_units": _("Shanghai units"), "sz_units": _("Shenzhen units"),
    "implied_value": _("Quota-implied market value"), "held_value": _("Market value held here"),
    "estimated_elsewhere": _("Estimated assets elsewhere"),
    "filed_on": _("Filed on"), "kind": _("Kind"), "stage": _("Stage"), "from_stage": _("From stage"), "as_of": _("As of"),
    "total_assets": _("Total assets"), "expires_on": _("Expires on"), "days_left": _("Days left"),
    "event_date": _("Event date"), "due_on": _("Due on"), "amount": _("Amount"), "cash": _("Cash"),
    "shortfall": _("Shortfall"), "margin_debt": _("Margin debt"), "on": _("On"),
    "warning_ratio": _("Warning line %"), "liquidation_ratio": _("Liquidation line %"),
    "assessed_on": _("Assessed on"), "birthday": _("Birthday"), "days_until": _("Days until"), "age": _("Age"),
    "star": _("Star"), "every_months": _("Contact every (months)"), "last_contact": _("Last contact"),
    "days_overdue": _("Days overdue"),
    "history": _("From the loaded history"), "fired_on": _("Fired on"),
}
DIRECTIONS = {"gain": _("Gain"), "loss": _("Loss")}
MONEY = {"transfer_out", "previous_assets", "pnl", "start_assets", "implied_value", "held_value",
         "estimated_elsewhere", "total_assets", "amount", "cash", "shortfall", "margin_debt"}
PERCENT = {"share", "ratio"}


def _value(key, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in MONEY:
        return cny(value)
    if key in PERCENT and isinstance(value, (int, float)):
        return f"{value * 100:.1f}%"
    if key in CODED:
        return CODED[key](str(value))
    return plain_number(value)  # counts and days stored as floats: 17, 21.3 (not 17.0, 21.3333)


def _application_kind(code):
    from customers.models import Application

    return dict(Application.Kind.choices).get(code, code)


# Evidence that stores a code (an application's kind, a P&L move's direction, a stage, a star): the reader's words
CODED = {"kind": _application_kind, "direction": lambda code: DIRECTIONS.get(code, code),
         "stage": stage_label, "from_stage": stage_label, "star": star_label}


@register.simple_tag
def evidence_rows(alert):
    evidence = alert.evidence or {}
    if alert.rule == "falling_trading":  # the trade ratio reads better as a plain ratio
        return [(LABELS.get(k, k), _value(k, v) if k != "ratio" else (f"{v:.2f}" if v is not None else "—"))
                for k, v in evidence.items()]
    if alert.rule == "margin_ratio":
        return [(LABELS.get(k, k), plain_number(v) if k in ("ratio", "warning_ratio", "liquidation_ratio")
                 else _value(k, v))
                for k, v in evidence.items()]
    return [(LABELS.get(k, k), _value(k, v)) for k, v in evidence.items()]


@register.simple_tag
def evidence_brief(alert, limit=3):
    return " · ".join(f"{label}: {value}" for label, value in evidence_rows(alert)[:limit])
