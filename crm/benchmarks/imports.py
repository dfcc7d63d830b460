"""Import of one day's back-office file (snapshots, activity) vs a plain PostgreSQL COPY of the same file
(target ≤ 3×), new day and unchanged re-import, and the peak memory of checking an invalid ~100 MB file
(target < 500 MB RSS). Beside them, for reference, a COPY of the day's final rows into the dataset's own table."""
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction

from customers.imports.datasets import MONEY_COLS
from customers.imports.uploader import SYSTEM
from customers.models import DailyActivity, Snapshot
from customers.services import import_backoffice


ACTIVITY_COLS = ("trade_count", "traded_amount", "commission_income", "product_income", "transfer_in",
                 "transfer_out", "pnl")
# dataset -> (model, the file's columns after customer_code and date)
FILES = {
    "snapshots": (Snapshot, (*MONEY_COLS, "maintenance_ratio")),
    "activity": (DailyActivity, ACTIVITY_COLS),
}


def _latest_day(model):
    return model.objects.order_by("-date").values_list("date", flat=True).first()


def _day_file(dataset, day, shift_days):
    """The day's rows of `dataset` as the back office would send them, dated `shift_days` later (a new day)."""
    model, columns = FILES[dataset]
    new_day = day + timedelta(days=shift_days)
    cols = ", ".join(f"s.{c}" for c in columns)
    buf = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY (SELECT c.customer_code, DATE '{new_day.isoformat()}', {cols} "
            f"FROM {model._meta.db_table} s JOIN customers_customer c ON c.id = s.customer_id "
            f"WHERE s.date = DATE '{day.isoformat()}' ORDER BY c.customer_code) TO STDOUT WITH (FORMAT csv)",
            buf,
        )
    header = "customer_code,date," + ",".join(columns) + "\n"
    return (header + buf.getvalue()).encode()


def _plain_copy_seconds(dataset, raw):
    """The floor: COPY the same CSV into a temporary table shaped like the file, no checks, no upsert."""
    _model, columns = FILES[dataset]
    cols = ", ".join(f"{c} {'integer' if c == 'trade_count' else 'numeric(18,2)'}" for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_copy (customer_code text, date date, {cols}) ON COMMIT DROP")
        started = time.perf_counter()
        cursor.cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(raw))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def _table_copy_seconds(dataset, day, shift_days):
    """A reference, not a floor the issue names: COPY the day's final rows (customer ids, typed) straight into
    the dataset's own table, with its indexes and constraints: what writing the rows costs by itself."""
    model, columns = FILES[dataset]
    table, cols = model._meta.db_table, ", ".join(columns)
    buf = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY (SELECT customer_id, date + {int(shift_days)}, {cols} FROM {table} "
                                  f"WHERE date = DATE '{day.isoformat()}') TO STDOUT WITH (FORMAT csv)", buf)
    data = buf.getvalue().encode()
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY {table} (customer_id, date, {cols}) FROM STDIN WITH (FORMAT csv)",
                                  io.BytesIO(data))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def import_day(dataset, stdout):
    """Import one day's file of `dataset` as a new day, then again unchanged, beside the floor (in the same
    run, so the machine's load is shared)."""
    day = _latest_day(FILES[dataset][0])
    if day is None:
        raise SystemExit("no data: run generate_branch first")
    raw = _day_file(dataset, day, shift_days=1)
    rows = raw.count(b"\n") - 1
    floor = _plain_copy_seconds(dataset, raw)
    with transaction.atomic():
        started = time.perf_counter()
        result = import_backoffice(dataset, raw, uploader=SYSTEM, filename="bench.csv")
        new_day = time.perf_counter() - started
        started = time.perf_counter()
        again = import_backoffice(dataset, raw, uploader=SYSTEM, filename="bench.csv")
        repeat = time.perf_counter() - started
        transaction.set_rollback(True)  # leave the data as it was
    assert result.inserted == rows and again.inserted == again.updated == 0, (result.counts(), again.counts())
    table = _table_copy_seconds(dataset, day, shift_days=1)
    stdout.write(f"import one day's {dataset} file: {rows:,} rows, {len(raw) / 1e6:.1f} MB")
    stdout.write(f"  plain COPY (floor)       {floor:7.2f} s")
    stdout.write(f"  import, new day          {new_day:7.2f} s   ratio {new_day / floor:5.2f}  (target ≤ 3)")
    stdout.write(f"  re-import, unchanged     {repeat:7.2f} s   ratio {repeat / floor:5.2f}")
    stdout.write(f"  (COPY of the final rows into the table itself: {table:.2f} s, ratio {table / floor:.2f})")
    return {f"{dataset}_floor": floor, f"{dataset}_import": new_day, f"{dataset}_reimport": repeat,
            f"{dataset}_table_copy": table}


INVALID_MB = 100
MEMORY_TARGET_MB = 500


def _invalid_events_file(path, megabytes=INVALID_MB):
    """Events of unknown customers with amounts that are not numbers: two errors on every line."""
    row = "GHOST{:08d},2026-11-20,ipo_win,abc,2026-11-23\n"
    rows = megabytes * 1_000_000 // len(row.format(0))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("customer_code,date,kind,amount,due_on\n")
        fh.writelines("".join(row.format(n) for n in range(start, min(start + 100_000, rows))) for start in range(0, rows, 100_000))
    return rows


def _child_peak_mb(*args):
    """Run crm.benchmarks.import_child in a child process -> (its JSON output, peak RSS in MB of the children
    so far: run the smaller child first)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "crm.settings.local")}
    done = subprocess.run([sys.executable, "-m", "crm.benchmarks.import_child", *args], env=env, check=True,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    return json.loads(done.stdout.strip().splitlines()[-1]), peak_kb / 1024


def invalid_file_memory(stdout):
    """Peak RSS of checking an invalid ~100 MB events file, in a child process, beside the child that only
    loads Django and reads the file (the floor)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        rows = _invalid_events_file(path)
        size = path.stat().st_size / 1e6
        _out, floor = _child_peak_mb("events", str(path), "read")
        started = time.perf_counter()
        counts, peak = _child_peak_mb("events", str(path), "import")
        elapsed = time.perf_counter() - started
    stdout.write(f"check an invalid events file: {rows:,} rows, {size:.0f} MB, {counts['errors']:,} errors "
                 f"({counts['kept']:,} kept)")
    stdout.write(f"  Django + the file's bytes (floor)  {floor:7.0f} MB RSS")
    stdout.write(f"  import (rejected)                  {peak:7.0f} MB RSS   {elapsed:5.1f} s   "
                 f"(target < {MEMORY_TARGET_MB} MB)")
    return {"floor_mb": floor, "peak_mb": peak, "errors": counts["errors"]}


def run(stdout):
    if connection.vendor != "postgresql":
        raise SystemExit("bench import measures PostgreSQL: set DATABASE_URL")
    figures = {}
    for dataset in FILES:
        figures.update(import_day(dataset, stdout))
    memory = invalid_file_memory(stdout)
    return {**figures, **memory}
