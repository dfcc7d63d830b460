"""Every alert threshold, with the spec's defaults (alerts.md). A policy version stores its values as JSON.

Managers edit these; each edit is a new AlertPolicy version and exactly one version is active.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.params import JsonParams

CHURN_RULES = ("large_outflow", "falling_trading", "pnl_threshold", "assets_elsewhere", "closing_application",
               "lifecycle_decline")
REMINDER_RULES = ("id_expiry", "ipo_payment", "rights_payment", "margin_ratio", "debt_maturity",
                  "assessment_expiry", "birthday", "contact_due")
RULES = CHURN_RULES + REMINDER_RULES
HELD_RULES = ("id_expiry", "assessment_expiry")  # reminders with a date that may wait for their lead time
STARS = ("1", "2", "3", "4", "5", "platinum", "diamond", "prestige")  # keys of contact_months


@dataclass(frozen=True)
class AlertParams(JsonParams):
    # large outflow: one day's transfer-out ≥ amount, or ≥ share of the previous day's total assets
    outflow_amount: float = 100_000.0
    outflow_share: float = 0.30
    outflow_min_assets: float = 10_000.0  # the share test ignores customers below this
    # falling trading: last `trading_recent_days` vs the monthly average of the `trading_baseline_days` before
    trading_recent_days: int = 30
    trading_baseline_days: int = 90
    trading_ratio: float = 0.5
    trading_min_monthly: float = 4.0
    # loss / gain over `pnl_days` against the assets at the start
    pnl_days: int = 60
    pnl_loss: float = -0.20
    pnl_gain: float = 0.30
    # assets elsewhere (IPO quota): units × value per unit vs the market value held here
    quota_value_sh: float = 10_000.0
    quota_value_sz: float = 5_000.0
    elsewhere_ratio: float = 1.2
    elsewhere_min_gap: float = 100_000.0
    quota_lookback_days: int = 30
    # service reminders
    id_expiry_days: int = 30
    payment_lookahead_days: int = 7  # IPO-win and rights-issue payments due within this many days
    margin_warning_ratio: float = 150.0
    margin_liquidation_ratio: float = 130.0
    debt_maturity_days: int = 7
    assessment_valid_months: int = 24  # products.md
    assessment_expiry_days: int = 30
    birthday_days: int = 3
    contact_months: dict = field(default_factory=lambda: {"3": 2, "4": 1, "5": 1})  # star -> months between contacts
    # workflow
    red_sla_hours: float = 4.0
    yellow_sla_working_days: float = 1.0
    reminder_sla_working_days: float = 0.0  # 0 = reminders carry no SLA
    working_weekdays: tuple = (0, 1, 2, 3, 4)  # Monday = 0
    holidays: tuple = ()  # ISO dates that are not working days
    extra_working_days: tuple = ()  # ISO dates of make-up working weekends (调休)
    # after an alert is closed, the same rule does not open again for the customer for this many days
    # (event-like rules are keyed by their event instead, so they need no pause)
    cooldown_days: dict = field(default_factory=lambda: {
        "large_outflow": 0, "falling_trading": 30, "pnl_threshold": 30, "assets_elsewhere": 90,
        "closing_application": 0, "lifecycle_decline": 90, "id_expiry": 0, "ipo_payment": 0,
        "rights_payment": 0, "margin_ratio": 7, "debt_maturity": 0, "assessment_expiry": 0, "birthday": 0,
        "contact_due": 0,
    })
    # reminders that can wait: the rule's alert is work only from this many days before its date (the ID's or
    # the assessment's expiry); one already past its date when it first fires (a backlog, e.g. on the first
    # scan) is planned into the customer's next scheduled contact, at the latest within backlog_spread_days
    # (spread evenly by customer). Rules not named here are work as soon as they fire.
    reminder_lead_days: dict = field(default_factory=lambda: {"id_expiry": 14, "assessment_expiry": 14})
    backlog_spread_days: int = 30
    snooze_max_days: int = 30  # an advisor snoozes an alert for at most this many days
    precision_days: int = 90  # measures: a warned customer "churned" when it closed within this many days

    def validate(self):
        """Errors as {field: message}; empty when usable."""
        from datetime import date

        errors = self.shape_errors()
        if errors:  # the checks below compare numbers
            return errors
        for name in ("outflow_amount", "outflow_min_assets", "elsewhere_min_gap", "quota_value_sh",
                     "quota_value_sz", "red_sla_hours", "yellow_sla_working_days", "reminder_sla_working_days"):
            if getattr(self, name) < 0:
                errors[name] = _("not negative")
        for name in ("outflow_share", "trading_ratio"):
            if not 0 < getattr(self, name) <= 1:
                errors[name] = _("between 0 and 1")
        for name in ("trading_recent_days", "trading_baseline_days", "pnl_days", "quota_lookback_days",
                     "assessment_valid_months", "precision_days", "snooze_max_days", "backlog_spread_days"):
            if getattr(self, name) < 1:
                errors[name] = _("at least 1")
        for name in ("id_expiry_days", "payment_lookahead_days", "debt_maturity_days", "assessment_expiry_days",
                     "birthday_days"):
            if getattr(self, name) < 0:
                errors[name] = _("not negative")
        if self.pnl_loss >= 0:
            errors["pnl_loss"] = _("below 0")
        if self.pnl_gain <= 0:
            errors["pnl_gain"] = _("above 0")
        if self.elsewhere_ratio < 1:
            errors["elsewhere_ratio"] = _("at least 1")
        if self.margin_liquidation_ratio > self.margin_warning_ratio:
            errors["margin_liquidation_ratio"] = _("not above the warning ratio")
        if not set(self.working_weekdays) <= set(range(7)) or not self.working_weekdays:
            errors["working_weekdays"] = _("weekday numbers 0 (Monday) to 6")
        for name in ("holidays", "extra_working_days"):
            try:
                [date.fromisoformat(d) for d in getattr(self, name)]
            except (TypeError, ValueError):
                errors[name] = _("ISO dates (YYYY-MM-DD)")
        if set(self.contact_months) - set(STARS) or not all(
                isinstance(v, int) and v >= 1 for v in self.contact_months.values()):
            errors["contact_months"] = _("star → whole months ≥ 1")
        if set(self.cooldown_days) - set(RULES) or not all(
                isinstance(v, int) and v >= 0 for v in self.cooldown_days.values()):
            errors["cooldown_days"] = _("rule code → days ≥ 0")
        if set(self.reminder_lead_days) - set(HELD_RULES) or not all(
                isinstance(v, int) and v >= 0 for v in self.reminder_lead_days.values()):
            errors["reminder_lead_days"] = _("ID or assessment expiry → days ≥ 0")
        return errors

    def cooldown(self, rule):
        return int(self.cooldown_days.get(rule, 0))
