"""Every alert threshold (params.AlertParams) as a manager reads it: label, unit, help text, section (alerts.md).
crm/tests/test_param_labels.py fails for a parameter added without one."""
from django.utils.translation import gettext_lazy as _

from crm.param_labels import (CNY, DATE, DAYS, HOURS, INTEGER, MONTHS, PERCENT_RATIO, RATIO, SHARE, WORKING_DAYS,
                              Param as P, PolicyLabels, Section)

from .models import Rule
from .params import AlertParams

RULE_ROWS = tuple((rule.value, rule.label) for rule in Rule)
STAR_ROWS = (*((str(i), f"{i}★") for i in range(1, 6)), ("platinum", _("platinum")), ("diamond", _("diamond")),
             ("prestige", _("prestige")))
WEEKDAYS = ((0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday")))
HELD_ROWS = (("id_expiry", Rule.ID_EXPIRY.label), ("assessment_expiry", Rule.ASSESSMENT_EXPIRY.label))

SECTIONS = (
    Section("outflow", _("Large outflow"), _("One day's transfer-out, as an amount or a share of the assets.")),
    Section("trading", _("Falling trading"), _("Recent trades against the monthly average before.")),
    Section("pnl", _("Loss / gain threshold"), _("Profit or loss over a period against the assets at its start.")),
    Section("elsewhere", _("Assets elsewhere (IPO quota)"),
            _("Quota-implied market value against the market value held here.")),
    Section("reminders", _("Service reminders"), _("When each reminder fires before its date.")),
    Section("workflow", _("Workflow and SLA"),
            _("How soon alerts must be acknowledged, which days are working days, pauses after closing.")),
    Section("measures", _("Advisors' work and measures"), _("Snoozing, backlog and how precision is measured.")),
)

PARAMS = {
    "outflow_amount": P(_("Transfer-out of at least"), CNY, _("One day's transfer-out at or above this fires."),
                        "outflow"),
    "outflow_share": P(_("Or a share of the assets of at least"), SHARE,
                       _("Of the previous day's total assets (0.3 = 30 %)."), "outflow"),
    "outflow_min_assets": P(_("Share test only from assets of"), CNY,
                            _("Customers with less are not judged by the share."), "outflow"),
    "trading_recent_days": P(_("Recent period"), DAYS, _("Trades counted in these last days."), "trading"),
    "trading_baseline_days": P(_("Baseline period"), DAYS,
                               _("The monthly average of trades in these days before the recent period."), "trading"),
    "trading_ratio": P(_("Fires below this share of the baseline"), SHARE,
                       _("Recent trades under this share of the monthly average fire (0.5 = 50 %)."), "trading"),
    "trading_min_monthly": P(_("Baseline of at least"), _("trades per month"),
                             _("Customers trading less than this are not judged."), "trading"),
    "pnl_days": P(_("Period"), DAYS, _("Profit or loss over these last days."), "pnl"),
    "pnl_loss": P(_("Loss of at least"), SHARE, _("Negative: −0.2 fires at a 20 % loss."), "pnl"),
    "pnl_gain": P(_("Gain of at least"), SHARE, _("0.3 fires at a 30 % gain (a profit-taking exit risk)."), "pnl"),
    "quota_value_sh": P(_("Value per Shanghai quota unit"), CNY,
                        _("Market value one unit of Shanghai IPO quota stands for."), "elsewhere"),
    "quota_value_sz": P(_("Value per Shenzhen quota unit"), CNY,
                        _("Market value one unit of Shenzhen IPO quota stands for."), "elsewhere"),
    "elsewhere_ratio": P(_("Quota value over assets here"), RATIO,
                         _("Fires when the quota-implied value is at least this many times the value held here."),
                         "elsewhere"),
    "elsewhere_min_gap": P(_("And more than here by at least"), CNY,
                           _("The quota-implied value must exceed the value held here by this much."), "elsewhere"),
    "quota_lookback_days": P(_("Quota used within"), DAYS, _("Subscriptions of these last days count."),
                             "elsewhere"),
    "id_expiry_days": P(_("ID card expiry: days ahead"), DAYS,
                        _("Fires this many days before the ID card expires (and once expired)."), "reminders"),
    "payment_lookahead_days": P(_("IPO and rights payments: days ahead"), DAYS,
                                _("Payments due within this many days with cash short of the amount."), "reminders"),
    "margin_warning_ratio": P(_("Margin maintenance ratio: warning below"), PERCENT_RATIO,
                              _("A reminder below this ratio."), "reminders"),
    "margin_liquidation_ratio": P(_("Margin maintenance ratio: liquidation line"), PERCENT_RATIO,
                                  _("Red below this ratio; not above the warning ratio."), "reminders"),
    "debt_maturity_days": P(_("Margin debt maturing within"), DAYS, _("Days before the debt matures."),
                            "reminders"),
    "assessment_valid_months": P(_("Risk assessment valid for"), MONTHS,
                                 _("An assessment older than this has expired (products.md)."), "reminders"),
    "assessment_expiry_days": P(_("Risk assessment expiry: days ahead"), DAYS,
                                _("Fires this many days before the assessment expires."), "reminders"),
    "birthday_days": P(_("Birthday: days ahead"), DAYS, _("Fires on the birthday and this many days before."),
                       "reminders"),
    "contact_months": P(_("Service contact every"), MONTHS,
                        _("Months between contacts per star; leave a star blank for no contact plan."), "reminders",
                        rows=STAR_ROWS, optional_keys=True, item=INTEGER),
    "reminder_lead_days": P(_("Reminders that can wait: work from"), DAYS,
                            _("The alert becomes work this many days before its date; leave blank for at once."),
                            "reminders", rows=HELD_ROWS, optional_keys=True, item=INTEGER),
    "red_sla_hours": P(_("Red alerts acknowledged within"), HOURS, _("Overdue after this and escalated."),
                       "workflow"),
    "yellow_sla_working_days": P(_("Yellow alerts acknowledged within"), WORKING_DAYS,
                                 _("Overdue after this and escalated."), "workflow"),
    "reminder_sla_working_days": P(_("Reminders acknowledged within"), WORKING_DAYS,
                                   _("0 = reminders carry no deadline."), "workflow"),
    "working_weekdays": P(_("Working weekdays"), "", _("Choose a weekday per row; a blank row is removed."),
                          "workflow", extra_rows=2, item=INTEGER, choices=WEEKDAYS),
    "holidays": P(_("Holidays"), "", _("Dates that are not working days."), "workflow", extra_rows=3, item=DATE),
    "extra_working_days": P(_("Make-up working days"), "", _("Weekend dates worked instead (调休)."), "workflow",
                            extra_rows=2, item=DATE),
    "cooldown_days": P(_("Pause after closing"), DAYS,
                       _("After an alert is closed, the same rule does not open again for the customer for this "
                         "many days (0 = no pause)."), "workflow", rows=RULE_ROWS, item=INTEGER),
    "backlog_spread_days": P(_("Backlog spread over"), DAYS,
                             _("Reminders already past their date on the first scan are planned into the next "
                               "contacts, at the latest within this many days."), "measures"),
    "snooze_max_days": P(_("Snooze at most"), DAYS, _("An advisor snoozes an alert for at most this long."),
                         "measures"),
    "precision_days": P(_("Precision: churned within"), DAYS,
                        _("A warned customer counts as churned when the account closed within this many days."),
                        "measures"),
}

LABELS = PolicyLabels(AlertParams, SECTIONS, PARAMS)
