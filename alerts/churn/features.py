"""Features and labels of the churn model as of a cut-off date, set-based (a handful of SQL reads per cut-off).

Every read is bounded by the cut-off: rows dated after it never enter a feature (tests/test_churn_features.py
adds later rows and checks nothing moves). The label reads only the horizon after the cut-off.

The population at a cut-off is the customers *effective* then (tiering.md: funded, and traded or held a
product) who had not yet entered the churned stage (closed, accepted closing/transfer application, dormant).
"""
from datetime import timedelta

import numpy as np
import pandas as pd

from crm.bulk import read_frame

from .labels import FEATURE_LABELS

FEATURES = list(FEATURE_LABELS)  # the estimator's column order
SNAPSHOT_SLACK_DAYS = 45  # month-end snapshots: the latest row on or before a date is at most a month old
PRODUCT_COLUMNS = ("equity_fund_value", "fixed_income_value", "reits_trust_value", "other_product_value")
RISK_LEVELS = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}
MIN_BASE = 1_000.0  # CNY: shares of assets below this base are noise (an emptied account)
CONTACT_CAP_DAYS = 365


def _ts(day):
    return pd.Timestamp(day)


def _id_filter(customer_ids, column="customer_id"):
    """A BETWEEN over the ids' range (index-friendly); the exact set is applied in pandas."""
    if customer_ids is None:
        return "", ()
    ids = [int(i) for i in customer_ids]
    if not ids:
        return f" AND {column} < 0", ()
    return f" AND {column} BETWEEN %s AND %s", (min(ids), max(ids))


def _keep(frame, customer_ids):
    if customer_ids is None:
        return frame
    return frame[frame.index.isin([int(i) for i in customer_ids])]


def policies():
    """(tiering params, alert params) of the active policies: dormancy, survey age, quota values."""
    from alerts.selectors import active_params
    from customers.tiering.batch import active_policy
    from customers.tiering.params import TieringParams

    return TieringParams.from_json(active_policy().params), active_params()


# -- who is in the population, and who churned -------------------------------------------------------------
def _snapshot_state(day, customer_ids, dormant_assets):
    """Per customer as of `day`: latest total assets, last date with assets >= the dormant bound, ever held."""
    where, params = _id_filter(customer_ids)
    frame = read_frame(
        "SELECT customer_id, MAX(date) AS last_date, "
        "MAX(CASE WHEN total_assets >= %s THEN date END) AS last_active, "
        "MAX(CASE WHEN securities_value + equity_fund_value + fixed_income_value + reits_trust_value "
        "+ other_product_value > 0 THEN 1 ELSE 0 END) AS ever_held "
        f"FROM customers_snapshot WHERE date <= %s{where} GROUP BY customer_id",
        (dormant_assets, day, *params), parse_dates=("last_date", "last_active"))
    latest = read_frame(
        "SELECT s.customer_id, s.total_assets FROM customers_snapshot s JOIN ("
        " SELECT customer_id, MAX(date) AS d FROM customers_snapshot WHERE date <= %s AND date > %s"
        f"{where} GROUP BY customer_id) m ON m.customer_id = s.customer_id AND m.d = s.date",
        (day, day - timedelta(days=SNAPSHOT_SLACK_DAYS), *params))
    out = frame.set_index("customer_id")
    out["assets_now"] = latest.set_index("customer_id")["total_assets"].astype(float)
    return out


def _traded_before(day, customer_ids):
    where, params = _id_filter(customer_ids)
    frame = read_frame(f"SELECT DISTINCT customer_id FROM customers_dailyactivity WHERE date <= %s "
                       f"AND trade_count > 0{where}", (day, *params))
    return set(frame["customer_id"].astype(int))


def _dormant(day, customers, state, tiering):
    since_active = (_ts(day) - state["last_active"].reindex(customers.index)
                    .fillna(customers["first_funded_on"])).dt.days
    assets = state["assets_now"].reindex(customers.index).fillna(0.0)
    return (assets < tiering.dormant_assets) & (since_active >= tiering.dormant_days)


def _customers(day, customer_ids):
    where, params = _id_filter(customer_ids, "id")
    frame = read_frame(
        "SELECT id AS customer_id, opened_on, first_funded_on, closed_on, risk_level FROM customers_customer "
        f"WHERE opened_on IS NOT NULL AND opened_on <= %s AND first_funded_on IS NOT NULL "
        f"AND first_funded_on <= %s{where}",
        (day, day, *params), parse_dates=("opened_on", "first_funded_on", "closed_on"), text=("risk_level",))
    return _keep(frame.set_index("customer_id"), customer_ids)


def _accepted_exits(start, end, customer_ids):
    """First accepted closing/transfer application filed in (start, end] per customer (start None: ever)."""
    where, params = _id_filter(customer_ids)
    lower = " AND filed_on > %s" if start is not None else ""
    frame = read_frame(
        f"SELECT customer_id, MIN(filed_on) AS filed_on FROM customers_application WHERE status = 'accepted' "
        f"AND filed_on <= %s{lower}{where} GROUP BY customer_id",
        (end, *((start,) if start is not None else ()), *params), parse_dates=("filed_on",))
    return frame.set_index("customer_id")["filed_on"]


def population(cutoff, customer_ids=None, tiering=None):
    """Customers effective at the cut-off who have not entered the churned stage (index customer_id, with
    opened_on, first_funded_on, closed_on, risk_level)."""
    tiering = tiering or policies()[0]
    customers = _customers(cutoff, customer_ids)
    closed = customers["closed_on"].notna() & (customers["closed_on"] <= _ts(cutoff))
    exited = customers.index.isin(_accepted_exits(None, cutoff, customer_ids).index)
    state = _snapshot_state(cutoff, customer_ids, tiering.dormant_assets)
    held = state["ever_held"].reindex(customers.index).fillna(0) > 0
    effective = held | customers.index.isin(_traded_before(cutoff, customer_ids))
    keep = effective & ~closed & ~exited & ~_dormant(cutoff, customers, state, tiering)
    return customers[keep]


def label_series(cutoff, horizon_days, customer_ids=None, tiering=None):
    """True when a customer of the cut-off's population entered the churned stage within
    (cutoff, cutoff + horizon]: closed or transferred out, an accepted application filed, or dormant at the end."""
    tiering = tiering or policies()[0]
    return _labels(population(cutoff, customer_ids, tiering), cutoff, horizon_days, tiering)


def _labels(base, cutoff, horizon_days, tiering):
    end = cutoff + timedelta(days=horizon_days)
    closed = base["closed_on"].notna() & (base["closed_on"] <= _ts(end))
    exited = base.index.isin(_accepted_exits(cutoff, end, base.index).index)
    state = _snapshot_state(end, base.index, tiering.dormant_assets)
    dormant = _dormant(end, base, state, tiering)
    return pd.Series(closed | exited | dormant, index=base.index, name="churned").astype(bool)


# -- features ---------------------------------------------------------------------------------------------
def _assets_on(rows, day):
    """Latest snapshot on or before `day` within the slack, per customer."""
    d = _ts(day)
    window = rows[(rows["date"] <= d) & (rows["date"] > d - pd.Timedelta(days=SNAPSHOT_SLACK_DAYS))]
    return window.groupby("customer_id").last()


def _snapshot_features(cutoff, ids, customer_ids):
    where, params = _id_filter(customer_ids)
    since = cutoff - timedelta(days=180 + SNAPSHOT_SLACK_DAYS)
    rows = read_frame(
        f"SELECT customer_id, date, total_assets, securities_value, cash, {', '.join(PRODUCT_COLUMNS)} "
        f"FROM customers_snapshot WHERE date > %s AND date <= %s{where} ORDER BY customer_id, date",
        (since, cutoff, *params), parse_dates=("date",))
    for column in rows.columns.drop(["customer_id", "date"]):
        rows[column] = rows[column].astype(float)
    rows["kinds"] = (rows[["securities_value", *PRODUCT_COLUMNS]] > 0).sum(axis=1)
    now = _assets_on(rows, cutoff).reindex(ids)
    out = pd.DataFrame(index=ids)
    assets = now["total_assets"]
    out["log_assets"] = np.log10(assets.fillna(0.0).clip(lower=0) + 1)
    out["cash_share"] = (now["cash"] / assets.where(assets > 0)).clip(0, 1)
    then = {}
    for days in (30, 90, 180):
        then[days] = _assets_on(rows, cutoff - timedelta(days=days)).reindex(ids)
        before = then[days]["total_assets"]
        out[f"assets_change_{days}"] = ((assets - before) / before.clip(lower=MIN_BASE)).clip(-1, 3)
    out["products_change_90"] = now["kinds"] - then[90]["kinds"]
    # transfers and P&L of a window are read against the assets at its start (as the decline rule does)
    now["assets_30"], now["assets_90"] = then[30]["total_assets"], then[90]["total_assets"]
    return out, now


def _activity_features(cutoff, ids, customer_ids, snapshots):
    where, params = _id_filter(customer_ids)
    d30, d90, d120 = (cutoff - timedelta(days=n) for n in (30, 90, 120))
    frame = read_frame(
        "SELECT customer_id, "
        " SUM(CASE WHEN date > %s THEN trade_count ELSE 0 END) AS trades_30, "
        " SUM(CASE WHEN date <= %s THEN trade_count ELSE 0 END) AS trades_before, "
        " SUM(CASE WHEN date > %s AND trade_count > 0 THEN 1 ELSE 0 END) AS trade_days_30, "
        " SUM(CASE WHEN date > %s THEN transfer_out - transfer_in ELSE 0 END) AS net_out_30, "
        " SUM(CASE WHEN date > %s THEN transfer_out - transfer_in ELSE 0 END) AS net_out_90, "
        " SUM(CASE WHEN date > %s THEN pnl ELSE 0 END) AS pnl_90 "
        f"FROM customers_dailyactivity WHERE date > %s AND date <= %s{where} GROUP BY customer_id",
        (d30, d30, d30, d30, d90, d90, d120, cutoff, *params))
    act = frame.set_index("customer_id").astype(float).reindex(ids).fillna(0.0)
    base_30, base_90 = (snapshots[f"assets_{n}"].fillna(snapshots["total_assets"]).fillna(0.0).clip(lower=MIN_BASE)
                        for n in (30, 90))
    out = pd.DataFrame(index=ids)
    out["trades_120"] = np.log1p(act["trades_30"] + act["trades_before"])
    # the last 30 days against the 90 before them, per 30 days, on a log scale (+1: no trades is finite)
    out["trading_vs_baseline"] = np.log((act["trades_30"] + 1) / (act["trades_before"] / 3 + 1))
    out["trade_days_30"] = act["trade_days_30"]
    out["net_outflow_30"] = (act["net_out_30"] / base_30).clip(-3, 3)
    out["net_outflow_90"] = (act["net_out_90"] / base_90).clip(-3, 3)
    out["pnl_90"] = (act["pnl_90"] / base_90).clip(-3, 3)
    return out


def _elsewhere(cutoff, ids, customer_ids, securities_now, alert_params):
    """Estimated assets at other brokers (IPO quota implied value above the securities held here, as the
    assets-elsewhere warning reads it), as a share of the assets here."""
    where, params = _id_filter(customer_ids)
    rows = read_frame(
        f"SELECT customer_id, date, sh_units, sz_units FROM customers_ipoquota WHERE date > %s AND date <= %s"
        f"{where} ORDER BY customer_id, date", (cutoff - timedelta(days=30), cutoff, *params))
    latest = rows.groupby("customer_id").last().reindex(ids)
    implied = (latest["sh_units"].astype(float) * alert_params.quota_value_sh
               + latest["sz_units"].astype(float) * alert_params.quota_value_sz).fillna(0.0)
    held = securities_now.reindex(ids).fillna(0.0)
    return ((implied - held).clip(lower=0) / (held + MIN_BASE)).clip(upper=10)


def _contacts(cutoff, ids, customer_ids):
    from django.db import connection

    from alerts.sla import local_midnight

    where, params = _id_filter(customer_ids)
    end = local_midnight(cutoff + timedelta(days=1))
    # as the column is stored (SQLite: UTC text; a local-time literal would compare as text and let the next
    # morning's contacts in)
    bounds = [connection.ops.adapt_datetimefield_value(t) for t in (local_midnight(cutoff - timedelta(days=89)), end)]
    frame = read_frame(
        "SELECT customer_id, MAX(at) AS last_at, SUM(CASE WHEN at >= %s THEN 1 ELSE 0 END) AS contacts_90 "
        f"FROM customers_interaction WHERE at < %s{where} GROUP BY customer_id",
        (*bounds, *params)).set_index("customer_id").reindex(ids)
    last = pd.to_datetime(frame["last_at"], utc=True, format="mixed")
    days = (end - last).dt.days.astype(float)
    out = pd.DataFrame(index=ids)
    out["days_since_contact"] = days.fillna(CONTACT_CAP_DAYS).clip(upper=CONTACT_CAP_DAYS)
    out["contacts_90"] = frame["contacts_90"].fillna(0).astype(float)
    return out


def _surveys(cutoff, ids, tiering):
    """The latest satisfaction and referral answers surveyed on or before the cut-off and younger than the
    policy's survey age (the CPV reads the same window)."""
    from customers.tiering.inputs import survey_cutoff
    from surveys.selectors import profile_frame

    wide = profile_frame(list(ids), since=survey_cutoff(cutoff, tiering), until=cutoff)
    out = pd.DataFrame(index=ids)
    out["satisfaction"] = wide["satisfaction"].reindex(ids).astype(float)
    out["referral"] = wide["loyalty"].reindex(ids).astype(float)
    out["no_survey"] = (out["satisfaction"].isna() & out["referral"].isna()).astype(float)
    return out


def _pending_closing(cutoff, ids, customer_ids):
    """An application filed in the 90 days up to the cut-off and not accepted by then. Its decision date is not
    recorded, so a withdrawn one reads as pending too (its status would otherwise tell the future)."""
    where, params = _id_filter(customer_ids)
    frame = read_frame(
        f"SELECT DISTINCT customer_id FROM customers_application WHERE status <> 'accepted' AND filed_on <= %s "
        f"AND filed_on > %s{where}", (cutoff, cutoff - timedelta(days=90), *params))
    return pd.Series(ids.isin(frame["customer_id"].astype(int)).astype(float), index=ids)


def feature_frame(cutoff, customer_ids=None, params=None):
    """One row per customer of the cut-off's population (index customer_id), columns FEATURES. Values that
    have no data stay NaN (no survey answer); the model decides how to fill them."""
    params = params or policies()
    return _features(population(cutoff, customer_ids, params[0]), cutoff, customer_ids, params)


def labelled_frame(cutoff, horizon_days, params=None):
    """(features, labels) of the whole population at a cut-off, the population read once."""
    params = params or policies()
    base = population(cutoff, None, params[0])
    return _features(base, cutoff, None, params), _labels(base, cutoff, horizon_days, params[0])


def assets_of(features):
    """Total assets at the cut-off, back from the log feature (for the assets-caught measure)."""
    return 10 ** features["log_assets"] - 1


def _features(base, cutoff, customer_ids, params):
    tiering, alert_params = params
    ids = base.index
    snap, now = _snapshot_features(cutoff, ids, customer_ids)
    out = snap.join(_activity_features(cutoff, ids, customer_ids, now))
    out["elsewhere_evidence"] = _elsewhere(cutoff, ids, customer_ids, now["securities_value"], alert_params)
    out["tenure_years"] = (_ts(cutoff) - base["opened_on"]).dt.days / 365.25
    out["risk_level"] = base["risk_level"].map(RISK_LEVELS).astype(float)
    out = out.join(_surveys(cutoff, ids, tiering)).join(_contacts(cutoff, ids, customer_ids))
    out["pending_closing"] = _pending_closing(cutoff, ids, customer_ids)
    out.index.name = "customer_id"
    return out[FEATURES]
