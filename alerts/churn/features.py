"""Features and labels of the churn model as of cut-off dates, set-based: each table is read once for all the
cut-offs of a training run (snapshots and applications as rows of the span, activity, contacts and quotas as one
aggregate joined to the cut-offs), then every cut-off is cut from those frames in numpy / pandas.

Every feature of a cut-off reads rows dated on or before it only (tests/test_churn_features.py adds later rows
and checks nothing moves). Labels read the horizon after the cut-off.

The population at a cut-off is the customers *effective* then (tiering.md: funded, and traded or held a
product — here within the last year) who had not yet entered the churned stage (closed, an accepted
closing/transfer application, dormant: assets under the policy's bound for its number of days).
"""
from datetime import timedelta

import numpy as np
import pandas as pd

from crm.bulk import is_postgres, read_beside, read_frame

from .labels import FEATURE_LABELS

FEATURES = list(FEATURE_LABELS)  # the estimator's column order
SNAPSHOT_SLACK_DAYS = 45  # month-end snapshots: the latest row on or before a date is at most a month old
HELD_DAYS = 365  # "effective": held a security or product (or traded) within this window
ACTIVITY_DAYS = 120  # 30 recent + 90 baseline days
PRODUCT_COLUMNS = ("equity_fund_value", "fixed_income_value", "reits_trust_value", "other_product_value")
RISK_LEVELS = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}
MIN_BASE = 1_000.0  # CNY: shares of assets below this base are noise (an emptied account)
CONTACT_CAP_DAYS = 365
PENDING_DAYS = 90  # an application filed this recently and not accepted reads as pending
SURVEY_REFUSAL_DAYS = 365  # callbacks hung up or refused in the last year
ID_CHUNK = 50_000  # customer ids per read (nightly scoring, training): memory is bounded by a chunk, not the branch


def policies():
    """(tiering params, alert params) of the active policies: dormancy, survey age, quota values."""
    from alerts.selectors import active_params
    from customers.tiering.batch import active_policy
    from customers.tiering.params import TieringParams

    return TieringParams.from_json(active_policy().params), active_params()


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


def _customer_filter(ids, id_range, column="customer_id"):
    """(SQL, params) keeping the customers with ids in `id_range` (lo, hi), else those of `ids`, else everyone."""
    if id_range is not None:
        return f" AND {column} BETWEEN %s AND %s", tuple(int(i) for i in id_range)
    return _id_filter(ids, column)


def _cutoff_table(rows):
    """A derived table of one row per cut-off (k, bound columns…) for a join, typed on either database."""
    cast = "CAST(%s AS DATE)" if is_postgres() else "%s"
    parts, params = [], []
    for k, bounds in enumerate(rows):
        cols = ", ".join(f"{cast} AS {name}" for name in bounds)
        parts.append(f"SELECT {k} AS k, {cols}")
        params.extend(bounds.values())
    return "(" + " UNION ALL ".join(parts) + ")", params


# -- the span's rows, read once ---------------------------------------------------------------------------
class History:
    """What every cut-off of a run reads, for the span [first cut-off − windows, last cut-off + horizon]."""

    def __init__(self, cutoffs, horizon_days=0, customer_ids=None, params=None, id_range=None):
        self.cutoffs = sorted(cutoffs)
        self.horizon_days = horizon_days
        self.ids = None if customer_ids is None else pd.Index([int(i) for i in customer_ids])
        self.id_range = id_range  # (lo, hi): the customers with ids in it (a chunk), else everyone or `ids`
        self.tiering, self.alert_params = params or policies()
        first, last = self.cutoffs[0], self.cutoffs[-1] + timedelta(days=horizon_days)
        # the year of "held", the dormancy window, and the latest row before the 180-day look-back
        longest = max(HELD_DAYS, self.tiering.dormant_days, 180 + SNAPSHOT_SLACK_DAYS)
        self.customers = self._customers(last)
        self.snapshots = self._snapshots(first - timedelta(days=longest), last)
        self.applications = self._applications(last)
        self.declined_rows = self._declined_surveys(first - timedelta(days=SURVEY_REFUSAL_DAYS), self.cutoffs[-1])

    def _where(self, column="customer_id"):
        return _customer_filter(self.ids, self.id_range, column)

    def _keep(self, frame):
        return frame if self.ids is None else frame[frame.index.isin(self.ids)]

    def _customers(self, last):
        where, params = self._where("id")
        frame = read_frame(
            "SELECT id AS customer_id, opened_on, first_funded_on, closed_on, risk_level, commission_rate "
            "FROM customers_customer "
            f"WHERE opened_on IS NOT NULL AND first_funded_on IS NOT NULL AND first_funded_on <= %s{where} "
            "ORDER BY id", (last, *params),
            parse_dates=("opened_on", "first_funded_on", "closed_on"), text=("risk_level",))
        return self._keep(frame.set_index("customer_id"))

    def _snapshots(self, start, end):
        where, params = self._where()
        rows = read_frame(
            "SELECT customer_id, date, total_assets, securities_value, cash, "
            f"{' + '.join(PRODUCT_COLUMNS)} AS products, "
            "(CASE WHEN securities_value > 0 THEN 1 ELSE 0 END) + "
            + " + ".join(f"(CASE WHEN {c} > 0 THEN 1 ELSE 0 END)" for c in PRODUCT_COLUMNS) + " AS kinds "
            f"FROM customers_snapshot WHERE date > %s AND date <= %s{where} ORDER BY customer_id, date",
            (start, end, *params), parse_dates=("date",))
        if self.ids is not None:
            rows = rows[rows["customer_id"].isin(self.ids)]
        for column in ("total_assets", "securities_value", "cash", "products"):
            rows[column] = rows[column].astype(float)
        return rows.reset_index(drop=True)

    def _applications(self, last):
        where, params = self._where()
        return read_frame(f"SELECT customer_id, filed_on, status FROM customers_application WHERE filed_on <= %s"
                          f"{where}", (last, *params), parse_dates=("filed_on",), text=("status",))

    def _declined_surveys(self, start, end):
        where, params = self._where()
        return read_frame(f"SELECT customer_id, surveyed_on FROM surveys_surveyresponse WHERE outcome IN "
                          f"('hung_up', 'refused') AND surveyed_on > %s AND surveyed_on <= %s{where}",
                          (start, end, *params), parse_dates=("surveyed_on",))

    def declined(self, day, ids):
        d = self.declined_rows
        mask = (d["surveyed_on"] <= _ts(day)) & (d["surveyed_on"] > _ts(day) - pd.Timedelta(days=SURVEY_REFUSAL_DAYS))
        return d.loc[mask].groupby("customer_id").size().reindex(ids).fillna(0).astype(float)

    # -- cut from the span
    def latest(self, day, slack=SNAPSHOT_SLACK_DAYS, rows=None):
        """Each customer's latest snapshot on or before `day` (within `slack` days), index customer_id."""
        rows = self.snapshots if rows is None else rows
        dates = rows["date"].to_numpy()
        mask = dates <= np.datetime64(_ts(day))
        if slack is not None:
            mask &= dates > np.datetime64(_ts(day) - pd.Timedelta(days=slack))
        at = np.flatnonzero(mask)
        customers = rows["customer_id"].to_numpy()[at]
        last = at[np.r_[customers[1:] != customers[:-1], True]] if len(at) else at
        return rows.iloc[last].set_index("customer_id")

    def _ever(self, day, days, condition):
        """Customers with a snapshot meeting `condition` in (day − days, day]."""
        dates = self.snapshots["date"]
        mask = condition & (dates <= _ts(day)) & (dates > _ts(day) - pd.Timedelta(days=days))
        return pd.Index(self.snapshots.loc[mask, "customer_id"].unique())

    def accepted(self, start, end):
        a = self.applications
        mask = (a["status"] == "accepted") & (a["filed_on"] <= _ts(end))
        if start is not None:
            mask &= a["filed_on"] > _ts(start)
        return pd.Index(a.loc[mask, "customer_id"].unique())

    def dormant(self, day, base):
        """tiering.md: under the bound, and no snapshot at or above it for the policy's days since funding."""
        t = self.tiering
        now = self.latest(day)["total_assets"].reindex(base.index).fillna(0.0)
        active = self._ever(day, t.dormant_days, self.snapshots["total_assets"] >= t.dormant_assets)
        funded_long = base["first_funded_on"] <= _ts(day) - pd.Timedelta(days=t.dormant_days)
        return (now < t.dormant_assets) & ~base.index.isin(active) & funded_long

    def population(self, day, traded):
        c = self.customers
        c = c[(c["opened_on"] <= _ts(day)) & (c["first_funded_on"] <= _ts(day))]
        closed = c["closed_on"].notna() & (c["closed_on"] <= _ts(day))
        held = self._ever(day, HELD_DAYS, (self.snapshots["securities_value"] + self.snapshots["products"]) > 0)
        effective = c.index.isin(held) | c.index.isin(traded)
        keep = effective & ~closed & ~c.index.isin(self.accepted(None, day))
        c = c[keep]
        return c[~self.dormant(day, c)]

    def labels(self, day, base):
        end = day + timedelta(days=self.horizon_days)
        closed = base["closed_on"].notna() & (base["closed_on"] <= _ts(end))
        exited = base.index.isin(self.accepted(day, end))
        return pd.Series(closed | exited | self.dormant(end, base), index=base.index, name="churned").astype(bool)

    def pending(self, day, ids):
        a = self.applications
        mask = (a["status"] != "accepted") & (a["filed_on"] <= _ts(day)) & \
            (a["filed_on"] > _ts(day) - pd.Timedelta(days=PENDING_DAYS))
        return pd.Series(ids.isin(a.loc[mask, "customer_id"]).astype(float), index=ids)


# -- aggregates over every cut-off in one query each ----------------------------------------------------------
def _activity(cutoffs, where, id_params):
    """Per cut-off (one aggregate each: a range join of all cut-offs sorts every row once per cut-off and spills)
    the trades, trading days, net transfers out and P&L of its windows. `where`: the customers' id filter."""
    money = "CAST({} AS DOUBLE PRECISION)"  # float sums: several times faster than numeric ones
    out = {}
    # No larger work_mem: with it PostgreSQL picks a hash aggregate over a bitmap scan of the heap, and under COPY
    # (no parallel workers) that took 11-21 s at 220,000 customers; the default plan (a group aggregate along the
    # (customer, date) index) takes ~2 s for the same rows.
    for k, c in enumerate(cutoffs):
        d30, d90, d120 = (c - timedelta(days=n) for n in (30, 90, ACTIVITY_DAYS))
        frame = read_frame(
            "SELECT customer_id, "
            " SUM(CASE WHEN date > %s THEN trade_count ELSE 0 END) AS trades_30, "
            " SUM(CASE WHEN date <= %s THEN trade_count ELSE 0 END) AS trades_before, "
            " SUM(CASE WHEN date > %s AND trade_count > 0 THEN 1 ELSE 0 END) AS trade_days_30, "
            " SUM(CASE WHEN date <= %s AND trade_count > 0 THEN 1 ELSE 0 END) AS trade_days_before, "
            f" SUM(CASE WHEN date > %s THEN {money.format('transfer_out - transfer_in')} ELSE 0 END) AS net_out_30, "
            f" SUM(CASE WHEN date > %s THEN {money.format('transfer_out - transfer_in')} ELSE 0 END) AS net_out_90, "
            f" SUM(CASE WHEN date > %s THEN {money.format('pnl')} ELSE 0 END) AS pnl_90 "
            f"FROM customers_dailyactivity WHERE date > %s AND date <= %s{where} GROUP BY customer_id",
            (d30, d30, d30, d30, d30, d90, d90, d120, c, *id_params))
        out[k] = frame.set_index("customer_id").astype(float)
    return out


def _contacts(history):
    from django.db import connection

    from alerts.sla import local_midnight

    # as the column is stored (SQLite: UTC text; a local-time literal would compare as text and let the next
    # morning's contacts in)
    def stored(t):
        return connection.ops.adapt_datetimefield_value(local_midnight(t))

    rows = [{"since": stored(c - timedelta(days=89)), "until": stored(c + timedelta(days=1))}
            for c in history.cutoffs]
    cast = "CAST(%s AS TIMESTAMPTZ)" if is_postgres() else "%s"
    table = "(" + " UNION ALL ".join(f"SELECT {k} AS k, {cast} AS since, {cast} AS until"
                                     for k in range(len(rows))) + ")"
    params = [v for r in rows for v in (r["since"], r["until"])]
    where, id_params = history._where("i.customer_id")
    frame = read_frame(
        "SELECT i.customer_id, k.k, MAX(i.at) AS last_at, SUM(CASE WHEN i.at >= k.since THEN 1 ELSE 0 END) AS n90 "
        f"FROM customers_interaction i JOIN {table} k ON i.at < k.until WHERE 1 = 1{where} "
        "GROUP BY i.customer_id, k.k", (*params, *id_params))
    frame["last_at"] = pd.to_datetime(frame["last_at"], utc=True, format="mixed")
    return {k: rows.set_index("customer_id") for k, rows in frame.groupby("k")}


def _quotas(history):
    table, params = _cutoff_table([{"cutoff": c, "since": c - timedelta(days=30)} for c in history.cutoffs])
    where, id_params = history._where("q.customer_id")
    frame = read_frame(
        "SELECT q.customer_id, k.k, q.date, q.sh_units, q.sz_units FROM customers_ipoquota q "
        f"JOIN {table} k ON q.date > k.since AND q.date <= k.cutoff WHERE 1 = 1{where} "
        "ORDER BY k.k, q.customer_id, q.date", (*params, *id_params))
    return {k: rows.groupby("customer_id").last() for k, rows in frame.groupby("k")}


# -- one cut-off's frame ------------------------------------------------------------------------------------------
def _features(history, k, base, activity, contacts, quotas):
    cutoff, ids = history.cutoffs[k], base.index
    out = pd.DataFrame(index=ids)
    now = history.latest(cutoff).reindex(ids)
    assets = now["total_assets"]
    out["log_assets"] = np.log10(assets.fillna(0.0).clip(lower=0) + 1)
    out["cash_share"] = (now["cash"] / assets.where(assets > 0)).clip(0, 1)
    then = {n: history.latest(cutoff - timedelta(days=n)).reindex(ids) for n in (30, 90, 180)}
    for n, rows in then.items():
        out[f"assets_change_{n}"] = ((assets - rows["total_assets"]) / rows["total_assets"].clip(lower=MIN_BASE)
                                     ).clip(-1, 3)
    out["products_change_90"] = now["kinds"] - then[90]["kinds"]
    share_90 = (then[90]["cash"] / then[90]["total_assets"].where(then[90]["total_assets"] > 0)).clip(0, 1)
    out["cash_share_change_90"] = out["cash_share"] - share_90

    act = activity.get(k, pd.DataFrame(columns=["trades_30", "trades_before", "trade_days_30", "trade_days_before",
                                                "net_out_30", "net_out_90", "pnl_90"], dtype=float)
                       ).reindex(ids).fillna(0.0)
    # transfers and P&L of a window are read against the assets at its start (as the decline rule does)
    base_30, base_90 = (then[n]["total_assets"].fillna(assets).fillna(0.0).clip(lower=MIN_BASE) for n in (30, 90))
    out["trades_120"] = np.log1p(act["trades_30"] + act["trades_before"])
    # the last 30 days against the 90 before them, per 30 days, on a log scale (+1: no trades is finite)
    out["trading_vs_baseline"] = np.log((act["trades_30"] + 1) / (act["trades_before"] / 3 + 1))
    out["trade_days_30"] = act["trade_days_30"]
    out["trade_days_vs_baseline"] = np.log((act["trade_days_30"] + 1) / (act["trade_days_before"] / 3 + 1))
    out["net_outflow_30"] = (act["net_out_30"] / base_30).clip(-3, 3)
    out["net_outflow_90"] = (act["net_out_90"] / base_90).clip(-3, 3)
    out["pnl_90"] = (act["pnl_90"] / base_90).clip(-3, 3)

    # estimated assets at other brokers: IPO quota's implied value above the securities held here (as the
    # assets-elsewhere warning reads it), as a share of the securities here
    q = quotas.get(k, pd.DataFrame(columns=["sh_units", "sz_units"], dtype=float)).reindex(ids)
    p = history.alert_params
    implied = (q["sh_units"].astype(float) * p.quota_value_sh + q["sz_units"].astype(float) * p.quota_value_sz
               ).fillna(0.0)
    held = now["securities_value"].fillna(0.0)
    out["elsewhere_evidence"] = ((implied - held).clip(lower=0) / (held + MIN_BASE)).clip(upper=10)

    out["tenure_years"] = (_ts(cutoff) - base["opened_on"]).dt.days / 365.25
    out["risk_level"] = base["risk_level"].map(RISK_LEVELS).astype(float)
    out["commission_rate"] = base["commission_rate"].astype(float)
    out["survey_declined_365"] = history.declined(cutoff, ids)
    out = out.join(_surveys(cutoff, ids, history.tiering))
    seen = contacts.get(k, pd.DataFrame({"last_at": pd.Series(dtype="datetime64[ns, UTC]"),
                                         "n90": pd.Series(dtype=float)})).reindex(ids)
    end = pd.Timestamp(_local_midnight(cutoff + timedelta(days=1)))
    out["days_since_contact"] = (end - pd.to_datetime(seen["last_at"], utc=True)).dt.days.astype(float) \
        .fillna(CONTACT_CAP_DAYS).clip(upper=CONTACT_CAP_DAYS)
    out["contacts_90"] = seen["n90"].fillna(0).astype(float)
    out["pending_closing"] = history.pending(cutoff, ids)
    out.index.name = "customer_id"
    return out[FEATURES]


def _local_midnight(day):
    from alerts.sla import local_midnight

    return local_midnight(day)


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


# -- public -----------------------------------------------------------------------------------------------------
def id_ranges(size=None):
    """(lo, hi) customer id ranges of `size` (default ID_CHUNK) ids covering every customer, in id order."""
    size = size or ID_CHUNK
    bounds = read_frame("SELECT MIN(id) AS lo, MAX(id) AS hi FROM customers_customer")
    lo, hi = bounds["lo"].iloc[0], bounds["hi"].iloc[0]
    if pd.isna(lo):
        return []
    return [(start, min(start + size - 1, int(hi))) for start in range(int(lo), int(hi) + 1, size)]


def labelled_frames(cutoffs, horizon_days=None, customer_ids=None, params=None, id_range=None):
    """{cutoff: (features, labels or None)} for every cut-off, each table read once for all of them; only the
    customers with ids in `id_range` (lo, hi) when given."""
    # The activity aggregates are server time: they run on a second connection while this one reads the rest.
    with read_beside(_activity, sorted(cutoffs), *_customer_filter(customer_ids, id_range)) as pending:
        history = History(cutoffs, horizon_days or 0, customer_ids, params, id_range)
        contacts, quotas = _contacts(history), _quotas(history)
        activity = pending.result()
    out = {}
    for k, cutoff in enumerate(history.cutoffs):
        traded = activity[k].index[activity[k]["trades_30"] + activity[k]["trades_before"] > 0] \
            if k in activity else pd.Index([])
        base = history.population(cutoff, traded)
        features = _features(history, k, base, activity, contacts, quotas)
        out[cutoff] = (features, history.labels(cutoff, base) if horizon_days else None)
    return out


def feature_frame(cutoff, customer_ids=None, params=None, id_range=None):
    """One row per customer of the cut-off's population (index customer_id), columns FEATURES. Values that
    have no data stay NaN (no survey answer); the model decides how to fill them."""
    return labelled_frames([cutoff], None, customer_ids, params, id_range)[cutoff][0]


def population(cutoff, customer_ids=None, params=None):
    """The customer ids of the cut-off's population."""
    return feature_frame(cutoff, customer_ids, params).index


def label_series(cutoff, horizon_days, customer_ids=None, params=None):
    """True when a customer of the cut-off's population entered the churned stage within
    (cutoff, cutoff + horizon]: closed or transferred out, an accepted application filed, or dormant at the end."""
    return labelled_frames([cutoff], horizon_days, customer_ids, params)[cutoff][1]


def assets_of(features):
    """Total assets at the cut-off, back from the log feature (for the assets-caught measure)."""
    return 10 ** features["log_assets"] - 1
