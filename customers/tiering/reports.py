"""Tier reports (reads): set-based aggregates over one run date, limited to the reader's offices."""
from datetime import timedelta

import pandas as pd
from django.db.models import Max

from crm.bulk import read_frame

from ..models import TierSnapshot
from .rules import INSTITUTION_STARS, RETAIL_STARS, STAGES

STAR_ORDER = [*RETAIL_STARS, *INSTITUTION_STARS]
FUNNEL = ("potential", "budding", "growth", "mature")
# Who has reached a funnel stage, from today's stages: that stage or a later one. Decline happens only to
# effective customers, so it counts as having reached growth (not mature: it may strike in the growth
# window); churned customers are left out, their earlier stage is not known from one run.
REACHED_BY = {
    "potential": ("potential", "budding", "growth", "mature", "decline"),
    "budding": ("budding", "growth", "mature", "decline"),
    "growth": ("growth", "mature", "decline"),
    "mature": ("mature",),
}


def run_dates(limit=60):
    return list(TierSnapshot.objects.values_list("date", flat=True).distinct().order_by("-date")[:limit])


def latest_run_date():
    return TierSnapshot.objects.aggregate(d=Max("date"))["d"]


def _snapshot_frame(day, office_id=None):
    sql = ("SELECT t.customer_id, o.code AS office, c.kind, c.opened_on, c.first_funded_on, t.star, t.legacy_star, "
           "t.lifecycle_stage, t.quadrant, t.stp_subtype, t.cev, t.cpv, t.clv, t.total_assets "
           "FROM customers_tiersnapshot t JOIN customers_customer c ON c.id = t.customer_id "
           "JOIN customers_office o ON o.id = c.office_id WHERE t.date = %s")
    params = [day]
    if office_id is not None:
        sql += " AND c.office_id = %s"
        params.append(office_id)
    return read_frame(sql, params, parse_dates=("opened_on", "first_funded_on"),
                      text=("office", "kind", "star", "legacy_star", "lifecycle_stage", "quadrant", "stp_subtype"))


def star_distribution(frame):
    """Per star: customers, share of customers, CEV, share of CEV (the 80/20 check), and per office counts."""
    ranked = frame[frame["star"] != ""]
    by_star = ranked.groupby("star").agg(customers=("customer_id", "size"), cev=("cev", "sum"))
    by_star = by_star.reindex([s for s in STAR_ORDER if s in by_star.index])
    for kind, stars in (("retail", RETAIL_STARS), ("institutional", INSTITUTION_STARS)):
        rows = by_star.index.isin(stars)
        by_star.loc[rows, "customer_share"] = by_star.loc[rows, "customers"] / max(by_star.loc[rows, "customers"].sum(), 1)
        by_star.loc[rows, "cev_share"] = by_star.loc[rows, "cev"] / max(by_star.loc[rows, "cev"].sum(), 1e-9)
    offices = pd.crosstab(ranked["office"], ranked["star"]).reindex(columns=[s for s in STAR_ORDER
                                                                            if s in ranked["star"].unique()])
    return by_star.fillna(0), offices


def pareto(by_star):
    """Share of customers and of CEV held by 4★ + 5★."""
    top = by_star.loc[by_star.index.isin(["4", "5"])]
    return float(top["customer_share"].sum()), float(top["cev_share"].sum())


def counts(frame, column, order=None):
    values = frame[column].replace("", "—").value_counts()
    if order:
        values = values.reindex([o for o in order if o in values.index] +
                                [v for v in values.index if v not in order])
    return values


def funnel(frame, day):
    """Customers per stage and the 180-day funding rate of accounts opened 180–365 days ago."""
    stages = counts(frame, "lifecycle_stage", list(STAGES))
    d = pd.Timestamp(day)
    cohort = frame[(frame["opened_on"] <= d - timedelta(days=180)) & (frame["opened_on"] > d - timedelta(days=365))]
    effective_in_time = cohort["first_funded_on"].notna() & \
        (cohort["first_funded_on"] <= cohort["opened_on"] + pd.Timedelta(days=180)) & \
        ~cohort["lifecycle_stage"].isin(["budding", "potential"])
    rate = float(effective_in_time.mean()) if len(cohort) else None
    return stages, {"cohort": int(len(cohort)), "funded_and_traded": int(effective_in_time.sum()), "rate": rate}


def funnel_conversion(counts):
    """counts: {stage: customers}. Per funnel stage: customers now in it, customers who reached it
    (REACHED_BY) and the conversion from the previous stage (reached / reached before; None for the first)."""
    rows, before = [], None
    for stage in FUNNEL:
        reached = sum(int(counts.get(s, 0)) for s in REACHED_BY[stage])
        rows.append({"stage": stage, "customers": int(counts.get(stage, 0)), "reached": reached,
                     "conversion": reached / before if before else None})
        before = reached
    return rows


def migration(day_from, day_to, field="star", office_id=None):
    before = _snapshot_frame(day_from, office_id).set_index("customer_id")[field].replace("", "—")
    after = _snapshot_frame(day_to, office_id).set_index("customer_id")[field].replace("", "—")
    joined = pd.concat([before.rename("from"), after.rename("to")], axis=1, join="inner")
    return pd.crosstab(joined["from"], joined["to"])


def tier_report(day, office_id=None):
    frame = _snapshot_frame(day, office_id)
    by_star, offices = star_distribution(frame)
    stages, funding = funnel(frame, day)
    legacy = pd.crosstab(frame["legacy_star"].replace("", "—"), frame["star"].replace("", "—"))
    return {
        "day": day,
        "customers": len(frame),
        "by_star": by_star,
        "by_office": offices,
        "pareto": pareto(by_star) if len(by_star) else (0.0, 0.0),
        "quadrants": counts(frame[frame["quadrant"] != ""], "quadrant", list("ABCD")),
        "subtypes": counts(frame[frame["stp_subtype"] != ""], "stp_subtype", ["I", "II", "III", "IV", "V", "VI"]),
        "stages": stages,
        "conversion": pd.DataFrame(funnel_conversion(stages.to_dict())).set_index("stage"),
        "funding": funding,
        "legacy_vs_value": legacy,
    }
