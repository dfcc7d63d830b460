"""Figures of the role workspaces (advisor dashboard, manager home): set-based reads, all through the scope.

Every function takes a `Scope` (customers.scope.scope_for) or the user, and runs a fixed number of queries
whatever the size of the book: aggregates in SQL, lists cut to a limit.
"""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pandas as pd
from django.db.models import (Case, Count, DateTimeField, Exists, F, FilteredRelation, Max, Min, OuterRef, Q,
                              Subquery, Sum, Value, When)
from django.db.models.functions import Coalesce, Mod, TruncMonth
from django.utils import timezone

from alerts import selectors as alert_selectors
from alerts.models import ACTIVE, AlertPolicy, Outcome
from alerts.params import CHURN_RULES
from crm.dates import add_months
from crm.models import CoverageCell, KpiPolicy
from customers import permissions
from customers.models import ADVISOR_ROLES, CurrentTier, Interaction, Snapshot, TierSnapshot
from customers.models import Role
from customers.scope import MANAGER_ROLES
from customers.selectors import active_capacity_policy, advisor_load
from customers.tiering.explain import stage_label, star_label
from customers.tiering.reports import STAR_ORDER, funnel_conversion, pareto
from customers.tiering.rules import INSTITUTION_STARS, RETAIL_STARS, STAGES
from surveys import selectors as survey_selectors
from surveys.models import FollowUpTask

from .targets import KpiTargets

MANAGER_HOME_ROLES = (*MANAGER_ROLES, Role.COMPLIANCE)  # the manager home, and any advisor's today list

LIST_LIMIT = 50
TODAY_ROWS = 20  # rows of each "today" list on the advisor dashboard; the counts cover all, the inbox lists all
BIRTHDAY_DAYS = 7  # today and the next 7 days
DUE_SOON_DAYS = 7  # a contact "due" falls due within this many days; before today it is "overdue"
EFFECTIVE_STAGES = ("growth", "mature", "decline")  # tiering.md: funded and traded or bought a product
CHURN_GLANCE_MONTHS = 6
SCATTER_MAX_POINTS = 2000
SATISFACTION_MONTHS = 3
# Used only when the alerts policy holds no contact frequency: star -> months between contacts (study 3.3.1).
DEFAULT_CONTACT_MONTHS = {"3": 2, "4": 1, "5": 1}
QUADRANTS = ("A", "B", "C", "D")


def today():
    return timezone.localdate()


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def contact_months():
    """{star: months between contacts} from the active alerts policy (1 query), else the named default."""
    try:
        months = alert_selectors.active_params().contact_months
    except AlertPolicy.DoesNotExist:
        months = None
    return {str(k): int(v) for k, v in (months or DEFAULT_CONTACT_MONTHS).items()}


def open_customers(scope):
    return scope.customers().filter(closed_on__isnull=True)


# --- book summary (advisor dashboard and manager home) --------------------------------------------------

def book_summary(scope):
    """Counts by star, stage and quadrant, total assets and CEV of the open customers in scope (one query)."""
    tiers = scope.filter(CurrentTier.objects.filter(customer__closed_on__isnull=True), "customer__")
    rows = list(tiers.order_by().values("star", "lifecycle_stage", "quadrant")
                .annotate(n=Count("customer_id"), assets=Sum("total_assets"), cev=Sum("cev")))
    by_star, by_stage, by_quadrant, cev_by_star = {}, {}, {}, {}
    total = 0
    assets = cev = Decimal(0)
    for r in rows:
        total += r["n"]
        assets += r["assets"] or 0
        cev += r["cev"] or 0
        by_star[r["star"]] = by_star.get(r["star"], 0) + r["n"]
        cev_by_star[r["star"]] = cev_by_star.get(r["star"], Decimal(0)) + (r["cev"] or 0)
        by_stage[r["lifecycle_stage"]] = by_stage.get(r["lifecycle_stage"], 0) + r["n"]
        by_quadrant[r["quadrant"]] = by_quadrant.get(r["quadrant"], 0) + r["n"]

    def ordered(counts, order, label=str):
        keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
        return [(k, label(k) if k else "—", counts[k]) for k in keys]

    return {
        "customers": total, "total_assets": assets, "cev": cev,
        "by_star": ordered(by_star, STAR_ORDER, star_label), "by_stage": ordered(by_stage, STAGES, stage_label),
        "by_quadrant": ordered(by_quadrant, QUADRANTS), "cev_by_star": cev_by_star,
    }


def star_distribution(summary):
    """Per star: customers, share of customers and of CEV within its kind (retail / institutional), and the
    Pareto check (share of customers and of CEV held by 4★ + 5★) via customers.tiering.reports.pareto."""
    counts = {k: n for k, _label, n in summary["by_star"]}
    rows = []
    for kind, kind_stars in (("retail", RETAIL_STARS), ("institutional", INSTITUTION_STARS)):
        stars = [s for s in kind_stars if s in counts]
        n_total = sum(counts[s] for s in stars)
        cev_total = sum(summary["cev_by_star"].get(s, 0) for s in stars)
        for s in stars:
            cev = summary["cev_by_star"].get(s, Decimal(0))
            rows.append({"star": s, "kind": kind, "label": star_label(s), "customers": counts[s], "cev": cev,
                         "customer_share": counts[s] / n_total if n_total else 0.0,
                         "cev_share": float(cev / cev_total) if cev_total else 0.0})
    frame = pd.DataFrame(rows, columns=["star", "customers", "cev", "customer_share", "cev_share"]).set_index("star")
    top = pareto(frame) if len(frame) else (0.0, 0.0)
    return rows, {"customer_share": top[0], "cev_share": top[1]}


# --- alerts ------------------------------------------------------------------------------------------

def alert_counts(user, now=None):
    """Active alerts by level, the overdue ones (open past their SLA) and when the next open one falls
    overdue (`next_due`, None if none will), in scope (one query); like the inbox's active view, neither
    snoozed alerts nor reminders waiting for their opening date count."""
    now = now or timezone.now()
    # the inbox's active view: snoozed alerts and reminders still waiting for their date are not counted
    awake = alert_selectors.awake(timezone.localdate(now))
    active = Q(status__in=ACTIVE) & awake
    return alert_selectors.visible_alerts(user).filter(awake).aggregate(
        red=Count("id", filter=active & Q(level="red")),
        yellow=Count("id", filter=active & Q(level="yellow")),
        active=Count("id", filter=active),
        overdue=Count("id", filter=Q(status="open", due_at__lt=now)),
        next_due=Min("due_at", filter=Q(status="open", due_at__gte=now)),
    )


def todays_alerts(user, limit=LIST_LIMIT):
    """Red then yellow active alerts (red first, then the earliest due), each marked overdue or not (one query
    with the customer, all a row shows)."""
    now = timezone.now()
    rows = list(alert_selectors.visible_alerts(user).filter(status__in=ACTIVE, level__in=("red", "yellow"))
                .select_related("customer").annotate(level_rank=alert_selectors.LEVEL_RANK)
                .order_by("level_rank", "due_at", "-opened_at", "id")[:limit])
    for alert in rows:
        alert.overdue = alert_selectors.is_overdue(alert, now)
    return rows


# --- contacts by service frequency ---------------------------------------------------------------------

def contacts_due(scope, months=None, day=None, limit=LIST_LIMIT):
    """Open customers in scope whose scheduled next contact (Customer.next_contact_on, the contact plan that
    alerts.schedule keeps from the stars' frequencies and every contact) is past — overdue, as the contact_due
    alert reads it — or falls within DUE_SOON_DAYS from today; a customer not yet planned is not listed.
    `months` is not read (the plan holds each customer's frequency); two queries: the counts, and the list."""
    day = day or today()
    horizon = day + timedelta(days=DUE_SOON_DAYS)
    planned = open_customers(scope).filter(next_contact_on__isnull=False, next_contact_on__lte=horizon)
    counts = planned.aggregate(overdue=Count("id", filter=Q(next_contact_on__lt=day)), listed=Count("id"))
    qs = (planned.annotate(last_contact=Max("interactions__at"))
          .values("customer_code", "name", "tier__star", "last_contact", "next_contact_on")
          .order_by("next_contact_on", "customer_code")[:limit])
    rows = [{"code": r["customer_code"], "name": r["name"], "star": r["tier__star"], "last_contact": r["last_contact"],
             "due_on": r["next_contact_on"], "overdue": r["next_contact_on"] < day} for r in qs]
    return {"rows": rows, "overdue": counts["overdue"], "due": counts["listed"] - counts["overdue"]}


# --- survey follow-up tasks, birthdays --------------------------------------------------------------------

def follow_up_tasks(user, staff, limit=LIST_LIMIT):
    """Open follow-up tasks owned by this advisor, earliest due first, with the customer (one query)."""
    if staff is None:
        return []
    day = today()
    rows = list(survey_selectors.tasks_for(user).select_related(None).select_related("customer")
                .filter(owner=staff, status__in=(FollowUpTask.State.OPEN, FollowUpTask.State.RESURVEY))
                .order_by("due_on", "id")[:limit])
    for task in rows:
        task.overdue = task.due_on < day
    return rows


def open_task_count(user, staff):
    """How many follow-up tasks this advisor has open (one query)."""
    if staff is None:
        return 0
    return (survey_selectors.tasks_for(user).select_related(None)
            .filter(owner=staff, status__in=(FollowUpTask.State.OPEN, FollowUpTask.State.RESURVEY)).count())


def birthdays(scope, day=None, days=BIRTHDAY_DAYS, limit=LIST_LIMIT):
    """Open customers in scope whose birthday falls today or within the next `days` days (one query)."""
    day = day or today()
    dates = [day + timedelta(days=i) for i in range(days + 1)]
    q = Q(pk__in=[])
    for d in dates:
        q |= Q(birth_date__month=d.month, birth_date__day=d.day)
    order = {(d.month, d.day): i for i, d in enumerate(dates)}
    rows = list(open_customers(scope).filter(q).values("customer_code", "name", "birth_date", "tier__star"))
    for r in rows:
        r["on"] = dates[order[(r["birth_date"].month, r["birth_date"].day)]]
    rows.sort(key=lambda r: (r["on"], r["customer_code"]))
    return rows[:limit]


def advisor_dashboard(user, scope):
    months = contact_months()
    summary = book_summary(scope)
    return {
        "summary": summary, "counts_explained": counts_explained(scope, summary),
        "alert_counts": alert_counts(user),
        "alerts": todays_alerts(user, TODAY_ROWS),
        "contacts": contacts_due(scope, months, limit=TODAY_ROWS),
        "contact_months": sorted(months.items()),
        "tasks": follow_up_tasks(user, scope.staff, TODAY_ROWS),
        "task_count": open_task_count(user, scope.staff),
        "birthdays": birthdays(scope),
    }


def dashboard_fresh_for(context, now=None, longest=15 * 60):
    """Seconds for which an advisor dashboard computed now stays exact if nothing in the book is written:
    until its next open alert falls overdue, at most `longest` (its date, the book's change mark and
    the viewer are in the cache key: customers.services.touch_books)."""
    now = now or timezone.now()
    next_due = context["alert_counts"]["next_due"]
    if next_due is None:
        return longest
    return max(1, min(longest, int((next_due - now).total_seconds())))


# --- manager home ------------------------------------------------------------------------------------------

def coverage_by_advisor(scope, months=None, day=None):
    """Per advisor in scope: load against the cap, and service-frequency compliance: among their open customers
    whose star calls for regular contact (3★+), the share with an interaction within the star's frequency.
    A customer counts for its advisor and for its investment advisor (the book as the scope defines it).
    Queries: advisors 1, load 1, capacity policy 1, compliance 1 (grouped by both advisor columns)."""
    months = months if months is not None else contact_months()
    day = day or today()
    advisors = list(scope.staff_queryset().filter(role__in=ADVISOR_ROLES, is_active=True)
                    .order_by("office__code", "staff_code"))
    load = advisor_load([a.pk for a in advisors]) if advisors else {}
    policy = active_capacity_policy()
    cutoff = Case(*[When(tier__star=s, then=Value(_start_of(add_months(day, -n)))) for s, n in months.items()],
                  default=Value(None), output_field=DateTimeField())
    base = (open_customers(scope).filter(tier__star__in=list(months))
            .annotate(cutoff=cutoff)
            .annotate(contacted=Exists(Interaction.objects.filter(customer=OuterRef("pk"),
                                                                  at__gte=OuterRef("cutoff")))))
    due, ok = {}, {}
    # one pass grouped by both advisor columns; each group counts for both of its advisors
    for r in (base.order_by().values("advisor_id", "investment_advisor_id")
              .annotate(n=Count("id"), ok=Count("id", filter=Q(contacted=True)))):
        for staff_id in {r["advisor_id"], r["investment_advisor_id"]} - {None}:
            due[staff_id] = due.get(staff_id, 0) + r["n"]
            ok[staff_id] = ok.get(staff_id, 0) + r["ok"]
    rows = []
    for a in advisors:
        cap = policy.cap_for(a.role)
        n_due = due.get(a.pk, 0)
        rows.append({
            "id": a.pk, "office": a.office.code, "staff_code": a.staff_code, "name": a.name, "role": a.get_role_display(),
            "grade": a.get_grade_display() if a.grade else "", "customers": load.get(a.pk, 0), "cap": cap,
            "over_cap": bool(cap) and load.get(a.pk, 0) > cap,
            "frequency_due": n_due, "frequency_ok": ok.get(a.pk, 0),
            "compliance": ok.get(a.pk, 0) / n_due if n_due else None,
        })
    return rows


def active_targets():
    """The active coverage-KPI targets (crm.models.KpiPolicy; 1 query), else the study's values."""
    policy = KpiPolicy.objects.filter(status=KpiPolicy.Status.ACTIVE).first()
    return (KpiTargets.from_json(policy.params) if policy else KpiTargets()), policy


def high_end_rates(scope, targets):
    """Among open customers in scope with total assets above targets.high_end_assets: per high-end permission,
    how many have opened it and the rate against the target (one query)."""
    qs = open_customers(scope).filter(tier__total_assets__gt=Decimal(str(targets.high_end_assets))).annotate(
        **{f"p_{code}": F("permission_flags").bitand(bit) for code, bit in permissions.BIT.items()})
    counts = qs.aggregate(eligible=Count("id"), **{
        code: Count("id", filter=Q(**{f"p_{code}__gt": 0})) for code in permissions.PERMISSION_CODES})
    eligible = counts["eligible"]
    rows = []
    for code in permissions.PERMISSION_CODES:
        rate = counts[code] / eligible if eligible else None
        rows.append({"code": code, "label": permissions.PERMISSION_LABELS[code], "eligible": eligible,
                     "opened": counts[code], "rate": rate, "met": rate is not None and rate >= targets.high_end_target})
    return rows


def quarter_start(day):
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def _coverage_dates(start, end):
    """The quarter's measuring dates: its last snapshot date, and the last tiering run on or before it (2 queries,
    both on the date indexes)."""
    snap_day = Snapshot.objects.filter(date__gte=start, date__lte=end).aggregate(d=Max("date"))["d"]
    if snap_day is None:
        return None, None
    return snap_day, TierSnapshot.objects.filter(date__lte=snap_day).aggregate(d=Max("date"))["d"]


def coverage_groups(customers, snap_day, run_day, band):
    """Effective customers of a customer queryset, and those holding products under / at or above `band`,
    grouped by office and advisor pair (1 grouped query): rows (office_id, advisor_id, investment_advisor_id,
    effective, small, large)."""
    qs = (customers.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=snap_day))
          .annotate(run=FilteredRelation("tier_snapshots", condition=Q(tier_snapshots__date=run_day)),
                    snap=FilteredRelation("snapshots", condition=Q(snapshots__date=snap_day)))
          .filter(run__lifecycle_stage__in=EFFECTIVE_STAGES)
          .annotate(products=Coalesce(F("snap__equity_fund_value") + F("snap__fixed_income_value")
                                      + F("snap__reits_trust_value") + F("snap__other_product_value"),
                                      Value(Decimal(0))))
          .order_by())
    band = Decimal(str(band))
    return [(r["office_id"], r["advisor_id"], r["investment_advisor_id"], r["n"], r["small"], r["large"])
            for r in qs.values("office_id", "advisor_id", "investment_advisor_id").annotate(
                n=Count("id"), small=Count("id", filter=Q(products__gt=0, products__lt=band)),
                large=Count("id", filter=Q(products__gte=band)))]


def _stored_groups(scope, snap_day, run_day, band):
    """The groups aggregated at night for these dates and band, within the scope (1 query); None when the
    night did not store them or the scope is not a whole office or the branch."""
    if not (scope.is_branch_wide or scope.role in MANAGER_ROLES):
        return None
    rows = CoverageCell.objects.filter(snap_day=snap_day, run_day=run_day, band=Decimal(str(band)))
    if not scope.is_branch_wide:
        rows = rows.filter(Q(office_id=scope.office_id) | Q(office_id=0))
    rows = list(rows.values_list("office_id", "advisor_id", "investment_advisor_id", "effective", "small", "large"))
    if not any(r[0] == 0 for r in rows):
        return None
    return [r for r in rows if r[0] != 0]


def _product_counts(scope, snap_day, run_day, band):
    """{staff id: (effective, holding under `band`, holding `band` or more)} for the customers in scope,
    counted for their advisor and for their investment advisor, and the scope's total: from the night's
    aggregate when there is one, else one grouped query."""
    groups = _stored_groups(scope, snap_day, run_day, band)
    if groups is None:
        groups = coverage_groups(scope.customers(), snap_day, run_day, band)
    counts, total = {}, (0, 0, 0)
    for _office, advisor_id, investment_advisor_id, *figures in groups:
        total = tuple(map(sum, zip(total, figures)))  # each group once in the total, for both of its advisors
        for staff_id in {advisor_id, investment_advisor_id} - {None}:
            counts[staff_id] = tuple(map(sum, zip(counts.get(staff_id, (0, 0, 0)), figures)))
    return counts, total


def coverage_dates(day=None):
    """The measuring dates (snapshot day, run day) of this quarter and the last (4 queries)."""
    day = day or today()
    this_start = quarter_start(day)
    last_start = quarter_start(this_start - timedelta(days=1))
    return [(start, *_coverage_dates(start, end))
            for start, end in ((this_start, day), (last_start, this_start - timedelta(days=1)))]


def _coverage_figures(effective, small, large, targets):
    small_rate = small / effective if effective else None
    large_rate = large / effective if effective else None
    return {"effective": effective, "small": small, "large": large, "small_rate": small_rate,
            "large_rate": large_rate,
            "small_met": small_rate is not None and small_rate >= targets.product_small_target,
            "large_met": large_rate is not None and large_rate >= targets.product_large_target}


def product_coverage(scope, targets, day=None):
    """Product coverage (study 3.3.1) of this quarter and the last: among the effective customers in scope
    (lifecycle stage growth, mature or decline at the quarter's last run), the share holding products
    (funds, fixed income, REITs/trusts, other) worth less than targets.product_band CNY at the quarter's
    last snapshot, and the share holding that much or more; for the branch and per advisor.
    At most 6 queries."""
    quarters = []
    for start, snap_day, run_day in coverage_dates(day):
        label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
        if run_day is None:
            quarters.append({"label": label, "as_of": snap_day, "run": None, "by_staff": {},
                             **_coverage_figures(0, 0, 0, targets)})
            continue
        by_staff, total = _product_counts(scope, snap_day, run_day, targets.product_band)
        quarters.append({"label": label, "as_of": snap_day, "run": run_day, **_coverage_figures(*total, targets),
                         "by_staff": {k: _coverage_figures(*v, targets) for k, v in by_staff.items()}})
    return quarters


def churn_glance(user, scope, day=None, months=CHURN_GLANCE_MONTHS):
    """Churn at a glance over the last `months` months (3 queries): per month, the explicit outflow (accounts
    closed, and their total assets at the last month-end before the month they closed in: what they held
    before they left) and the implicit outflow (customers whose "assets elsewhere" alert first fired, and the
    assets estimated elsewhere); and the churn warnings opened in that time by status and by outcome."""
    day = day or today()
    since = add_months(day.replace(day=1), -(months - 1))
    before = Snapshot.objects.filter(customer=OuterRef("pk"), date__lt=OuterRef("month"))  # before that month
    closed = {r["month"].strftime("%Y-%m"): (r["n"], r["assets"] or 0) for r in
              scope.customers().filter(closed_on__gte=since, closed_on__lte=day).order_by()
              .annotate(month=TruncMonth("closed_on"))
              .annotate(held=Subquery(before.order_by("-date").values("total_assets")[:1]))
              .values("month").annotate(n=Count("id"), assets=Sum("held"))}
    elsewhere = alert_selectors.assets_elsewhere_by_month(user, since, day)
    labels = [add_months(since, i).strftime("%Y-%m") for i in range(months)]
    warnings = alert_selectors.visible_alerts(user).filter(rule__in=CHURN_RULES, first_fired_on__gte=since)
    figures = warnings.aggregate(
        fired=Count("id"), active=Count("id", filter=Q(status__in=ACTIVE)),
        **{o: Count("id", filter=Q(status="resolved", outcome=o)) for o in Outcome.values})
    by_month = [{"month": m, "closed": closed.get(m, (0, 0))[0], "closed_assets": closed.get(m, (0, 0))[1],
                 "elsewhere": elsewhere.get(m, (0, 0.0))[0], "elsewhere_assets": elsewhere.get(m, (0, 0.0))[1]}
                for m in labels]
    return {"since": since, "months": by_month, "closed": [(r["month"], r["closed"]) for r in by_month],
            "warnings": figures, "outcomes": [(o, label, figures[o]) for o, label in Outcome.choices]}


def satisfaction(user, day=None):
    """Survey satisfaction of the last SATISFACTION_MONTHS months by office (surveys selectors) and the
    response rate over the same window."""
    day = day or today()
    since = add_months(day.replace(day=1), -(SATISFACTION_MONTHS - 1))
    responses = survey_selectors.responses_for(user).filter(surveyed_on__gte=since, surveyed_on__lte=day)
    months, rows = survey_selectors.satisfaction_index(responses, "office")
    return {"since": since, "months": months, "rows": rows,
            "response_rate": survey_selectors.response_rate(responses)}


def quadrant_points(scope, total, limit=SCATTER_MAX_POINTS):
    """CEV × CPV points (both > 0, for log scales) of open customers in scope, by quadrant: a systematic
    sample of every k-th customer id so that at most `limit` points travel (one query)."""
    step = max(1, -(-total // limit))
    qs = scope.filter(CurrentTier.objects.filter(customer__closed_on__isnull=True, cev__gt=0, cpv__gt=0),
                      "customer__")
    if step > 1:
        qs = qs.annotate(bucket=Mod("customer_id", step)).filter(bucket=0)
    points = {}
    for cev, cpv, quadrant in qs.order_by().values_list("cev", "cpv", "quadrant")[:limit]:
        points.setdefault(quadrant or "—", []).append({"x": float(cev), "y": float(cpv)})
    return {"step": step, "series": sorted(points.items())}


def kpi_rows(coverage, high_end, products, targets):
    """The KPI table as export rows (strings/numbers only), each measure named in the reader's language."""
    from django.utils.translation import gettext as _

    frequency, capacity, permissions_ = (_("Service-frequency compliance"), _("Capacity"),
                                         _("High-end permission opening rate"))
    band = f"{targets.product_band:,.0f}"
    bands = {"small": _("Products < %(b)s") % {"b": band}, "large": _("Products ≥ %(b)s") % {"b": band}}
    rows = []
    for r in coverage:
        rows.append((frequency, r["office"], r["staff_code"], r["name"], r["frequency_due"], r["frequency_ok"],
                     None if r["compliance"] is None else round(r["compliance"] * 100, 1), None))
        rows.append((capacity, r["office"], r["staff_code"], r["name"], r["cap"], r["customers"],
                     round(r["customers"] * 100 / r["cap"], 1) if r["cap"] else None, None))
    for q in products:
        for band_key, target in (("small", targets.product_small_target), ("large", targets.product_large_target)):
            rate = q[f"{band_key}_rate"]
            rows.append((f"{bands[band_key]} {q['label']}", "", "", "", q["effective"], q[band_key],
                         None if rate is None else round(rate * 100, 1), target * 100))
    for r in high_end:
        rows.append((permissions_, "", r["code"], str(r["label"]), r["eligible"], r["opened"],
                     None if r["rate"] is None else round(r["rate"] * 100, 1), targets.high_end_target * 100))
    return rows


def kpis(scope, months=None):
    """Everything the KPI table and its export show (shared by the page and the export)."""
    targets, policy = active_targets()
    coverage = coverage_by_advisor(scope, months)
    products = product_coverage(scope, targets)
    by_staff = products[0]["by_staff"]
    for r in coverage:
        r["products"] = by_staff.get(r["id"])
    return {"targets": targets, "targets_policy": policy, "coverage": coverage, "products": products,
            "high_end": high_end_rates(scope, targets)}


def counts_explained(scope, summary):
    """Why the customer list counts more customers than the page: the list shows every customer in scope, the
    page the open accounts with a tier. {listed, closed, unranked} (one query), None when they agree."""
    counts = scope.customers().aggregate(listed=Count("id"), closed=Count("id", filter=Q(closed_on__isnull=False)))
    if counts["listed"] == summary["customers"]:
        return None
    return {**counts, "unranked": counts["listed"] - counts["closed"] - summary["customers"]}


def manager_home(user, scope):
    from products.selectors import staffing_report

    months = contact_months()
    summary = book_summary(scope)
    stars, top = star_distribution(summary)
    _people, offices, _caps = staffing_report(scope)
    stage_counts = {code: n for code, _label, n in summary["by_stage"]}
    return {
        "summary": summary, "stars": stars, "pareto": top, "counts_explained": counts_explained(scope, summary),
        "funnel": [{**r, "label": stage_label(r["stage"])} for r in funnel_conversion(stage_counts)],
        "alert_counts": alert_counts(user),
        "churn": churn_glance(user, scope),
        "satisfaction": satisfaction(user),
        **kpis(scope, months),
        "grade_fit": offices.reset_index().to_dict("records"),
        "contact_months": sorted(months.items()),
        "chart": chart_data(stars, quadrant_points(scope, summary["customers"])),
        **advisor_work_tables(scope),
    }


def advisor_work_tables(scope):
    """Issue 18's measures of the advisors' day (alerts.advisor_work) for the advisors in the manager's scope."""
    from alerts.advisor_work import work_measures

    work = work_measures(scope.staff_queryset())
    return {"work": work, "work_tables": [("advisor-work", work["advisors"]), ("office-work", work["offices"])]}


def chart_data(stars, scatter):
    """What the page's charts draw (embedded as JSON; no network). The star chart draws retail stars, whose
    shares add up to 100 % (institutions' shares are of institutions: the table shows them apart)."""
    stars = [r for r in stars if r.get("kind", "retail") == "retail"]
    return {"scatter": [{"label": q, "data": pts} for q, pts in scatter["series"]], "sample_step": scatter["step"],
            "stars": {"labels": [str(r["label"]) for r in stars],
                      "customers": [round(r["customer_share"] * 100, 1) for r in stars],
                      "cev": [round(r["cev_share"] * 100, 1) for r in stars]}}
