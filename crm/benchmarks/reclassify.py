"""Nightly reclassification vs its data floor (COPY its input rows out and its output rows in), and vs a naive
per-customer ORM loop on 5,000 customers (quality.md: ≤ 3 × the floor; ≥ 50 × faster per customer)."""
import io
import os
import resource
import time
from datetime import timedelta

from django.db import connection, transaction

from customers import services
from customers.models import Customer, TieringPolicy, TierSnapshot
from customers.tiering.batch import _delete_day, default_run_date
from customers.tiering.compute import customer_values
from customers.tiering.inputs import activity_data_start
from customers.tiering.params import TieringParams

# The comparison is on 5,000 customers; BENCH_NAIVE_CUSTOMERS=0 skips it (e.g. at 1 M, for memory).
NAIVE_CUSTOMERS = int(os.environ.get("BENCH_NAIVE_CUSTOMERS", "5000"))


def _copy_out(cursor, sql):
    buf = io.StringIO()
    cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buf)
    return buf


def data_floor(day):
    """COPY out every row the job's windows read, and COPY the job's output rows back in."""
    since = day - timedelta(days=730)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        raw = c.cursor
        _copy_out(raw, "SELECT * FROM customers_customer")
        _copy_out(raw, f"SELECT * FROM customers_snapshot WHERE date <= '{day}' AND date > '{since}'")
        _copy_out(raw, f"SELECT * FROM customers_dailyactivity WHERE date <= '{day}'")
        _copy_out(raw, f"SELECT * FROM customers_ipoquota WHERE date <= '{day}' AND date > '{day - timedelta(days=30)}'")
        out = _copy_out(raw, f"SELECT * FROM customers_tiersnapshot WHERE date = '{day}'")
        out.seek(0)
        raw.execute("CREATE TEMP TABLE bench_out (LIKE customers_tiersnapshot INCLUDING ALL) ON COMMIT DROP")
        raw.copy_expert("COPY bench_out FROM STDIN WITH (FORMAT csv)", out)
        transaction.set_rollback(True)
    return time.perf_counter() - started


def naive_per_customer(day, n):
    """The naive way: for each customer, read its rows, compute, save() (same rules, one customer at a time)."""
    policy = TieringPolicy.objects.get(status="active")
    params = TieringParams.from_json(policy.params)
    start = activity_data_start()
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[:n])
    import pandas as pd

    empty_prev = pd.DataFrame(columns=["legacy_star", "legacy_observed", "legacy_year"])
    started = time.perf_counter()
    with transaction.atomic():
        for customer_id in ids:
            values = customer_values(customer_id, customer_id, day, start, params, empty_prev)
            row = values.iloc[0]
            TierSnapshot(customer_id=customer_id, date=day + timedelta(days=3650), policy=policy,
                         lifecycle_stage=row["lifecycle_stage"], cev=row["cev"], cpv=row["cpv"],
                         clv=row["clv"], total_assets=None if pd.isna(row["total_assets"]) else row["total_assets"],
                         legacy_star=row["legacy_star"]).save()
        transaction.set_rollback(True)
    return (time.perf_counter() - started) / len(ids)


def run(stdout):
    if connection.vendor != "postgresql":
        raise SystemExit("bench reclassify measures PostgreSQL: set DATABASE_URL")
    day = default_run_date()
    customers = Customer.objects.count()
    # Measure the nightly case: the previous night's run exists, tonight's date has not been run yet.
    if not TierSnapshot.objects.filter(date=day - timedelta(days=1)).exists():
        services.run_reclassification(day=day - timedelta(days=1))
    with transaction.atomic():
        _delete_day(day)
    started = time.perf_counter()
    job = services.run_reclassification(day=day)
    job_time = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the job's peak (the floor buffers more)
    if job.status != "succeeded":
        raise SystemExit(f"the run failed: {job.error}")
    floor = data_floor(day)
    naive = naive_per_customer(day, min(NAIVE_CUSTOMERS, customers)) if NAIVE_CUSTOMERS else None
    per_customer = job_time / customers
    stdout.write(f"reclassify {day}: {customers:,} customers, {job.counts.get('chunks')} chunks")
    stdout.write(f"  job                      {job_time:8.2f} s")
    stdout.write(f"  data floor (COPY in/out) {floor:8.2f} s   ratio {job_time / floor:5.2f}  (target ≤ 3)")
    if naive:
        stdout.write(f"  per customer: job {per_customer * 1e6:8.1f} µs, naive ORM loop {naive * 1e6:8.1f} µs"
                     f"   speed-up {naive / per_customer:6.1f} ×  (target ≥ 50)")
    stdout.write(f"  peak memory of the job {peak_mb:,.0f} MB  (target ≤ 2,048 at 1 M customers)")
    return {"job": job_time, "floor": floor, "naive_per_customer": naive, "customers": customers}
