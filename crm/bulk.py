"""Set-based writes for batch jobs: COPY on PostgreSQL, executemany on SQLite.

Frames hold database column values (ids, ISO date strings, numbers); missing
values are NaN/None/pd.NA and become NULL.
"""
import io
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pandas as pd
from django.db import connection

NULL = "\\N"


def is_postgres():
    return connection.vendor == "postgresql"


class _Done:
    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


def _on_own_connection(fn, args):
    try:
        return fn(*args)
    finally:
        connection.close()  # this thread's connection (Django connections are per thread)


@contextmanager
def read_beside(fn, *args):
    """Start the read `fn(*args)` on a second connection while the caller goes on; `.result()` waits for it.

    The server aggregates on one core while this process parses on the other. Only on PostgreSQL and
    outside a transaction: another connection cannot see this one's uncommitted rows (e.g. a test's
    data), so inside a transaction, and on SQLite, the read simply runs first, here.
    """
    if not is_postgres() or connection.in_atomic_block:
        yield _Done(fn(*args))
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(_on_own_connection, fn, args)


def statistics_lag(model, rows):
    """True when the planner believes `model`'s table holds fewer than `rows` rows (PostgreSQL's estimate
    from the last ANALYZE or VACUUM; -1 or 0 for a table never analyzed)."""
    if not is_postgres():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row is None or row[0] < rows


def refresh_statistics(*models, vacuum=()):
    """After a batch rewrote these tables: fresh planner statistics (ANALYZE), and VACUUM for the tables in
    `vacuum` (rows rewritten every night: the dead versions go, so the next night's update stays in-page).

    The server's autovacuum may lag hours behind a nightly bulk write, or be off; until then the planner
    guesses from stale counts and the pages pay for it. PostgreSQL only. VACUUM cannot run inside a
    transaction: there it is deferred until the outermost one commits (and dropped on rollback)."""
    if not is_postgres():
        return
    tables = [m._meta.db_table for m in models]
    to_vacuum = [m._meta.db_table for m in vacuum]

    def run():
        with connection.cursor() as cursor:
            for table in to_vacuum:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
            for table in tables:
                if table not in to_vacuum:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    if connection.in_atomic_block:
        from django.db import transaction

        transaction.on_commit(run)
    else:
        run()


def _records(frame):
    """Rows as tuples with None for missing values (for executemany)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return list(clean.itertuples(index=False, name=None))


def _csv(frame):
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep=NULL)
    buf.seek(0)
    return buf


def _copy_sql(table, columns):
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"


def _copy_into(cursor, table, frame):
    cursor.copy_expert(_copy_sql(table, frame.columns), _csv(frame))


def copy_frame(model, frame, chunk_rows=250_000):
    """Append rows to an (empty or disjoint) table as fast as the database allows.

    On PostgreSQL the next chunk is turned into CSV in a thread while the server
    ingests the current one, so client formatting and server work overlap.
    """
    if frame.empty:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    chunks = [frame.iloc[start : start + chunk_rows] for start in range(0, len(frame), chunk_rows)]
    with connection.cursor() as cursor:
        if is_postgres():
            sql = _copy_sql(table, frame.columns)
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_csv, chunks[0])
                for nxt in [*chunks[1:], None]:
                    buf = pending.result()
                    if nxt is not None:
                        pending = pool.submit(_csv, nxt)
                    cursor.cursor.copy_expert(sql, buf)
        else:
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            marks = ", ".join(["%s"] * len(frame.columns))
            for part in chunks:
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", _records(part))
    return len(frame)


def upsert_frame(model, frame, keys, compare, touch=()):
    """Insert new rows and update changed ones; unchanged rows are left untouched.

    keys: the unique columns; compare: columns whose change counts as an update;
    touch: columns written on insert/update but not compared (e.g. updated_at).
    Returns (inserted, updated).
    """
    if frame.empty:
        return 0, 0
    table = connection.ops.quote_name(model._meta.db_table)
    cols = list(frame.columns)
    q = connection.ops.quote_name
    col_sql = ", ".join(q(c) for c in cols)
    set_sql = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in [*compare, *touch])
    with connection.cursor() as cursor:
        if is_postgres():
            changed_sql = " OR ".join(f"{table}.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}" for c in compare)
            cursor.execute(f"CREATE TEMP TABLE _upsert AS SELECT {col_sql} FROM {table} WITH NO DATA")
            try:
                _copy_into(cursor.cursor, "_upsert", frame)
                # xmax = 0 marks a freshly inserted row; updated rows carry the updating transaction's id.
                cursor.execute(
                    f"WITH written AS (INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM _upsert "
                    f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {set_sql} WHERE {changed_sql} "
                    f"RETURNING (xmax = 0) AS fresh) "
                    f"SELECT COUNT(*) FILTER (WHERE fresh), COUNT(*) FILTER (WHERE NOT fresh) FROM written"
                )
                inserted, updated = cursor.fetchone()
            finally:
                cursor.execute("DROP TABLE _upsert")
            return inserted, updated
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        before = cursor.fetchone()[0]
        changed_sql = " OR ".join(f"{table}.{q(c)} IS NOT excluded.{q(c)}" for c in compare)
        marks = ", ".join(["%s"] * len(cols))
        sql = (
            f"INSERT INTO {table} ({col_sql}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {set_sql} WHERE {changed_sql}"
        )
        before_changes = connection.connection.total_changes
        cursor.executemany(sql, _records(frame))
        changed = connection.connection.total_changes - before_changes
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        inserted = cursor.fetchone()[0] - before
    return inserted, changed - inserted


def iso_dates(series):
    """Datetime-like series -> 'YYYY-MM-DD' strings with None for missing."""
    out = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
    return out.where(out.notna(), None)


def read_frame(sql, params=(), parse_dates=(), text=()):
    """Run a SELECT and return a DataFrame; on PostgreSQL through COPY, which is several times faster.

    `text` names columns to keep as strings (codes such as a star "4"), with NULL read as "".
    """
    with connection.cursor() as cursor:
        if is_postgres():
            query = cursor.cursor.mogrify(sql, params).decode()
            buf = io.StringIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
            buf.seek(0)
            header = buf.readline().rstrip("\n").split(",")
            buf.seek(0)
            frame = pd.read_csv(
                buf, keep_default_na=False, dtype={c: str for c in text},
                na_values={c: [""] for c in header if c not in text},
            )
        else:
            cursor.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=columns)
            for column in set(text) & set(frame.columns):
                frame[column] = frame[column].fillna("").astype(str)
    for column in parse_dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame
