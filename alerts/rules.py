"""The fourteen rules of alerts.md, vectorised: each takes the scan's frames and returns its firings.

A firing frame has one row per customer: customer_id, rule, level, fire_key, owner_id, evidence (a JSON
string of the numbers that fired it). Boundaries follow the spec's wording: "≥" fires at the threshold,
"<" and ">" do not.
"""
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

FIRING_COLUMNS = ["customer_id", "rule", "level", "fire_key", "owner_id", "evidence", "due_on"]


@dataclass
class ScanData:
    day: object  # datetime.date
    customers: pd.DataFrame
    activity: pd.DataFrame
    snapshots: pd.DataFrame
    quotas: pd.DataFrame
    applications: pd.DataFrame
    events: pd.DataFrame
    tiers: pd.DataFrame
    contacts: pd.Series
    decline_entries: pd.DataFrame = None  # inputs.decline_entries: entered_on, from_stage by customer


def _iso(series):
    out = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
    return out.where(out.notna(), None)


def _evidence(frame):
    """One JSON object per row; money and ratios rounded, dates as ISO strings."""
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    clean = frame.copy()
    for column in clean.columns:
        if pd.api.types.is_datetime64_any_dtype(clean[column]):
            clean[column] = _iso(clean[column])
        elif pd.api.types.is_float_dtype(clean[column]):
            clean[column] = clean[column].round(4)
    lines = clean.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    return pd.Series(lines, index=frame.index, dtype=object)


EPS = 1e-6  # amounts are in CNY with cents: products of float thresholds must not flip a boundary


def _ge(a, b):
    return a >= b - EPS


def _gt(a, b):
    return a > b + EPS


def _lt(a, b):
    return a < b - EPS


def _owners(c, prefer_investment=False):
    adv, inv = c["advisor_id"], c["investment_advisor_id"]
    return inv.fillna(adv) if prefer_investment else adv.fillna(inv)


def _firings(rule, mask, c, level, evidence, key="", prefer_investment=False, due=None):
    """`due`: the date the reminder is about (an expiry), for rules that may wait for their lead time."""
    ids = mask[mask].index
    if len(ids) == 0:
        return pd.DataFrame(columns=FIRING_COLUMNS)
    level_values = level.reindex(ids) if isinstance(level, pd.Series) else level
    key_values = key.reindex(ids) if isinstance(key, pd.Series) else key
    return pd.DataFrame({
        "customer_id": ids.astype(int), "rule": rule, "level": level_values, "fire_key": key_values,
        "owner_id": _owners(c.reindex(ids), prefer_investment).to_numpy(),
        "evidence": _evidence(evidence.reindex(ids)).to_numpy(),
        "due_on": pd.to_datetime(due.reindex(ids)).to_numpy() if due is not None else pd.NaT,
    })


# -- churn warnings -------------------------------------------------------------------------
def large_outflow(d, p):
    c = d.customers
    df = c[[]].join(d.activity[["outflow_today"]]).join(d.snapshots[["prev_assets", "prev_date"]])
    out = df["outflow_today"].fillna(0.0)
    prev = df["prev_assets"]
    share = (out / prev).where(prev > 0)
    by_amount = _ge(out, p.outflow_amount)
    by_share = _ge(prev, p.outflow_min_assets) & _ge(out, p.outflow_share * prev)
    fired = (out > 0) & (by_amount | by_share)
    ev = pd.DataFrame({"date": d.day.isoformat(), "transfer_out": out, "previous_assets": prev,
                       "previous_assets_on": df["prev_date"], "share": share}, index=df.index)
    return _firings("large_outflow", fired, c, "yellow", ev, key=d.day.isoformat())


def falling_trading(d, p):
    c = d.customers
    df = c[[]].join(d.activity[["trades_recent", "trades_baseline"]]).fillna(0.0)
    monthly = df["trades_baseline"] / (p.trading_baseline_days / p.trading_recent_days)
    fired = _ge(monthly, p.trading_min_monthly) & _lt(df["trades_recent"], p.trading_ratio * monthly)
    ev = pd.DataFrame({"recent_trades": df["trades_recent"], "baseline_trades": df["trades_baseline"],
                       "monthly_average": monthly, "ratio": (df["trades_recent"] / monthly).where(monthly > 0)})
    return _firings("falling_trading", fired, c, "yellow", ev)


def pnl_threshold(d, p):
    c = d.customers
    df = c[[]].join(d.activity[["pnl_window"]]).join(d.snapshots[["start_assets", "start_date"]])
    pnl = df["pnl_window"].fillna(0.0)
    start = df["start_assets"]
    ratio = (pnl / start).where(start > 0)
    loss = (start > 0) & (pnl <= p.pnl_loss * start + EPS)  # ratio ≤ −20 %, compared in money
    gain = (start > 0) & _ge(pnl, p.pnl_gain * start)
    fired = (loss | gain).fillna(False)
    ev = pd.DataFrame({"pnl": pnl, "start_assets": start, "start_on": df["start_date"], "ratio": ratio,
                       "direction": np.where(gain, "gain", "loss"), "days": p.pnl_days})
    return _firings("pnl_threshold", fired, c, "yellow", ev, prefer_investment=True)


def assets_elsewhere(d, p):
    c = d.customers
    df = c[[]].join(d.quotas[["date", "sh_units", "sz_units"]], how="inner").join(d.snapshots[["securities"]])
    implied = df["sh_units"].astype(float) * p.quota_value_sh + df["sz_units"].astype(float) * p.quota_value_sz
    held = df["securities"].fillna(0.0)
    gap = implied - held
    fired = _gt(implied, p.elsewhere_ratio * held) & _ge(gap, p.elsewhere_min_gap)
    ev = pd.DataFrame({"quota_date": df["date"], "sh_units": df["sh_units"], "sz_units": df["sz_units"],
                       "implied_value": implied, "held_value": held, "estimated_elsewhere": gap})
    return _firings("assets_elsewhere", fired, c, "yellow", ev)


def closing_application(d, p):
    c = d.customers
    df = c[[]].join(d.applications[["filed_on", "kind"]], how="inner")
    fired = pd.Series(True, index=df.index)
    ev = pd.DataFrame({"filed_on": df["filed_on"], "kind": df["kind"]})
    key = _iso(df["filed_on"]) + ":" + df["kind"]
    return _firings("closing_application", fired, c, "red", ev, key=key)


def lifecycle_decline(d, p):
    """Fires on entering decline: the customer is in decline and the run of their current tier moved them there
    (a TierChange of that date), not every night for everyone in decline; keyed by the entry date, so one entry
    opens one alert."""
    c = d.customers
    entries = d.decline_entries if d.decline_entries is not None else pd.DataFrame(
        columns=["entered_on", "from_stage"], index=pd.Index([], name="customer_id"))
    df = (c[[]].join(d.tiers[["lifecycle_stage", "as_of", "total_assets"]], how="inner")
          .join(entries[["entered_on", "from_stage"]]))
    entered = pd.to_datetime(df["entered_on"])
    fired = ((df["lifecycle_stage"] == "decline") & entered.notna()
             & (entered == pd.to_datetime(df["as_of"]))).fillna(False)
    ev = pd.DataFrame({"stage": df["lifecycle_stage"], "from_stage": df["from_stage"], "as_of": df["as_of"],
                       "total_assets": df["total_assets"].astype(float)})
    return _firings("lifecycle_decline", fired, c, "yellow", ev, key=_iso(entered))


# -- service reminders -----------------------------------------------------------------------
def id_expiry(d, p):
    c = d.customers
    exp = c["id_expires_on"]
    days_left = (exp - pd.Timestamp(d.day)).dt.days
    fired = (days_left <= p.id_expiry_days).fillna(False)
    ev = pd.DataFrame({"expires_on": exp, "days_left": days_left})
    return _firings("id_expiry", fired, c, "reminder", ev, key=_iso(exp), due=exp)


def _payment(d, p, kind, rule, need_shortfall):
    c = d.customers
    ev_rows = d.events[d.events["kind"] == kind]
    ev_rows = ev_rows[ev_rows["due_on"] <= pd.Timestamp(d.day) + pd.Timedelta(days=p.payment_lookahead_days)]
    ev_rows = ev_rows.groupby("customer_id").first()  # the earliest due
    df = c[[]].join(ev_rows[["date", "amount", "due_on"]], how="inner").join(d.snapshots[["cash"]])
    amount, cash = df["amount"].astype(float), df["cash"].fillna(0.0)
    fired = _lt(cash, amount) if need_shortfall else pd.Series(True, index=df.index)
    ev = pd.DataFrame({"event_date": df["date"], "due_on": df["due_on"], "amount": amount, "cash": cash,
                       "shortfall": (amount - cash).clip(lower=0)})
    return _firings(rule, fired, c, "reminder", ev, key=_iso(df["date"]) + ":" + _iso(df["due_on"]))


def ipo_payment(d, p):
    return _payment(d, p, "ipo_win", "ipo_payment", need_shortfall=True)


def rights_payment(d, p):
    return _payment(d, p, "rights_issue", "rights_payment", need_shortfall=False)


def margin_ratio(d, p):
    c = d.customers
    df = c[[]].join(d.snapshots[["maintenance_ratio", "margin_debt", "snap_date"]], how="inner")
    ratio = df["maintenance_ratio"]
    has_debt = df["margin_debt"] > 0
    fired = (has_debt & _lt(ratio, p.margin_warning_ratio)).fillna(False)
    level = pd.Series(np.where(_lt(ratio, p.margin_liquidation_ratio), "red", "yellow"), index=df.index)
    ev = pd.DataFrame({"ratio": ratio, "margin_debt": df["margin_debt"], "on": df["snap_date"],
                       "warning_ratio": p.margin_warning_ratio, "liquidation_ratio": p.margin_liquidation_ratio})
    return _firings("margin_ratio", fired, c, level, ev)


def debt_maturity(d, p):
    c = d.customers
    rows = d.events[(d.events["kind"] == "margin_debt_due")
                    & (d.events["due_on"] <= pd.Timestamp(d.day) + pd.Timedelta(days=p.debt_maturity_days))]
    rows = rows.groupby("customer_id").first()
    df = c[[]].join(rows[["amount", "due_on"]], how="inner")
    fired = pd.Series(True, index=df.index)
    ev = pd.DataFrame({"amount": df["amount"].astype(float), "due_on": df["due_on"],
                       "days_left": (df["due_on"] - pd.Timestamp(d.day)).dt.days})
    return _firings("debt_maturity", fired, c, "reminder", ev, key=_iso(df["due_on"]))


def assessment_expiry(d, p):
    c = d.customers
    assessed = c["risk_assessed_on"]
    expires = assessed + pd.DateOffset(months=p.assessment_valid_months)
    days_left = (expires - pd.Timestamp(d.day)).dt.days
    fired = (days_left <= p.assessment_expiry_days) | assessed.isna()
    # two firings per expiry, each keyed apart: the notice (from `assessment_expiry_days` before) and the day
    # itself (expired); a closed notice does not reopen until the day, a closed expiry never for that date
    stage = pd.Series(np.where(days_left <= 0, "expired", "notice"), index=c.index)
    ev = pd.DataFrame({"assessed_on": assessed, "expires_on": expires, "days_left": days_left})
    return _firings("assessment_expiry", fired, c, "reminder", ev,
                    key=(_iso(expires) + ":" + stage).fillna("never"), due=expires)


def birthday(d, p):
    c = d.customers
    born = c["birth_date"].dropna()
    today = pd.Timestamp(d.day)
    rows = []
    for year in (today.year, today.year + 1):  # the next birthday may fall in January of next year
        month, day = born.dt.month, born.dt.day
        leap_day = (month == 2) & (day == 29)
        is_leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        day = day.where(~leap_day | is_leap, 28)  # 29 Feb is kept on the 28th in other years
        rows.append(pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day})))
    this_year, next_year = rows
    upcoming = this_year.where(this_year >= today, next_year)
    days = (upcoming - today).dt.days
    fired = (days <= p.birthday_days).reindex(c.index, fill_value=False)
    ev = pd.DataFrame({"birthday": upcoming, "days_until": days, "age": upcoming.dt.year - born.dt.year})
    return _firings("birthday", fired, c, "reminder", ev, key=_iso(upcoming))


def contact_due(d, p):
    """Past the scheduled next contact (Customer.next_contact_on, the contact plan of alerts.schedule)."""
    c = d.customers
    due = c["next_contact_on"] if "next_contact_on" in c else pd.Series(pd.NaT, index=c.index)
    today = pd.Timestamp(d.day)
    fired = (due < today).fillna(False)
    df = c[[]].join(d.tiers[["star"]]).join(d.contacts.rename("last_contact"))
    last = df["last_contact"]
    if isinstance(last.dtype, pd.DatetimeTZDtype):
        last = last.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None).dt.normalize()
    ev = pd.DataFrame({"star": df["star"], "every_months": c.get("contact_cycle_months"), "last_contact": last,
                       "due_on": due, "days_overdue": (today - due).dt.days})
    return _firings("contact_due", fired, c, "reminder", ev, key=_iso(due))


RULE_FUNCTIONS = {
    "large_outflow": large_outflow, "falling_trading": falling_trading, "pnl_threshold": pnl_threshold,
    "assets_elsewhere": assets_elsewhere, "closing_application": closing_application,
    "lifecycle_decline": lifecycle_decline, "id_expiry": id_expiry, "ipo_payment": ipo_payment,
    "rights_payment": rights_payment, "margin_ratio": margin_ratio, "debt_maturity": debt_maturity,
    "assessment_expiry": assessment_expiry, "birthday": birthday, "contact_due": contact_due,
}


def evaluate(data, params):
    """All firings of every rule for one scan date."""
    frames = [fn(data, params) for fn in RULE_FUNCTIONS.values()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=FIRING_COLUMNS)
    return pd.concat(frames, ignore_index=True)
