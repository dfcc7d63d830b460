"""The advisor's day, measured (issue 18, point 5), per advisor and office over the last `days` days:

- items handled per day: alert steps the advisor took (acknowledge, dismiss, resolve, snooze; a move to
  *contacted* counts as its contact instead) plus the contacts they logged, divided by the days;
- share of today's list done: of the customers on their today list on a day (TodayListEntry, recorded once a
  day after the nightly scan), the share contacted that same day, by anyone;
- value at risk contacted within its SLA: over the alerts with an SLA the advisor owned that opened in the
  period, the value at risk (CLV, or total assets where CLV is missing, × the rule's churn risk from the today
  list's policy) of those contacted by their due time, against all of it.

Each measure is one grouped query whatever the number of advisors; the daily record is one read of every
advisor's open alerts, one of their contacts, and one bulk insert.
"""
from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from customers.models import ADVISOR_ROLES, Interaction, Staff

from .models import Alert, AlertTransition, TodayListEntry

PERIOD_DAYS = 30
ADVISOR_STEPS = ("transition", "snoozed")  # "contact" steps follow an interaction already counted


def record_today_lists(day=None):
    """Every active advisor's today list of `day` (default today), as TodayListEntry rows; the first record of a
    day stands (a second scan the same day must not shrink the list the advisor already worked). Returns rows."""
    from crm.workspaces import today

    day = day or timezone.localdate()
    if TodayListEntry.objects.filter(day=day).exists():
        return 0
    rows = today.work_rows(Alert.objects.filter(owner__role__in=ADVISOR_ROLES, owner__is_active=True), day,
                           with_owner=True)
    roles = dict(Staff.objects.filter(pk__in={r["owner_id"] for r in rows}).values_list("pk", "role"))
    contacts = today.last_contacts(sorted({r["customer_id"] for r in rows})) if rows else {}
    params = today.active_params()
    lists = today.lists_by_advisor(rows, contacts, day, params, lambda owner: params.capacity_of(roles[owner]))
    entries = [TodayListEntry(day=day, advisor_id=owner, customer_id=c.customer_id, rank=rank,
                              value_at_risk=c.value_at_risk)
               for owner, (cards, _all) in lists.items() for rank, c in enumerate(cards, 1)]
    TodayListEntry.objects.bulk_create(entries, batch_size=5000, ignore_conflicts=True)
    return len(entries)


def work_measures(advisors, day=None, days=PERIOD_DAYS):
    """{"advisors": [row], "offices": [row]} for the `advisors` queryset (already scoped); a row has code, name,
    office, items, items_per_day, listed, listed_done, done_share, var_due, var_in_sla, var_share."""
    from crm.workspaces.today import active_params

    day = day or timezone.localdate()
    since = day - timedelta(days=days - 1)
    start = timezone.make_aware(timezone.datetime.combine(since, timezone.datetime.min.time()))
    people = list(advisors.filter(role__in=ADVISOR_ROLES).order_by("office__code", "staff_code")
                  .values("pk", "staff_code", "name", "user_id", office_code=F("office__code")))
    ids = [p["pk"] for p in people]
    users = {p["user_id"]: p["pk"] for p in people if p["user_id"]}
    steps = dict((users[u], n) for u, n in AlertTransition.objects.filter(
        actor_id__in=list(users), action__in=ADVISOR_STEPS, interaction_id__isnull=True, at__gte=start)
        .order_by().values("actor_id").annotate(n=Count("id")).values_list("actor_id", "n"))
    logged = dict(Interaction.objects.filter(staff_id__in=ids, at__gte=start).order_by().values("staff_id")
                  .annotate(n=Count("id")).values_list("staff_id", "n"))
    contacted = Interaction.objects.filter(customer_id=OuterRef("customer_id")).annotate(
        on=TruncDate("at")).filter(on=OuterRef("day"))
    listed = {a: (n, done) for a, n, done in TodayListEntry.objects.filter(
        advisor_id__in=ids, day__gte=since, day__lte=day).annotate(done=Exists(contacted)).order_by()
        .values("advisor_id").annotate(n=Count("id"), d=Count("id", filter=Q(done=True)))
        .values_list("advisor_id", "n", "d")}
    var = _value_at_risk_in_sla(ids, start, active_params())
    rows = []
    for p in people:
        n, done = listed.get(p["pk"], (0, 0))
        due, in_sla = var.get(p["pk"], (0.0, 0.0))
        rows.append(_row(p["staff_code"], p["name"], p["office_code"], steps.get(p["pk"], 0) + logged.get(p["pk"], 0),
                         n, done, due, in_sla, days))
    return {"advisors": rows, "offices": _by_office(rows, days), "since": since, "until": day}


def _value_at_risk_in_sla(advisor_ids, start, params):
    """{advisor id: (value at risk of alerts with an SLA, of those contacted by their due time)}: one query."""
    out = defaultdict(lambda: [0.0, 0.0])
    for owner, rule, clv, assets, due_at, contacted_at in (
            Alert.objects.filter(owner_id__in=advisor_ids, opened_at__gte=start, due_at__isnull=False)
            .values_list("owner_id", "rule", "customer__tier__clv", "customer__tier__total_assets", "due_at",
                         "contacted_at")):
        value = (float(clv) if clv else float(assets or 0)) * float(params.churn_risk.get(rule, 0.0))
        out[owner][0] += value
        if contacted_at is not None and contacted_at <= due_at:
            out[owner][1] += value
    return {k: tuple(v) for k, v in out.items()}


def _row(code, name, office, items, listed, done, var_due, var_in_sla, days):
    return {"code": code, "name": name, "office": office, "items": items, "items_per_day": round(items / days, 2),
            "listed": listed, "listed_done": done, "done_share": done / listed if listed else None,
            "var_due": round(var_due, 2), "var_in_sla": round(var_in_sla, 2),
            "var_share": var_in_sla / var_due if var_due else None}


def _by_office(rows, days):
    sums = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    for r in rows:
        s = sums[r["office"]]
        s[0] += r["items"]
        s[1] += r["listed"]
        s[2] += r["listed_done"]
        s[3] += r["var_due"]
        s[4] += r["var_in_sla"]
    return [_row("", "", office, *s, days) for office, s in sorted(sums.items())]
