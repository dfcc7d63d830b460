"""The coverage-KPI targets (targets.KpiTargets) and the today-list policy (today.TodayParams) as a manager reads
them: label, unit, help text, section. crm/tests/test_param_labels.py fails for a parameter added without one."""
from django.utils.translation import gettext_lazy as _

from crm.param_labels import CNY, DAYS, INTEGER, PERCENT_RATIO, POINTS, SHARE, Param as P, PolicyLabels, Section
from customers.models import Role

from .targets import KpiTargets
from .today import TodayParams

KPI_SECTIONS = (
    Section("products", _("Product coverage per quarter"),
            _("Customers holding products, as a share of the effective customers, in two bands by amount.")),
    Section("high_end", _("High-end permissions"), _("Opening rate of high-end permissions among large customers.")),
)
KPI_PARAMS = {
    "product_band": P(_("Product band"), CNY, _("Product assets below this count as the small band."), "products",
                      low=1),
    "product_small_target": P(_("Target below the band"), PERCENT_RATIO,
                              _("Share of effective customers holding products below the band."), "products",
                              scale=100, low=0, high=100),
    "product_large_target": P(_("Target at or above the band"), PERCENT_RATIO,
                              _("Share of effective customers holding products of the band or more."), "products",
                              scale=100, low=0, high=100),
    "high_end_assets": P(_("High-end eligibility: assets above"), CNY,
                         _("Customers with more assets count in the high-end opening rate."), "high_end", low=1),
    "high_end_target": P(_("High-end opening target"), PERCENT_RATIO,
                         _("Share of eligible customers that opened a high-end permission."), "high_end", scale=100,
                         low=0, high=100),
}
KPI_LABELS = PolicyLabels(KpiTargets, KPI_SECTIONS, KPI_PARAMS)


def _rule_rows():
    from alerts.models import Rule

    return tuple((rule.value, rule.label) for rule in Rule)


TODAY_SECTIONS = (
    Section("capacity", _("Customers per day"), _("How many customers each advisor's list holds per day.")),
    Section("risk", _("Churn risk per reason"),
            _("The chance that the reason ends with the customer gone within a quarter; ranks the list by value at "
              "risk.")),
    Section("urgency", _("Urgency points"), _("Points that move a card up the list, whatever its value.")),
    Section("room", _("Room on the list"),
            _("When the alerts leave room under the capacity, the list is filled with customers worth a call who "
              "have no alert.")),
)
TODAY_PARAMS = {
    "capacity": P(_("Customers on today's list"), _("customers per day"),
                  _("The rest wait on the later list."), "capacity", item=INTEGER,
                  rows=((Role.WEALTH_ADVISOR.value, Role.WEALTH_ADVISOR.label),
                        (Role.INVESTMENT_ADVISOR.value, Role.INVESTMENT_ADVISOR.label),
                        (Role.INSTITUTIONAL_ADVISOR.value, Role.INSTITUTIONAL_ADVISOR.label))),
    "churn_risk": P(_("Churn risk"), SHARE, _("0.35 = 35 % of such customers leave within a quarter."), "risk",
                    rows=_rule_rows()),
    "red_due_points": P(_("Red alert overdue"), POINTS, _("Added while a red alert is past its deadline."),
                        "urgency"),
    "payment_due_points": P(_("Payment due soon"), POINTS, _("Added while an IPO or rights payment is due soon."),
                            "urgency"),
    "payment_due_days": P(_("Payment due within"), DAYS, _("1 = due by tomorrow."), "urgency"),
    "id_expiry_points": P(_("ID card expiring"), POINTS, _("Added while the ID card expires soon."), "urgency"),
    "id_expiry_days": P(_("ID card expiring within"), DAYS, _("Days before the ID card expires."), "urgency"),
    "room_quiet_days": P(_("In decline and not contacted for"), DAYS,
                         _("A customer in the decline stage without a contact this long fills free room."), "room"),
    "room_planned_days": P(_("Planned contact within"), DAYS,
                           _("A planned contact this close may be made early to fill free room."), "room"),
}
TODAY_LABELS = PolicyLabels(TodayParams, TODAY_SECTIONS, TODAY_PARAMS)
