"""Bulk reads for a tiering run: one frame per customer chunk, from SQL aggregates and snapshot windows.

Each read is one set-based query over a customer id range; nothing is read per customer.
"""
from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm.bulk import read_beside, read_frame
from crm.dates import add_months

SNAPSHOT_PARTS = ("securities_value", "equity_fund_value", "fixed_income_value", "reits_trust_value",
                  "other_product_value", "cash", "margin_debt")


def activity_data_start():
    """The first day the back office delivered activity for (bounds every trailing window)."""
    frame = read_frame("SELECT MIN(date) AS first FROM customers_dailyactivity")
    first = frame["first"].iloc[0] if len(frame) else None
    return pd.Timestamp(first).date() if first is not None and not pd.isna(first) else None


def _customers(lo, hi):
    return read_frame(
        "SELECT id AS customer_id, customer_code, kind, opened_on, first_funded_on, closed_on, prior_experience, "
        "risk_level, commission_rate, advisor_id, investment_advisor_id FROM customers_customer "
        "WHERE id BETWEEN %s AND %s ORDER BY id",
        (lo, hi), parse_dates=("opened_on", "first_funded_on", "closed_on"),
        text=("customer_code", "kind", "prior_experience", "risk_level"),
    ).set_index("customer_id")


def _exits(lo, hi, day):
    frame = read_frame(
        "SELECT DISTINCT customer_id FROM customers_application WHERE status = 'accepted' AND filed_on <= %s "
        "AND customer_id BETWEEN %s AND %s", (day, lo, hi))
    return set(frame["customer_id"].astype(int))


def _snapshot_features(lo, hi, day, p):
    cols = ", ".join(SNAPSHOT_PARTS)
    snaps = read_frame(
        f"SELECT customer_id, date, total_assets, {cols} FROM customers_snapshot "
        "WHERE customer_id BETWEEN %s AND %s AND date <= %s AND date > %s ORDER BY customer_id, date",
        (lo, hi, day, day - timedelta(days=730)), parse_dates=("date",),
    )
    d = pd.Timestamp(day)
    snaps["products"] = snaps[["equity_fund_value", "fixed_income_value", "reits_trust_value",
                               "other_product_value"]].sum(axis=1)
    by = snaps.groupby("customer_id")
    last = by.last()
    out = pd.DataFrame({
        "assets_now": last["total_assets"], "securities_now": last["securities_value"],
        "equity_now": last["equity_fund_value"], "fixed_income_now": last["fixed_income_value"],
        "reits_now": last["reits_trust_value"], "other_now": last["other_product_value"],
        "cash_now": last["cash"], "debt_now": last["margin_debt"],
    })
    ago90 = snaps[snaps["date"] <= d - pd.Timedelta(days=90)].groupby("customer_id").last()
    out["assets_90"], out["products_90"] = ago90["total_assets"], ago90["products"]
    old = snaps[snaps["date"] <= d - pd.Timedelta(days=365)].groupby("customer_id").last()
    first = by.first()
    then = old.combine_first(first)
    out["assets_then"] = then["total_assets"]
    out["then_days"] = (d - then["date"]).dt.days.astype(float)
    year = snaps[snaps["date"] > d - pd.Timedelta(days=365)].groupby("customer_id")
    out["avg_cash"], out["avg_debt"] = year["cash"].mean(), year["margin_debt"].mean()
    out["avg_products"], out["avg_securities"] = year["products"].mean(), year["securities_value"].mean()
    active = snaps[snaps["total_assets"] >= p.dormant_assets].groupby("customer_id")["date"].max()
    out["last_active_date"] = active
    out["ever_held"] = ((snaps["securities_value"] + snaps["products"]) > 0).groupby(snaps["customer_id"]).any()
    year_end = pd.Timestamp(date(day.year - 1, 12, 31))
    last_year = snaps[(snaps["date"] <= year_end) & (snaps["date"] > year_end - pd.Timedelta(days=365))]
    ly = last_year.groupby("customer_id")
    ye = ly.last()
    out["ye_net_assets"] = ye["total_assets"] - ye["margin_debt"]
    out["ly_avg_cash"], out["ly_avg_debt"] = ly["cash"].mean(), ly["margin_debt"].mean()
    return out


def _activity_features(lo, hi, day, data_start):
    d90, d360, d365 = day - timedelta(days=90), day - timedelta(days=360), day - timedelta(days=365)
    y0, y1 = date(day.year - 1, 1, 1), date(day.year - 1, 12, 31)
    frame = read_frame(
        """
        SELECT customer_id,
          SUM(CASE WHEN date > %s THEN trade_count ELSE 0 END) AS trades_recent,
          SUM(CASE WHEN date <= %s AND date > %s THEN trade_count ELSE 0 END) AS trades_baseline,
          SUM(trade_count) AS trades_ever,
          SUM(CASE WHEN date > %s THEN traded_amount ELSE 0 END) AS traded_12m,
          SUM(CASE WHEN date > %s AND commission_income > 0 THEN commission_income ELSE 0 END)
            AS commission_recorded,
          SUM(CASE WHEN date > %s AND commission_income <= 0 THEN traded_amount ELSE 0 END) AS traded_unrecorded,
          SUM(CASE WHEN date > %s THEN product_income ELSE 0 END) AS product_income,
          SUM(CASE WHEN date > %s THEN transfer_out - transfer_in ELSE 0 END) AS net_outflow_90,
          SUM(CASE WHEN date BETWEEN %s AND %s AND commission_income > 0 THEN commission_income ELSE 0 END)
            AS ly_commission_recorded,
          SUM(CASE WHEN date BETWEEN %s AND %s AND commission_income <= 0 THEN traded_amount ELSE 0 END)
            AS ly_traded_unrecorded,
          SUM(CASE WHEN date BETWEEN %s AND %s THEN product_income ELSE 0 END) AS ly_product_income
        FROM customers_dailyactivity
        WHERE customer_id BETWEEN %s AND %s AND date <= %s
        GROUP BY customer_id
        """,
        (d90, d90, d360, d365, d365, d365, d365, d90, y0, y1, y0, y1, y0, y1, lo, hi, day),
    ).set_index("customer_id")
    return frame.astype(float)


def _quota_elsewhere(lo, hi, day, snapshot, p):
    quotas = read_frame(
        "SELECT customer_id, date, sh_units, sz_units FROM customers_ipoquota "
        "WHERE customer_id BETWEEN %s AND %s AND date <= %s AND date > %s ORDER BY customer_id, date",
        (lo, hi, day, day - timedelta(days=30)),
    )
    latest = quotas.groupby("customer_id").last()
    implied = latest["sh_units"] * p.quota_value_sh + latest["sz_units"] * p.quota_value_sz
    held = snapshot["securities_now"].reindex(implied.index).fillna(0)
    gap = implied - held
    return gap.where((implied > p.elsewhere_ratio * held) & (gap >= p.elsewhere_min_gap))


def survey_cutoff(day, p):
    """Answers surveyed on or before this date are too old for a run on `day` (policy survey_max_age_months)."""
    return add_months(day, -p.survey_max_age_months)


def survey_inputs(customer_ids, day=None, p=None):
    """Satisfaction, loyalty (referral willingness), planned investment and expected return, each in [0, 1]
    or as a ratio, from each customer's latest survey answers (surveys.selectors.profile_inputs, set-based).
    Customers without answers get NaN: the policy's neutral values (named in the explanation).

    With a run date `day` and policy `p`, only answers up to `day` and younger than the policy's survey age
    count, and the frame also carries `survey_on` (the newest answer read) and `survey_stale_on` (the newest
    answer left out as too old), NaT where none."""
    from surveys.selectors import profile_answer_dates, profile_inputs

    columns = ["satisfaction", "loyalty", "planned_ratio", "expected_return", "experience"]
    if day is None:
        return profile_inputs(customer_ids)[columns]
    since = survey_cutoff(day, p)
    out = profile_inputs(customer_ids, since=since, until=day)[columns]
    dates = profile_answer_dates(customer_ids, since=since, until=day)
    out["survey_on"], out["survey_stale_on"] = dates["used_on"], dates["stale_on"]
    return out


def open_warnings(customer_ids):
    """Customers with an open churn warning (alerts app: one set-based read), as a bool Series."""
    from alerts.selectors import open_warning_customer_ids

    return open_warning_customer_ids(customer_ids)


CHURN_SLICE = 10_000  # ids per read: an IN list stays under SQLite's bound on a statement's parameters


def churn_inputs(customer_ids, day):
    """The active churn model's latest score of each customer on or before `day` (alerts app: a few set-based
    reads per slice of ids): model_risk (probability of churning within the horizon), model_horizon_days and
    model_scored_on; customers without a score are absent (the rules' retention stays theirs)."""
    from alerts.churn.selectors import active_churn_model, churn_risks

    columns = ["model_risk", "model_horizon_days", "model_scored_on"]
    model = active_churn_model()
    ids = [int(i) for i in customer_ids]
    frames = [churn_risks(ids[i:i + CHURN_SLICE], day, model=model)
              for i in range(0, len(ids), CHURN_SLICE)] if model is not None else []
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="customer_id"))
    risks = pd.concat(frames)
    return pd.DataFrame({"model_risk": risks["risk"].astype(float), "model_horizon_days": float(model.horizon_days),
                         "model_scored_on": pd.to_datetime(risks["scored_on"])}, index=risks.index)[columns]


def chunk_frame(lo, hi, day, data_start, p):
    """Everything the rules need for customers with ids in [lo, hi], as of `day`."""
    # The activity aggregate is mostly server time: it runs on a second connection meanwhile.
    with read_beside(_activity_features, lo, hi, day, data_start) as activity:
        customers = _customers(lo, hi)
        if customers.empty:
            return customers
        snap = _snapshot_features(lo, hi, day, p)
        act = activity.result()
    df = customers.join(snap).join(act)
    zero = ["trades_recent", "trades_baseline", "trades_ever", "traded_12m", "commission_recorded",
            "traded_unrecorded", "product_income", "net_outflow_90", "ly_commission_recorded",
            "ly_traded_unrecorded", "ly_product_income", "avg_cash", "avg_debt", "avg_products", "avg_securities",
            "ly_avg_cash", "ly_avg_debt"]
    df[zero] = df[zero].fillna(0.0)
    df["ever_held"] = df["ever_held"].fillna(False).astype(bool)
    df["exit_accepted"] = df.index.isin(_exits(lo, hi, day))
    d = pd.Timestamp(day)
    df["tenure_days"] = (d - df["opened_on"]).dt.days.astype(float)
    start = pd.Timestamp(data_start or day)
    window_start = np.maximum(df["first_funded_on"].fillna(start).clip(lower=start), d - pd.Timedelta(days=364))
    df["window_days"] = ((d - window_start).dt.days + 1).clip(lower=1).astype(float)
    baseline_start = max(start, d - pd.Timedelta(days=359))
    df["baseline_days"] = float(max(0, (d - pd.Timedelta(days=90) - baseline_start).days + 1))
    df["assets_elsewhere"] = _quota_elsewhere(lo, hi, day, df, p)
    df = df.join(survey_inputs(df.index, day, p))
    # the customer's own answer on investment experience, when there is one, is newer than the back office's
    reported = df.pop("experience")
    df["prior_experience"] = np.where(reported.isna(), df["prior_experience"],
                                      np.where(reported >= p.experienced_from_level, "yes", "no"))
    df["open_warning"] = open_warnings(df.index)
    if p.retention_source == "model":  # read only when the policy asks for the model
        df = df.join(churn_inputs(df.index, day))
    return df
