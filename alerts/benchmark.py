"""bench scan_alerts: the nightly scan vs its data floor (quality.md: ≤ 3 × the floor).

The floor, measured in the same run: COPY out of PostgreSQL every raw row the scan's windows read (customers,
the activity and snapshot windows, IPO quotas, applications, events, current tiers, the contact log, staff)
and COPY the scan's output rows (the alerts it opened or refreshed, and their history rows) back in.
"""
import io
import resource
import time
from datetime import timedelta

from django.db import connection, transaction

from . import selectors, services
from .inputs import SNAPSHOT_SLACK_DAYS


def _copy_out(cursor, sql, params=()):
    buf = io.StringIO()
    query = cursor.mogrify(sql, params).decode()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buf)
    return buf


def data_floor(day, params, run_id):
    recent_from = day - timedelta(days=params.trading_recent_days)
    activity_from = min(recent_from - timedelta(days=params.trading_baseline_days),
                        day - timedelta(days=params.pnl_days))
    snap_from = day - timedelta(days=params.pnl_days + SNAPSHOT_SLACK_DAYS)
    horizon = day + timedelta(days=max(params.payment_lookahead_days, params.debt_maturity_days))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        raw = c.cursor
        _copy_out(raw, "SELECT * FROM customers_customer WHERE opened_on IS NOT NULL AND opened_on <= %s "
                       "AND (closed_on IS NULL OR closed_on > %s)", (day, day))
        _copy_out(raw, "SELECT * FROM customers_dailyactivity WHERE date > %s AND date <= %s", (activity_from, day))
        _copy_out(raw, "SELECT * FROM customers_snapshot WHERE date > %s AND date <= %s", (snap_from, day))
        _copy_out(raw, "SELECT * FROM customers_ipoquota WHERE date > %s AND date <= %s",
                  (day - timedelta(days=params.quota_lookback_days), day))
        _copy_out(raw, "SELECT * FROM customers_application WHERE status = 'filed' AND filed_on <= %s", (day,))
        _copy_out(raw, "SELECT * FROM customers_event WHERE date <= %s AND due_on >= %s AND due_on <= %s",
                  (day, day, horizon))
        _copy_out(raw, "SELECT * FROM customers_currenttier")
        _copy_out(raw, "SELECT * FROM customers_interaction WHERE at < %s", (day + timedelta(days=1),))
        _copy_out(raw, "SELECT * FROM customers_staff")
        alerts = _copy_out(raw, "SELECT * FROM alerts_alert WHERE last_fired_on = %s", (day,))
        history = _copy_out(raw, "SELECT t.* FROM alerts_alerttransition t JOIN alerts_alert a ON a.id = t.alert_id "
                                 "WHERE a.opened_run_id = %s", (run_id,))
        raw.execute("CREATE TEMP TABLE bench_alerts (LIKE alerts_alert INCLUDING ALL) ON COMMIT DROP")
        raw.execute("CREATE TEMP TABLE bench_history (LIKE alerts_alerttransition INCLUDING ALL) ON COMMIT DROP")
        for table, buf in (("bench_alerts", alerts), ("bench_history", history)):
            buf.seek(0)
            raw.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", buf)
        transaction.set_rollback(True)
    return time.perf_counter() - started


def run(stdout):
    if connection.vendor != "postgresql":
        raise SystemExit("bench scan_alerts measures PostgreSQL: set DATABASE_URL")
    from customers.models import Customer

    day = selectors.default_scan_date()
    params = selectors.active_params()
    customers = Customer.objects.count()
    started = time.perf_counter()
    job = services.run_scan(day=day)
    job_time = time.perf_counter() - started
    if job.status != "succeeded":
        raise SystemExit(f"the scan failed: {job.error}")
    floor = data_floor(day, params, job.pk)
    started = time.perf_counter()
    again = services.run_scan(day=day)  # the same date again: must change nothing (idempotent)
    rerun_time = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c = job.counts
    stdout.write(f"scan_alerts {day}: {customers:,} customers; {c['fired']:,} firings, {c['opened']:,} opened, "
                 f"{c['updated']:,} updated, {c['suppressed']:,} suppressed (job run {job.pk})")
    stdout.write(f"  scan                     {job_time:8.2f} s")
    stdout.write(f"  data floor (COPY in/out) {floor:8.2f} s   ratio {job_time / floor:5.2f}  (target ≤ 3)")
    stdout.write(f"  re-run of the same date  {rerun_time:8.2f} s   ({again.counts['opened']} opened, "
                 f"{again.counts['updated']} updated)")
    stdout.write(f"  peak memory of this process {peak_mb:,.0f} MB")
    return {"job": job_time, "floor": floor, "rerun": rerun_time, "customers": customers}
