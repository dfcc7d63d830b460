"""Reads: alerts through the user's scope, the active policy, the panel and the tiering hook."""
from datetime import date

import pandas as pd
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from crm.bulk import read_frame
from crm.compiled import CompiledRead
from customers.scope import scope_for

from .models import ACTIVE, Alert, AlertPolicy, AlertTransition
from .params import CHURN_RULES, AlertParams

LEVEL_RANK = Case(When(level="red", then=Value(0)), When(level="yellow", then=Value(1)), default=Value(2),
                  output_field=IntegerField())


def active_policy():
    return AlertPolicy.objects.get(status=AlertPolicy.Status.ACTIVE)


def active_params():
    return AlertParams.from_json(active_policy().params)


def policy_versions():
    return list(AlertPolicy.objects.select_related("created_by").order_by("-version"))


def default_scan_date():
    """The latest date the back office delivered (activity or snapshots)."""
    frame = read_frame("SELECT (SELECT MAX(date) FROM customers_dailyactivity) AS a, "
                       "(SELECT MAX(date) FROM customers_snapshot) AS s")
    values = [pd.Timestamp(v).date() for v in frame.iloc[0] if v is not None and not pd.isna(v)] if len(frame) else []
    return max(values) if values else timezone.localdate()


def scan_recorded(day, since=None):
    """Whether a scan of `day` succeeded or is running (one started at or after `since`, when given): the
    nightly chain's duplicate delivery and beat's late safety run then do nothing."""
    from crm.models import JobRun

    runs = JobRun.objects.filter(job="scan_alerts", params__date=day.isoformat(),
                                 status__in=[JobRun.Status.RUNNING, JobRun.Status.SUCCEEDED])
    return (runs.filter(started_at__gte=since) if since else runs).exists()


def active_alert_exists(outer_ref="pk", level=None):
    """An EXISTS over the customer's active alerts (optionally of one level), for other apps' filters."""
    from django.db.models import Exists, OuterRef

    alerts = Alert.objects.filter(customer_id=OuterRef(outer_ref), status__in=ACTIVE)
    return Exists(alerts.filter(level=level) if level else alerts)


def snoozed(day=None):
    """Alerts snoozed on `day` (default today): the snooze ends on its date, so the rule is read, not run."""
    return Q(snoozed_until__gt=day or timezone.localdate())


def awake(day=None):
    """Alerts that are work on `day`: not snoozed (never, or the snooze has ended) and not waiting for their
    opening date (a reminder that can wait, alerts.batch.opening_dates)."""
    day = day or timezone.localdate()
    return ((Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=day))
            & (Q(opens_on__isnull=True) | Q(opens_on__lte=day)))


def waiting(day=None):
    """Reminders kept until their opening date (not snoozed by a person: see `snoozed`)."""
    return Q(opens_on__gt=day or timezone.localdate())


def visible_alerts(user):
    return scope_for(user).filter(Alert.objects.all(), "customer__")


def alert_list(user):
    """Inbox / API list: one query with everything each row shows; red first, then the earliest due."""
    return (visible_alerts(user)
            .select_related("customer", "customer__office", "owner", "manager")
            .annotate(level_rank=LEVEL_RANK)
            .order_by("level_rank", "due_at", "-opened_at", "id"))


def alert_detail(user, pk):
    """One alert within the user's scope (raises Alert.DoesNotExist otherwise)."""
    return alert_list(user).get(pk=pk)


def history(alert):
    return list(AlertTransition.objects.filter(alert=alert).select_related("actor").order_by("at", "id"))


_active_alerts = CompiledRead(lambda customer_id: Alert.objects.filter(customer_id=customer_id, status__in=ACTIVE)
                             .values("id", "customer_id", "rule", "level", "status", "evidence", "due_at",
                                     owner_name=F("owner__name")))


def customer_alerts(customer):
    """The customer page panel: the customer's active alerts as Alert objects with `owner_name`, red first,
    then the earliest due (one compiled query; a customer has a handful, so they are ordered here rather than
    by a CASE in SQL)."""
    rank = {"red": 0, "yellow": 1}
    alerts = _active_alerts.instances(Alert, customer_id=customer.pk)
    return sorted(alerts, key=lambda a: (rank.get(a.level, 2), a.due_at is None, a.due_at or 0, a.id))


def is_overdue(alert, now=None):
    return alert.status == "open" and alert.due_at is not None and alert.due_at < (now or timezone.now())


def assets_elsewhere_by_month(user, since, until):
    """Implicit outflow, by the month an "assets elsewhere" alert first fired (within the user's alerts):
    {"YYYY-MM": (customers, estimated assets elsewhere)}. The estimate is the alert's evidence (alerts.md); a
    customer with two such alerts in one month counts once, at the larger estimate (one grouped query)."""
    from django.db.models import FloatField, Max
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast, TruncMonth

    rows = (visible_alerts(user).filter(rule="assets_elsewhere", first_fired_on__gte=since, first_fired_on__lte=until)
            .annotate(month=TruncMonth("first_fired_on"))
            .order_by().values("month", "customer_id")
            .annotate(estimate=Max(Cast(KeyTextTransform("estimated_elsewhere", "evidence"), FloatField()))))
    months = {}
    for r in rows:
        customers, amount = months.get(r["month"].strftime("%Y-%m"), (0, 0.0))
        months[r["month"].strftime("%Y-%m")] = (customers + 1, amount + (r["estimate"] or 0.0))
    return months


def open_warning_customer_ids(customer_ids=None):
    """For the tiering batch: True for customers with an active churn warning (a bool Series by customer_id)."""
    rules = ", ".join(f"'{r}'" for r in CHURN_RULES)
    states = ", ".join(f"'{s}'" for s in ACTIVE)
    sql = f"SELECT DISTINCT customer_id FROM alerts_alert WHERE rule IN ({rules}) AND status IN ({states})"
    params = ()
    if customer_ids is not None and len(customer_ids):
        sql += " AND customer_id BETWEEN %s AND %s"
        params = (int(min(customer_ids)), int(max(customer_ids)))
    frame = read_frame(sql, params)
    warned = set(frame["customer_id"].astype(int)) if len(frame) else set()
    index = pd.Index(customer_ids if customer_ids is not None else sorted(warned), name="customer_id")
    return pd.Series(index.isin(list(warned)), index=index)


def scan_runs(limit=10):
    from crm.models import JobRun

    return list(JobRun.objects.filter(job="scan_alerts").order_by("-started_at")[:limit])


def as_date(value, default=None):
    try:
        return date.fromisoformat(value) if value else default
    except (TypeError, ValueError):
        return default
