"""Backtest measures for the model and for the churn warning rules at the same cut-off.

Each warning rule is evaluated as it would have stood at the cut-off, with alerts' own rule code on frames read
as of that date (alerts.inputs, which bound every read by the day), never with the stored alert history:
- falling trading, P&L threshold, assets elsewhere: the state on the cut-off (they re-fire every night);
- large outflow: fired on any day of the OUTFLOW_LOOKBACK_DAYS up to the cut-off (it fires on the day of the
  transfer; the alert stays open while it is worked);
- closing application: one filed in the 90 days up to the cut-off and not accepted by then (pending);
- lifecycle decline: in the decline stage on the cut-off, by the tiering rules on tiering's own as-of inputs
  (the alert opens on entering decline and stays until worked).
A rule alone is a 0/1 score; the rules combined score the number of rules that stand. Among equal scores the
top-k take the larger assets first (what an advisor working the list would do).
"""
from datetime import timedelta

import numpy as np
import pandas as pd

from crm.bulk import read_frame

OUTFLOW_LOOKBACK_DAYS = 30
TOP_SHARES = (0.05, 0.10)
LIFT_POINTS = (0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50, 0.75, 1.0)


# -- the rules at a cut-off -----------------------------------------------------------------------------
def rule_flags(cutoff, customers, params):
    """bool frame (index = the population's customer ids, one column per churn rule)."""
    from alerts import inputs, rules
    from alerts.params import CHURN_RULES

    ids = pd.Index(customers, name="customer_id")
    owners = inputs.customers(cutoff).reindex(ids)
    data = rules.ScanData(
        day=cutoff, customers=owners, activity=inputs.activity(cutoff, params),
        snapshots=inputs.snapshots(cutoff, params), quotas=inputs.ipo_quotas(cutoff, params),
        applications=_pending_applications(cutoff), events=None, tiers=None, contacts=None)
    out = pd.DataFrame(False, index=ids, columns=list(CHURN_RULES))
    for rule in ("falling_trading", "pnl_threshold", "assets_elsewhere", "closing_application"):
        fired = rules.RULE_FUNCTIONS[rule](data, params)
        out[rule] = ids.isin(fired["customer_id"].astype(int))
    out["large_outflow"] = ids.isin(_outflow_firings(cutoff, owners, params))
    out["lifecycle_decline"] = ids.isin(_in_decline(cutoff, ids))
    return out


def _pending_applications(cutoff):
    """As the closing-application rule reads "filed" applications, as of the cut-off (no decision date is
    recorded: one filed in the last 90 days and not accepted was pending then)."""
    rows = read_frame(
        "SELECT customer_id, filed_on, kind FROM customers_application WHERE status <> 'accepted' "
        "AND filed_on <= %s AND filed_on > %s ORDER BY customer_id, filed_on",
        (cutoff, cutoff - timedelta(days=90)), parse_dates=("filed_on",), text=("kind",))
    return rows.groupby("customer_id").last()


def _outflow_firings(cutoff, customers, params):
    """Customers the large-outflow rule fired for on a day of the lookback: the rule's code run for each day
    with a transfer out, on that day's transfers and the snapshots before it."""
    from alerts import rules

    start = cutoff - timedelta(days=OUTFLOW_LOOKBACK_DAYS)
    outflows = read_frame(
        "SELECT customer_id, date, transfer_out AS outflow_today FROM customers_dailyactivity "
        "WHERE transfer_out > 0 AND date > %s AND date <= %s", (start, cutoff), parse_dates=("date",))
    if outflows.empty:
        return set()
    snaps = read_frame(
        "SELECT customer_id, date AS prev_date, total_assets AS prev_assets FROM customers_snapshot "
        "WHERE date > %s AND date <= %s AND customer_id IN (SELECT DISTINCT customer_id FROM "
        "customers_dailyactivity WHERE transfer_out > 0 AND date > %s AND date <= %s) ORDER BY prev_date",
        (start - timedelta(days=45), cutoff, start, cutoff), parse_dates=("prev_date",))
    snaps["prev_assets"] = snaps["prev_assets"].astype(float)
    fired = set()
    for day, rows in outflows.groupby("date"):
        before = snaps[snaps["prev_date"] < day].groupby("customer_id").last()
        frame = rows.set_index("customer_id")[["outflow_today"]].astype(float)
        owners = customers.reindex(frame.index.intersection(customers.index))
        data = rules.ScanData(day=day.date(), customers=owners, activity=frame, snapshots=before, quotas=None,
                              applications=None, events=None, tiers=None, contacts=None)
        fired |= set(rules.large_outflow(data, params)["customer_id"].astype(int))
    return fired


def _in_decline(cutoff, ids):
    """Customers in the decline stage on the cut-off by tiering's lifecycle rule on its as-of inputs."""
    from customers.tiering import inputs as tiering_inputs
    from customers.tiering.batch import active_policy, chunk_ranges
    from customers.tiering.params import TieringParams
    from customers.tiering.rules import lifecycle

    p = TieringParams.from_json(active_policy().params)
    data_start = tiering_inputs.activity_data_start()
    found = []
    for lo, hi in chunk_ranges():
        frame = tiering_inputs.chunk_frame(lo, hi, cutoff, data_start, p)
        if frame.empty:
            continue
        stage = lifecycle(frame, p, cutoff)[0]
        found.append(frame.index[np.asarray(stage) == "decline"])
    return set(np.concatenate(found).astype(int)) if found else set()


# -- measures -------------------------------------------------------------------------------------------
def _ranked(score, assets):
    order = np.lexsort((-np.asarray(assets, float), -np.asarray(score, float)))  # score, then assets, descending
    return order


def measures(score, churned, assets, probability=False):
    """AUC, precision / recall / churned assets caught in the top 5 % and 10 %, lift points; calibration by
    decile for a probability, by flag for a 0/1 score."""
    from sklearn.metrics import roc_auc_score

    score = np.asarray(score, float)
    y = np.asarray(churned, bool)
    assets = np.nan_to_num(np.asarray(assets, float))
    n, positives = len(y), int(y.sum())
    out = {"n": n, "churned": positives, "base_rate": round(positives / n, 5) if n else None}
    out["auc"] = round(float(roc_auc_score(y, score)), 4) if 0 < positives < n else None
    order = _ranked(score, assets)
    hits = y[order]
    caught_assets = np.where(hits, assets[order], 0.0)
    churned_assets = float(assets[y].sum())
    for share in TOP_SHARES:
        k = max(1, int(round(n * share)))
        key = f"top{int(share * 100)}"
        out[f"{key}_precision"] = round(float(hits[:k].mean()), 4) if n else None
        out[f"{key}_recall"] = round(float(hits[:k].sum() / positives), 4) if positives else None
        out[f"{key}_assets_caught"] = round(float(caught_assets[:k].sum() / churned_assets), 4) \
            if churned_assets > 0 else None
    out["lift"] = []
    for share in LIFT_POINTS:
        k = max(1, int(round(n * share)))
        captured = float(hits[:k].sum() / positives) if positives else 0.0
        out["lift"].append({"share": share, "captured": round(captured, 4),
                            "lift": round(captured / share, 3) if positives else None})
    out["calibration"] = _deciles(score, y) if probability else _by_flag(score, y)
    return out


def _deciles(score, y):
    if len(y) == 0:
        return []
    bins = pd.qcut(pd.Series(score).rank(method="first"), 10, labels=False)
    frame = pd.DataFrame({"bin": bins.to_numpy(), "p": score, "y": y}).groupby("bin")
    return [{"decile": int(b) + 1, "n": int(len(g)), "predicted": round(float(g["p"].mean()), 4),
             "observed": round(float(g["y"].mean()), 4)} for b, g in frame]


def _by_flag(score, y):
    rows = []
    for value in sorted(set(score.tolist())):
        mask = score == value
        rows.append({"score": value, "n": int(mask.sum()), "observed": round(float(y[mask].mean()), 4)})
    return rows


def compare(model_risk, churned, assets, flags):
    """The model's measures beside each rule alone and the rules combined (same customers)."""
    out = {"model": measures(model_risk, churned, assets, probability=True), "rules": {}}
    for rule in flags.columns:
        out["rules"][rule] = measures(flags[rule].to_numpy(int), churned, assets)
        out["rules"][rule]["flagged"] = int(flags[rule].sum())
    combined = flags.sum(axis=1).to_numpy()
    out["rules_combined"] = measures(combined, churned, assets)
    out["rules_combined"]["flagged"] = int((combined > 0).sum())
    aucs = [m["auc"] for m in out["rules"].values() if m["auc"] is not None]
    out["best_rule_auc"] = max(aucs) if aucs else None
    return out
