"""The manager's measures (alerts.md): alerts by rule, office and advisor; time to acknowledge and resolve;
outcome mix; recovery rate; per-rule precision; missed churn. A few bulk reads, then pandas."""
from datetime import timedelta

import pandas as pd
from django.db.models import Subquery

from customers.models import Application, DailyActivity

from .models import Alert, DismissReason, Level, Outcome, Rule
from .params import CHURN_RULES

ALERT_FIELDS = ["id", "customer_id", "rule", "level", "status", "outcome", "funds_returned", "opened_at",
                "acknowledged_at", "closed_at", "first_fired_on", "customer__office__code", "owner__staff_code",
                "owner__name", "dismiss_reason"]
OUTFLOW_BEFORE_DAYS = 30  # funds that left: transfer-out from this many days before a warning …


def _frame(qs, fields):
    return pd.DataFrame.from_records(list(qs.values_list(*fields)), columns=fields)


def _hours(later, earlier):
    return (pd.to_datetime(later, utc=True) - pd.to_datetime(earlier, utc=True)).dt.total_seconds() / 3600


def churn_dates(customers):
    """customer_id -> the date the customer churned: closed, or an accepted closing/transfer application."""
    closed = _frame(customers.filter(closed_on__isnull=False), ["id", "closed_on"]).rename(
        columns={"id": "customer_id", "closed_on": "date"})
    accepted = _frame(Application.objects.filter(status=Application.Status.ACCEPTED,
                                                 customer__in=Subquery(customers.values("id"))),
                      ["customer_id", "filed_on"]).rename(columns={"filed_on": "date"})
    both = pd.concat([closed, accepted], ignore_index=True)
    if both.empty:
        return pd.Series(dtype="datetime64[ns]")
    both["date"] = pd.to_datetime(both["date"])
    return both.groupby("customer_id")["date"].min()


PRECISION_COLUMNS = ["rule", "warned", "churned", "not_a_risk", "pending", "precision"]


def precision_by_rule(warnings, churned, date_to, precision_days):
    """Per rule, over the customers it warned: churned = the customer churned within `precision_days` of a warning
    (a true positive); a false positive is a warning an advisor judged not a risk (dismissed as "not a risk" or
    resolved "not a real risk") or whose window closed by `date_to` without churn; the rest are pending and stay
    out of precision = churned / (churned + false positives)."""
    if not len(warnings):
        return pd.DataFrame([], columns=PRECISION_COLUMNS).set_index("rule")
    w = warnings[["customer_id", "rule_label", "first_fired_on", "status", "outcome", "dismiss_reason"]].copy()
    w["first_fired_on"] = pd.to_datetime(w["first_fired_on"])
    w["churn"] = pd.to_datetime(w["customer_id"].map(churned)) if len(churned) else pd.NaT
    w["hit"] = (w["churn"] >= w["first_fired_on"]) & (w["churn"] <= w["first_fired_on"] + pd.Timedelta(
        days=precision_days))
    w["judged"] = (w["status"].eq("dismissed") & w["dismiss_reason"].eq(DismissReason.NOT_A_RISK)) | (
        w["status"].eq("resolved") & w["outcome"].eq(Outcome.NOT_A_RISK))
    w["closed"] = w["first_fired_on"] + pd.Timedelta(days=precision_days) < pd.Timestamp(date_to)
    per = w.groupby(["rule_label", "customer_id"])[["hit", "judged", "closed"]].any()
    per["not_a_risk"] = ~per["hit"] & per["judged"]
    per["false"] = ~per["hit"] & (per["judged"] | per["closed"])
    per["pending"] = ~per["hit"] & ~per["false"]
    rows = []
    for rule, r in per.groupby(level=0).agg(["size", "sum"]).iterrows():
        hits, false = int(r[("hit", "sum")]), int(r[("false", "sum")])
        rows.append((rule, int(r[("hit", "size")]), hits, int(r[("not_a_risk", "sum")]),
                     int(r[("pending", "sum")]), round(hits / (hits + false), 4) if hits + false else None))
    return pd.DataFrame(rows, columns=PRECISION_COLUMNS).set_index("rule")


def measures(alerts, customers, date_from, date_to, precision_days=90):
    """alerts / customers: querysets already restricted to the user's scope."""
    in_period = alerts.filter(first_fired_on__gte=date_from, first_fired_on__lte=date_to)
    df = _frame(in_period, ALERT_FIELDS)
    rule_labels, level_labels = dict(Rule.choices), dict(Level.choices)
    out = {"count": len(df)}
    tables = {}
    if len(df):
        df["rule_label"] = df["rule"].map(lambda r: str(rule_labels.get(r, r)))
        by_rule = pd.crosstab(df["rule_label"], df["level"].map(lambda v: str(level_labels.get(v, v))))
        by_rule["total"] = by_rule.sum(axis=1)
        tables["by_rule"] = by_rule.sort_values("total", ascending=False)
        tables["by_office"] = pd.crosstab(df["customer__office__code"], df["status"])
        tables["by_office"]["total"] = tables["by_office"].sum(axis=1)
        owner = df["owner__staff_code"].fillna("—") + " " + df["owner__name"].fillna("")
        tables["by_advisor"] = pd.crosstab(owner, df["status"]).assign(
            total=lambda t: t.sum(axis=1)).sort_values("total", ascending=False).head(200)
        df["hours_to_ack"] = _hours(df["acknowledged_at"], df["opened_at"])
        resolved = df["status"].eq("resolved")
        df["hours_to_resolve"] = _hours(df["closed_at"], df["opened_at"]).where(resolved)
        timing = df.groupby("rule_label")[["hours_to_ack", "hours_to_resolve"]].agg(["median", "mean"]).round(1)
        timing.columns = [f"{a}_{b}" for a, b in timing.columns]
        tables["timing"] = timing
        outcome_labels = dict(Outcome.choices)
        outcomes = df.loc[resolved, "outcome"].map(lambda v: str(outcome_labels.get(v, v))).value_counts()
        tables["outcomes"] = outcomes.rename("count").to_frame()
    # recovery: funds returned / funds that left, over churn warnings of the period
    warnings = df[df["rule"].isin(CHURN_RULES)] if len(df) else df
    returned = float(pd.to_numeric(warnings["funds_returned"], errors="coerce").fillna(0).sum()) if len(df) else 0.0
    left = 0.0
    if len(warnings):
        moves = _frame(DailyActivity.objects.filter(
            customer__in=Subquery(in_period.filter(rule__in=CHURN_RULES).values("customer_id")),
            date__gte=date_from - timedelta(days=OUTFLOW_BEFORE_DAYS),
            date__lte=date_to + timedelta(days=precision_days), transfer_out__gt=0), ["customer_id", "date",
                                                                                       "transfer_out"])
        if len(moves):
            first = warnings.groupby("customer_id")["first_fired_on"].min()
            moves["first"] = pd.to_datetime(moves["customer_id"].map(first))
            moves["date"] = pd.to_datetime(moves["date"])
            window = (moves["date"] >= moves["first"] - pd.Timedelta(days=OUTFLOW_BEFORE_DAYS)) & (
                moves["date"] <= moves["first"] + pd.Timedelta(days=precision_days))
            left = float(pd.to_numeric(moves.loc[window, "transfer_out"]).sum())
    out["recovery"] = {"returned": returned, "left": left, "rate": returned / left if left else None}
    # precision per rule and missed churn
    churned = churn_dates(customers)
    tables["precision"] = precision_by_rule(warnings, churned, date_to, precision_days)
    period_churn = churned[(churned >= pd.Timestamp(date_from)) & (churned <= pd.Timestamp(date_to))]
    all_warnings = _frame(alerts.filter(
        rule__in=CHURN_RULES, first_fired_on__gte=date_from - timedelta(days=precision_days),
        first_fired_on__lte=date_to),
        ["customer_id", "first_fired_on"])
    missed = 0
    if len(period_churn):
        if len(all_warnings):
            all_warnings["first_fired_on"] = pd.to_datetime(all_warnings["first_fired_on"])
            all_warnings["churn"] = all_warnings["customer_id"].map(period_churn)
            warned_before = all_warnings[(all_warnings["first_fired_on"] <= all_warnings["churn"]) & (
                all_warnings["first_fired_on"] >= all_warnings["churn"] - pd.Timedelta(days=precision_days))]
            covered = set(warned_before["customer_id"])
        else:
            covered = set()
        missed = int(sum(1 for c in period_churn.index if c not in covered))
    out["missed"] = {"churned": int(len(period_churn)), "missed": missed,
                     "share": missed / len(period_churn) if len(period_churn) else None}
    out["tables"] = tables
    return out

