"""Import of one day's back-office file vs a plain PostgreSQL COPY of the same file (target ≤ 3×)."""
import io
import time
from datetime import timedelta

from django.db import connection, transaction

from customers.imports.datasets import MONEY_COLS
from customers.imports.uploader import SYSTEM
from customers.models import Snapshot
from customers.services import import_backoffice


def _day_file(day, shift_days):
    """The day's snapshots as the back office would send them, dated `shift_days` later (a new day)."""
    new_day = day + timedelta(days=shift_days)
    cols = ", ".join(f"s.{c}" for c in MONEY_COLS)
    buf = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY (SELECT c.customer_code, DATE '{new_day.isoformat()}', {cols}, s.maintenance_ratio "
            f"FROM customers_snapshot s JOIN customers_customer c ON c.id = s.customer_id "
            f"WHERE s.date = DATE '{day.isoformat()}' ORDER BY c.customer_code) TO STDOUT WITH (FORMAT csv)",
            buf,
        )
    header = "customer_code,date," + ",".join(MONEY_COLS) + ",maintenance_ratio\n"
    return (header + buf.getvalue()).encode()


def _plain_copy_seconds(raw):
    """The floor: COPY the same CSV into a table shaped like the file, no checks, no upsert."""
    cols = ", ".join(f"{c} numeric(18,2)" for c in MONEY_COLS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_copy (customer_code text, date date, {cols}, "
                       "maintenance_ratio numeric(10,2)) ON COMMIT DROP")
        started = time.perf_counter()
        cursor.cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(raw))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def run(stdout):
    if connection.vendor != "postgresql":
        raise SystemExit("bench import measures PostgreSQL: set DATABASE_URL")
    day = Snapshot.objects.order_by("-date").values_list("date", flat=True).first()
    if day is None:
        raise SystemExit("no data: run generate_branch first")
    raw = _day_file(day, shift_days=1)
    rows = raw.count(b"\n") - 1
    floor = _plain_copy_seconds(raw)
    with transaction.atomic():
        started = time.perf_counter()
        result = import_backoffice("snapshots", raw, uploader=SYSTEM, filename="bench.csv")
        new_day = time.perf_counter() - started
        started = time.perf_counter()
        again = import_backoffice("snapshots", raw, uploader=SYSTEM, filename="bench.csv")
        repeat = time.perf_counter() - started
        transaction.set_rollback(True)  # leave the data as it was
    assert result.inserted == rows and again.inserted == again.updated == 0, (result.counts(), again.counts())
    stdout.write(f"import one day's snapshots file: {rows:,} rows, {len(raw) / 1e6:.1f} MB")
    stdout.write(f"  plain COPY (floor)       {floor:7.2f} s")
    stdout.write(f"  import, new day          {new_day:7.2f} s   ratio {new_day / floor:5.2f}  (target ≤ 3)")
    stdout.write(f"  re-import, unchanged     {repeat:7.2f} s   ratio {repeat / floor:5.2f}")
    return {"floor": floor, "import": new_day, "reimport": repeat}
