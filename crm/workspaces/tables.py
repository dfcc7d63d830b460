"""Every table of the two workspaces as export rows, built from the same context the page renders.

`?export=<table id>&format=csv` on the advisor dashboard or the manager home returns that table; `format=xlsx`
the page's workbook, a sheet per table, opening on that one (crm.exports: formulas neutralised). Labels are in
the reader's language; amounts and counts stay numbers, shares are percentages rounded to 0.1 (PCT100: the
workbook formats them as percentages); TITLES name the sheets as the page names the tables."""
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.dates import local_minute
from crm.exports import INT, MONEY, NUMBER, PCT100

TITLES = {
    "by-star": gettext_lazy("By star"), "by-stage": gettext_lazy("By lifecycle stage"),
    "by-quadrant": gettext_lazy("By quadrant"), "today-alerts": gettext_lazy("Alerts"),
    "today-tasks": gettext_lazy("Survey follow-up tasks"),
    "today-contacts": gettext_lazy("Contacts due by service frequency"),
    "today-birthdays": gettext_lazy("Birthdays in the next 7 days"),
    "stars": gettext_lazy("Tier distribution by star"), "funnel": gettext_lazy("Lifecycle funnel"),
    "quadrants": gettext_lazy("By quadrant"), "churn-by-month": gettext_lazy("Churn by month"),
    "satisfaction": gettext_lazy("Survey satisfaction"), "product-coverage": gettext_lazy("Product coverage"),
    "high-end": gettext_lazy("High-end permission opening rate"),
    "grade-fit": gettext_lazy("Advisor grade fit and capacity by office"),
    "advisor-work": gettext_lazy("By advisor"), "office-work": gettext_lazy("By office"),
}
_WORK = {2: NUMBER, 3: INT, 4: INT, 5: PCT100, 6: MONEY, 7: MONEY, 8: PCT100,
         9: INT, 10: PCT100, 11: INT, 12: PCT100}  # with the advisor column first
FORMATS = {  # {table id: {column index: kind}}; other columns are written by their values' types
    "stars": {1: INT, 2: PCT100, 3: MONEY, 4: PCT100},
    "funnel": {3: PCT100},
    "churn-by-month": {2: MONEY, 4: MONEY},
    "product-coverage": {4: PCT100, 6: PCT100},
    "high-end": {3: PCT100},
    "advisor-work": _WORK,
    "office-work": {i - 1: kind for i, kind in _WORK.items()},
}


def _pct(share):
    return None if share is None else round(share * 100, 1)


def _labelled(rows):
    return [(str(label), n) for _code, label, n in rows]


def _customer(code, name):
    return f"{code} {name}"


def _day(value):
    """A time as the day it fell on, locally (the page shows the date)."""
    return None if value is None else timezone.localtime(value).date()


def advisor_tables(context):
    """{table id: (headers, rows)} of the advisor dashboard."""
    summary = context["summary"]
    return {
        "by-star": ([_("Star"), _("Customers")], _labelled(summary["by_star"])),
        "by-stage": ([_("Stage"), _("Customers")], _labelled(summary["by_stage"])),
        "by-quadrant": ([_("Quadrant"), _("Customers")], _labelled(summary["by_quadrant"])),
        "today-alerts": ([_("Level"), _("Customer"), _("Rule"), _("Due"), _("Overdue")],
                         [(str(a.get_level_display()), _customer(a.customer.customer_code, a.customer.name),
                           str(a.get_rule_display()), local_minute(a.due_at), bool(a.overdue))
                          for a in context["alerts"]]),
        "today-tasks": ([_("Customer"), _("Category"), _("Due"), _("Overdue")],
                        [(_customer(t.customer.customer_code, t.customer.name), str(t.get_category_display()), t.due_on,
                          bool(t.overdue)) for t in context["tasks"]]),
        "today-contacts": ([_("Customer"), _("Star"), _("Last contact"), _("Due"), _("Overdue")],
                           [(_customer(c["code"], c["name"]), c["star"], _day(c["last_contact"]), c["due_on"],
                             bool(c["overdue"])) for c in context["contacts"]["rows"]]),
        "today-birthdays": ([_("Date"), _("Customer"), _("Star")],
                            [(b["on"], _customer(b["customer_code"], b["name"]), b["tier__star"] or "")
                             for b in context["birthdays"]]),
    }


def _work(rows, by_advisor):
    headers = [_("Office"), _("Items handled per day"), _("On today's list"), _("Contacted that day"),
               _("Share done"), _("Value at risk with an SLA"), _("Contacted within the SLA"), _("Share"),
               _("Warned, contacted within 7 days"), _("Assets kept after 30 days"),
               _("Warned, not contacted"), _("Assets kept after 30 days (not contacted)")]
    return ([_("Advisor"), *headers] if by_advisor else headers,
            [((f"{r['code']} {r['name']}",) if by_advisor else ()) + (
                r["office"], r["items_per_day"], r["listed"], r["listed_done"], _pct(r["done_share"]), r["var_due"],
                r["var_in_sla"], _pct(r["var_share"]), r["kept_n"], _pct(r["kept_share"]), r["lost_n"],
                _pct(r["lost_share"])) for r in rows])


def manager_tables(context):
    """{table id: (headers, rows)} of the manager home (the coverage KPIs have their own export)."""
    churn = context["churn"]
    band = context["targets"].product_band
    satisfaction = context["satisfaction"]
    return {
        "stars": ([_("Star"), _("Customers"), _("% of customers"), "CEV", _("% of CEV")],
                  [(str(r["label"]), r["customers"], _pct(r["customer_share"]), r["cev"], _pct(r["cev_share"]))
                   for r in context["stars"]]),
        "funnel": ([_("Stage"), _("Now"), _("Reached"), _("Conversion")],
                   [(str(r["label"]), r["customers"], r["reached"], _pct(r["conversion"]))
                    for r in context["funnel"]]),
        "quadrants": ([_("Quadrant"), _("Customers")], _labelled(context["summary"]["by_quadrant"])),
        "churn-by-month": ([_("Month"), _("Accounts closed"), _("Assets they held"),
                            _("Customers with assets elsewhere"), _("Estimated assets elsewhere")],
                           [(r["month"], r["closed"], r["closed_assets"], r["elsewhere"], r["elsewhere_assets"])
                            for r in churn["months"]]),
        "satisfaction": ([_("Office"), *satisfaction["months"]],
                         [(office, *values) for office, values in satisfaction["rows"]]),
        "product-coverage": ([_("Quarter"), _("Measured on"), _("Effective customers"),
                              _("Products < %(b)s") % {"b": f"{band:,.0f}"}, "%",
                              _("Products ≥ %(b)s") % {"b": f"{band:,.0f}"}, "%"],
                             [(q["label"], q["as_of"], q["effective"], q["small"], _pct(q["small_rate"]), q["large"],
                               _pct(q["large_rate"])) for q in context["products"]]),
        "high-end": ([_("Permission"), _("Eligible"), _("Opened it"), _("Rate")],
                     [(str(r["label"]), r["eligible"], r["opened"], _pct(r["rate"])) for r in context["high_end"]]),
        "grade-fit": ([_("Office"), _("Customers"), _("Calling for a grade"), _("Served below grade"),
                       _("Without investment advisor"), _("Advisors over cap")],
                      [(r["office_code"], r["customers"], r["needs_grade"], r["below_grade"], r["without_ia"],
                        r["advisors_over_cap"]) for r in context["grade_fit"]]),
        "advisor-work": _work(context["work"]["advisors"], True),
        "office-work": _work(context["work"]["offices"], False),
    }
