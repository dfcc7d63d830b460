"""The advisor's day, measured (issue 18, point 5), per advisor and office over the last `days` days:

- items handled per day: alert steps the advisor took (acknowledge, dismiss, resolve, snooze; a move to
  *contacted* counts as its contact instead) plus the contacts they logged, divided by the days;
- share of today's list done: of the customers on their today list on a day (TodayListEntry, recorded once a
  day after the nightly scan), the share contacted that same day, by anyone;
- value at risk contacted within its SLA: over the alerts with an SLA the advisor owned that opened in the
  period, the value at risk (CLV, or total assets where CLV is missing, × the rule's churn risk from the today
  list's policy) of those contacted by their due time, against all of it;
- assets kept after a warning, contacted or not: the customers whose first churn warning of the period fired at
  least RETAIN_DAYS ago, split by whether someone contacted them within CONTACTED_WITHIN_DAYS of the warning;
  for each group the total assets RETAIN_DAYS after the warning over the total at it (latest snapshots on or
  before each date). Not a causal effect — advisors call the customers they think they can keep — but the
  figure a manager watches to see whether the calls go where they help.

Each measure is one grouped query whatever the number of advisors; the daily record is one read of every
advisor's open alerts, one of their contacts, and one bulk insert.
"""
from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from customers.models import ADVISOR_ROLES, Customer, Interaction, Staff

from .models import Alert, AlertTransition, TodayListEntry

PERIOD_DAYS = 30
RETAIN_DAYS = 30  # assets compared this many days after the warning
CONTACTED_WITHIN_DAYS = 7  # a warning counts as contacted when a contact followed within this many days
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
    contacts = today.last_contacts(sorted({r["customer_id"] for r in rows})) if rows else {}
    params = today.active_params()
    advisors = dict(Staff.objects.filter(role__in=ADVISOR_ROLES, is_active=True).values_list("pk", "role"))
    room = today.room_rows(Customer.objects.filter(Q(advisor_id__in=list(advisors)) | Q(
        advisor__isnull=True, investment_advisor_id__in=list(advisors))), day, params)
    lists = today.lists_by_advisor(rows, contacts, day, params,
                                   lambda owner: params.capacity_of(advisors[owner]) if owner in advisors else None,
                                   room=room)
    entries = [TodayListEntry(day=day, advisor_id=owner, customer_id=c.customer_id, rank=rank,
                              value_at_risk=c.value_at_risk)
               for owner, (cards, _alerts, _room) in lists.items() for rank, c in enumerate(cards, 1)]
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
    kept = assets_kept(ids, day, days)
    rows = []
    for p in people:
        n, done = listed.get(p["pk"], (0, 0))
        due, in_sla = var.get(p["pk"], (0.0, 0.0))
        rows.append(_row(p["staff_code"], p["name"], p["office_code"], steps.get(p["pk"], 0) + logged.get(p["pk"], 0),
                         n, done, due, in_sla, days, *kept.get(p["pk"], KEPT_NONE)))
    return {"advisors": rows, "offices": _by_office(rows, days), "since": since, "until": day,
            "warned_until": day - timedelta(days=RETAIN_DAYS)}


KEPT_NONE = (0, 0.0, 0.0, 0, 0.0, 0.0)  # contacted: n, assets at, after; not contacted: n, assets at, after


def assets_kept(advisor_ids, day, days=PERIOD_DAYS):
    """{advisor id: KEPT_NONE-shaped sums} over the customers whose first churn warning owned by the advisor fired
    in [day − RETAIN_DAYS − days + 1, day − RETAIN_DAYS]: three reads (warnings, contacts, snapshots), then
    pandas (merge_asof for the assets at and after the warning)."""
    import pandas as pd

    from customers.models import Snapshot

    from .params import CHURN_RULES

    last = day - timedelta(days=RETAIN_DAYS)
    first = last - timedelta(days=days - 1)
    warned = pd.DataFrame(list(
        Alert.objects.filter(owner_id__in=advisor_ids, rule__in=CHURN_RULES, first_fired_on__gte=first,
                             first_fired_on__lte=last).order_by()
        .values("customer_id").annotate(owner_id=Min("owner_id"), on=Min("first_fired_on"))
        .values_list("customer_id", "owner_id", "on")), columns=["customer_id", "owner_id", "on"])
    if warned.empty:
        return {}
    warned = warned.sort_values("on").drop_duplicates("customer_id")
    ids = warned["customer_id"].tolist()
    contacts = pd.DataFrame(list(Interaction.objects.filter(
        customer_id__in=ids, at__gte=_start_of(first), at__lt=_start_of(last + timedelta(days=CONTACTED_WITHIN_DAYS + 1)))
        .order_by().values_list("customer_id", "at")), columns=["customer_id", "at"])
    warned["on"] = pd.to_datetime(warned["on"]).astype("datetime64[ns]")
    if contacts.empty:
        warned["contacted"] = False
    else:
        contacts["day"] = pd.to_datetime(contacts["at"].map(timezone.localdate)).astype("datetime64[ns]")
        both = warned.merge(contacts[["customer_id", "day"]], on="customer_id")
        soon = both[(both["day"] >= both["on"])
                    & (both["day"] <= both["on"] + pd.Timedelta(days=CONTACTED_WITHIN_DAYS))]
        warned["contacted"] = warned["customer_id"].isin(soon["customer_id"])
    snaps = pd.DataFrame(list(Snapshot.objects.filter(
        customer_id__in=ids, date__gte=first - timedelta(days=62), date__lte=day).order_by()
        .values_list("customer_id", "date", "total_assets")), columns=["customer_id", "date", "assets"])
    if snaps.empty:
        return {}
    snaps["date"] = pd.to_datetime(snaps["date"]).astype("datetime64[ns]")
    snaps["assets"] = snaps["assets"].astype(float)
    snaps = snaps.sort_values("date")
    warned["after_on"] = warned["on"] + pd.Timedelta(days=RETAIN_DAYS)
    at = pd.merge_asof(warned.sort_values("on"), snaps, left_on="on", right_on="date", by="customer_id")
    after = pd.merge_asof(warned.sort_values("after_on"), snaps, left_on="after_on", right_on="date",
                          by="customer_id")
    frame = (at.set_index("customer_id")[["owner_id", "contacted", "assets"]]
             .join(after.set_index("customer_id")["assets"].rename("after")).dropna(subset=["assets"]))
    frame["after"] = frame["after"].fillna(0.0)
    out = {}
    for owner, g in frame.groupby("owner_id"):
        yes, no = g[g["contacted"]], g[~g["contacted"]]
        out[int(owner)] = (len(yes), float(yes["assets"].sum()), float(yes["after"].sum()),
                           len(no), float(no["assets"].sum()), float(no["after"].sum()))
    return out


def _start_of(day):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


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


SUMMED = ("items", "listed", "listed_done", "var_due", "var_in_sla", "kept_n", "kept_at", "kept_after",
          "lost_n", "lost_at", "lost_after")


def _row(code, name, office, items, listed, done, var_due, var_in_sla, days,
         kept_n=0, kept_at=0.0, kept_after=0.0, lost_n=0, lost_at=0.0, lost_after=0.0):
    return {"code": code, "name": name, "office": office, "items": items, "items_per_day": round(items / days, 2),
            "listed": listed, "listed_done": done, "done_share": done / listed if listed else None,
            "var_due": round(var_due, 2), "var_in_sla": round(var_in_sla, 2),
            "var_share": var_in_sla / var_due if var_due else None,
            # assets kept RETAIN_DAYS after a churn warning: customers contacted soon after it, and the others
            "kept_n": kept_n, "kept_at": kept_at, "kept_after": kept_after,
            "kept_share": kept_after / kept_at if kept_at else None,
            "lost_n": lost_n, "lost_at": lost_at, "lost_after": lost_after,
            "lost_share": lost_after / lost_at if lost_at else None}


def _by_office(rows, days):
    sums = defaultdict(lambda: [0] * len(SUMMED))
    for r in rows:
        s = sums[r["office"]]
        for i, key in enumerate(SUMMED):
            s[i] += r[key]
    return [_row("", "", office, *s[:5], days, *s[5:]) for office, s in sorted(sums.items())]
