"""Bulk reads for one scan date: a handful of set-based queries over the whole branch (never per customer).

Activity is aggregated in SQL (one GROUP BY over the trailing window); snapshots, quotas, events and the
rest are read as raw rows of short windows and reduced in pandas.
"""
from datetime import timedelta

import pandas as pd
from django.db import connection

from crm.bulk import read_frame

SNAPSHOT_SLACK_DAYS = 45  # month-end snapshots: an as-of read needs up to a month before a window start


def customers(day):
    """Open accounts on `day` with the fields the reminders read and their owners."""
    frame = read_frame(
        "SELECT id AS customer_id, office_id, advisor_id, investment_advisor_id, id_expires_on, birth_date, "
        "risk_assessed_on, next_contact_on, contact_cycle_months FROM customers_customer "
        "WHERE opened_on IS NOT NULL AND opened_on <= %s AND (closed_on IS NULL OR closed_on > %s)",
        (day, day), parse_dates=("id_expires_on", "birth_date", "risk_assessed_on", "next_contact_on"),
    )
    return frame.set_index("customer_id")


def activity(day, p):
    """Per customer: trades in the recent window and the baseline before it, P&L over the P&L window,
    transfer-out on `day` (one aggregate query)."""
    recent_from = day - timedelta(days=p.trading_recent_days)
    baseline_from = recent_from - timedelta(days=p.trading_baseline_days)
    pnl_from = day - timedelta(days=p.pnl_days)
    start = min(baseline_from, pnl_from)
    frame = read_frame(
        """
        SELECT customer_id,
          SUM(CASE WHEN date > %s THEN trade_count ELSE 0 END) AS trades_recent,
          SUM(CASE WHEN date <= %s AND date > %s THEN trade_count ELSE 0 END) AS trades_baseline,
          SUM(CASE WHEN date > %s THEN pnl ELSE 0 END) AS pnl_window,
          SUM(CASE WHEN date = %s THEN transfer_out ELSE 0 END) AS outflow_today
        FROM customers_dailyactivity
        WHERE date > %s AND date <= %s
        GROUP BY customer_id
        """,
        (recent_from, recent_from, baseline_from, pnl_from, day, start, day),
    )
    return frame.set_index("customer_id").astype(float)


def snapshots(day, p):
    """As-of reads of the snapshot table: the latest row on `day` or before (holdings, cash, margin ratio),
    the latest before `day` (the previous day's assets) and the latest on or before the P&L window start."""
    since = day - timedelta(days=p.pnl_days + SNAPSHOT_SLACK_DAYS)
    rows = read_frame(
        "SELECT customer_id, date, total_assets, securities_value, cash, margin_debt, maintenance_ratio "
        "FROM customers_snapshot WHERE date > %s AND date <= %s ORDER BY customer_id, date",
        (since, day), parse_dates=("date",),
    )
    d = pd.Timestamp(day)
    latest = rows.groupby("customer_id").last()
    before = rows[rows["date"] < d].groupby("customer_id")[["date", "total_assets"]].last()
    start = rows[rows["date"] <= d - pd.Timedelta(days=p.pnl_days)].groupby("customer_id")[
        ["date", "total_assets"]].last()
    out = pd.DataFrame({
        "snap_date": latest["date"], "securities": latest["securities_value"].astype(float),
        "cash": latest["cash"].astype(float), "margin_debt": latest["margin_debt"].astype(float),
        "maintenance_ratio": latest["maintenance_ratio"].astype(float),
    })
    out["prev_assets"], out["prev_date"] = before["total_assets"].astype(float), before["date"]
    out["start_assets"], out["start_date"] = start["total_assets"].astype(float), start["date"]
    out.index.name = "customer_id"
    return out


def ipo_quotas(day, p):
    rows = read_frame(
        "SELECT customer_id, date, sh_units, sz_units FROM customers_ipoquota WHERE date > %s AND date <= %s "
        "ORDER BY customer_id, date", (day - timedelta(days=p.quota_lookback_days), day), parse_dates=("date",),
    )
    return rows.groupby("customer_id").last()


def filed_applications(day):
    rows = read_frame(
        "SELECT customer_id, filed_on, kind FROM customers_application WHERE status = 'filed' AND filed_on <= %s "
        "ORDER BY customer_id, filed_on", (day,), parse_dates=("filed_on",), text=("kind",),
    )
    return rows.groupby("customer_id").last()


def events(day, p):
    horizon = day + timedelta(days=max(p.payment_lookahead_days, p.debt_maturity_days))
    return read_frame(
        "SELECT customer_id, date, kind, amount, due_on FROM customers_event "
        "WHERE date <= %s AND due_on >= %s AND due_on <= %s ORDER BY customer_id, due_on",
        (day, day, horizon), parse_dates=("date", "due_on"), text=("kind",),
    )


def current_tiers():
    return read_frame(
        "SELECT customer_id, star, lifecycle_stage, as_of, total_assets FROM customers_currenttier",
        parse_dates=("as_of",), text=("star", "lifecycle_stage"),
    ).set_index("customer_id")


def decline_entries(day, lookback_days=45):
    """Moves into the decline stage recorded by the tiering runs of the last `lookback_days`: per customer the
    latest, with the stage it came from (entered_on, from_stage)."""
    rows = read_frame(
        "SELECT customer_id, date AS entered_on, old AS from_stage FROM customers_tierchange "
        "WHERE field = 'lifecycle_stage' AND new = 'decline' AND date > %s AND date <= %s ORDER BY customer_id, date",
        (day - timedelta(days=lookback_days), day), parse_dates=("entered_on",), text=("from_stage",))
    return rows.groupby("customer_id").last()


def last_contacts(day):
    from .sla import local_midnight

    # as the database stores it (SQLite: UTC text; an aware local time would compare as other text)
    until = connection.ops.adapt_datetimefield_value(local_midnight(day + timedelta(days=1)))
    rows = read_frame(
        "SELECT customer_id, MAX(at) AS last_contact FROM customers_interaction WHERE at < %s GROUP BY customer_id",
        (until,),
    )
    rows["last_contact"] = pd.to_datetime(rows["last_contact"], utc=True, format="mixed")
    return rows.set_index("customer_id")["last_contact"]


def office_managers():
    """office_id -> the office manager who is escalated to (the first active one)."""
    rows = read_frame(
        "SELECT office_id, MIN(id) AS manager_id FROM customers_staff WHERE role = 'office_manager' AND is_active "
        "GROUP BY office_id")
    return rows.set_index("office_id")["manager_id"]
