"""The PostgreSQL path of the per-customer datasets (snapshots, activity, IPO quotas, applications, events):
COPY the file into a temporary staging table and check and write it there with set-based SQL.

The staging table holds the file as it is, one column per header column, and a line number from the staging
row order (the header is line 1; a file whose rows do not map one to one onto its lines is left to the pandas
path, see `import_staged`). Each check of the pandas path (columns.check_column, the datasets' cross-field
checks, the duplicate keys, the uploader's office) is one SQL expression here, with the same messages; the
errors land in a temporary table, from which the first ones are read in (line, field) order with the total.
A valid file is then written straight from the staging table: new rows by INSERT … SELECT, changed rows by
UPDATE, unchanged rows not at all.

Two tries: the numbers are first COPYed as `numeric`, so PostgreSQL parses them in COPY itself (the fast
path of a good file); a file with any error, or whose numbers PostgreSQL will not parse, is staged again as
text, where numbers are parsed behind a pattern (a safe cast) and every value shown in an error is the file's
own text. The client holds the file's bytes and the kept errors: memory does not grow with the file's rows.
"""
import io

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from .columns import MAX_INT, MAX_MONEY
from .datasets import DATASETS
from .errors import error
from .uploader import CUSTOMER_KEYED

STAGE, ERRORS = "_import_stage", "_import_errors"
# pandas.to_numeric's numbers (surrounding blanks allowed); "inf" and "nan" are not numbers there either.
NUMBER = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BLANKS = " \t\n\r\x0b\x0c"  # what str.strip() removes from an ASCII value
INFINITE = "1e308"  # beyond a float64: pandas reads it as inf, "not a number"
INFINITY = r"^\s*[+-]?inf(inity)?\s*$"


class Unstageable(Exception):
    """The file cannot be staged line for line (CSV quoting across lines, a bad field count, bad encoding,
    a blank line…): the pandas path reads it and reports its problems."""


def applies(dataset_name, *, keep_rejects):
    """Whether this import takes the staging path (PostgreSQL, a per-customer dataset, no rejects file: that
    one lists the raw rows, which the pandas path keeps)."""
    return connection.vendor == "postgresql" and dataset_name in CUSTOMER_KEYED and not keep_rejects


def _header(raw):
    """The header's names and the body's bytes, or Unstageable (the pandas path reports an odd header)."""
    end = raw.find(b"\n")
    first, body = (raw, b"") if end < 0 else (raw[:end], raw[end + 1:])
    try:
        text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise Unstageable from exc
    if not text or '"' in text:
        raise Unstageable
    return [h.strip() for h in text.split(",")], body


def _lines_in(body):
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


class _Sql:
    """SQL expressions of one dataset over the staging table, with their parameters."""

    def __init__(self, dataset, header, typed):
        self.dataset, self.typed = dataset, typed
        self.position = {name: header.index(name) for name in dataset.column_names}

    @staticmethod
    def p(value):
        """A value as an SQL literal, quoted by the driver (the statements take no parameters, so that the
        patterns and messages need no escaping of %)."""
        from psycopg2.extensions import adapt  # PostgreSQL only: the driver is not needed on SQLite

        adapted = adapt(value)
        if hasattr(adapted, "prepare"):
            adapted.prepare(connection.connection)
        return adapted.getquoted().decode()

    def col(self, name):
        return f"s.c{self.position[name]}"

    def raw(self, name):
        """The value as the pandas path shows it: numbers as in the file, everything else stripped."""
        column = next(c for c in self.dataset.columns if c.name == name)
        if column.kind in ("decimal", "int"):
            return f"{self.col(name)}::text" if self.typed else f"coalesce({self.col(name)}, '')"
        return f"btrim(coalesce({self.col(name)}, ''), {self.p(BLANKS)})"

    def present(self, name):
        return f"({self.col(name)} IS NOT NULL)" if self.typed else f"({self.raw(name)} <> '')"

    def number(self, name):
        """The parsed number (NULL when empty or not a number)."""
        c = self.col(name)
        if self.typed:
            return f"(CASE WHEN {c} = 'NaN' OR abs({c}) >= {INFINITE} THEN NULL ELSE {c} END)"
        # Nested CASEs: only a CASE guarantees the pattern is tested before the cast.
        return (f"(CASE WHEN {c} ~ {self.p(NUMBER)} THEN CASE WHEN abs({c}::numeric) < {INFINITE} "
                f"THEN {c}::numeric END END)")

    def as_float(self, name):
        """The value as pandas holds it for the cross-field checks: a number, ±Infinity for "inf" or a number
        beyond a float64 (flagged "not a number", yet compared), NULL otherwise (NaN: compares false)."""
        c = self.col(name)
        if self.typed:
            return f"(CASE WHEN {c} = 'NaN' THEN NULL ELSE {c} END)"
        infinite = f"(CASE WHEN {c} ~ '^\\s*-' THEN '-Infinity' ELSE 'Infinity' END)::numeric"
        return (f"(CASE WHEN {c} ~ {self.p(NUMBER)} THEN CASE WHEN abs({c}::numeric) < {INFINITE} "
                f"THEN {c}::numeric ELSE {infinite} END WHEN {c} ~* {self.p(INFINITY)} THEN {infinite} END)")

    def valid_date(self, name):
        """Whether the stripped text is a calendar date in the form YYYY-MM-DD (pandas reads years 0 to 9999)."""
        v = self.raw(name)
        y, m, d = (f"substr({v}, {start}, {length})::int" for start, length in ((1, 4), (6, 2), (9, 2)))
        leap = f"(mod({y}, 4) = 0 AND (mod({y}, 100) <> 0 OR mod({y}, 400) = 0))"
        last = (f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
                f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
        return (f"(CASE WHEN {v} ~ {self.p(DATE)} THEN {y} >= 0 AND {m} BETWEEN 1 AND 12 "
                f"AND {d} BETWEEN 1 AND {last} ELSE false END)")

    def date(self, name):
        return f"(CASE WHEN {self.valid_date(name)} THEN {self.raw(name)}::date END)"

    def ref_id(self, name):
        return f"r_{name}.id"

    def column_message(self, column):
        """A CASE giving the column's error message (or NULL); the last applicable check wins, as in
        columns.check_column."""
        name, kind = column.name, column.kind
        present = self.present(name)
        cases = []  # (condition, message): first match wins, so the pandas path's later checks come first
        if kind == "text":
            cases.append((f"{present} AND char_length({self.raw(name)}) > {column.max_length}",
                          _("is longer than %(n)d characters") % {"n": column.max_length}))
        elif kind == "enum":
            cases.append((f"{present} AND NOT ({self.raw(name)} = ANY({self.p(list(column.choices))}))",
                          _("must be one of: %(choices)s") % {"choices": ", ".join(column.choices)}))
        elif kind == "date":
            valid = self.valid_date(name)
            year = f"substr({self.raw(name)}, 1, 4)::int"
            cases.append((f"(CASE WHEN {valid} THEN NOT ({year} BETWEEN 1900 AND 2100) ELSE false END)",
                          _("is not a plausible date")))
            cases.append((f"{present} AND NOT {valid}", _("is not a date in the form YYYY-MM-DD")))
        elif kind in ("decimal", "int"):
            n = self.number(name)
            if not column.signed:
                rounded = n if kind == "int" else f"round({n}, 4)"
                cases.append((f"{rounded} < 0", _("must not be negative")))
            if kind == "int":
                cases.append((f"abs({n}) > {MAX_INT}", _("is too large")))
                cases.append((f"mod({n}, 1) <> 0", _("is not a whole number")))
            else:
                cases.append((f"abs({n}) >= {column.extra.get('max', MAX_MONEY)!r}", _("is too large")))
            cases.append((f"{present} AND {n} IS NULL", _("is not a number")))
        elif kind == "ref":
            cases.append((f"{present} AND {self.ref_id(name)} IS NULL", _("unknown %(what)s") % {"what": _(column.ref)}))
        else:  # pragma: no cover - permissions and the like stay on the pandas path
            raise ValueError(f"the staging path does not check {kind} columns")
        if column.required:
            cases.append((f"NOT {present}", _("is required")))
        whens = " ".join(f"WHEN {cond} THEN {self.p(str(message))}" for cond, message in cases)
        return f"CASE {whens} END"

    def joins(self):
        """The reference joins (customers by code)."""
        out = []
        for column in self.dataset.columns:
            if column.kind == "ref":
                if column.ref != "customer":  # pragma: no cover - per-customer datasets only
                    raise ValueError(column.ref)
                out.append(f"LEFT JOIN customers_customer r_{column.name} "
                           f"ON r_{column.name}.customer_code = {self.raw(column.name)}")
        return " ".join(out)


def _cross_field_checks(sql, dataset):
    """(field, message CASE) of the datasets' own checks (datasets.py), over the parsed values."""
    if dataset.name != "snapshots":
        return []
    from .datasets import PRODUCT_COLS

    parts = [sql.as_float(c) for c in ("securities_value", "cash", *PRODUCT_COLS)]
    off = f"({sql.as_float('total_assets')} - ({' + '.join(parts)}))"
    condition = f"{off} <> 'NaN' AND abs({off}) > 1.0"  # NULL or NaN (no error) when a part is not a number
    return [("total_assets", f"CASE WHEN {condition} THEN {sql.p(_('does not equal securities + products + cash'))} END")]


def _create_stage(cursor, header, dataset, typed):
    numeric = {c.name for c in dataset.columns if c.kind in ("decimal", "int")} if typed else set()
    columns = ", ".join(f"c{i} {'numeric' if name in numeric else 'text'}" for i, name in enumerate(header))
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(f"CREATE TEMP TABLE {STAGE} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 10000), "
                   f"{columns})")


def _stage(cursor, header, body, dataset, typed):
    """COPY the body into the staging table -> rows, or Unstageable (the savepoint is rolled back)."""
    import psycopg2  # the raw cursor's COPY raises the driver's errors, not Django's

    try:
        with transaction.atomic():
            _create_stage(cursor, header, dataset, typed)
            copy_columns = ", ".join(f"c{i}" for i in range(len(header)))
            cursor.cursor.copy_expert(f"COPY {STAGE} ({copy_columns}) FROM STDIN WITH (FORMAT csv)", io.BytesIO(body))
            rows = cursor.cursor.rowcount
            if rows != _lines_in(body):  # a quoted field across lines, or the end-of-data marker
                raise Unstageable
            cursor.execute(f"ANALYZE {STAGE}")
            return rows
    except (DatabaseError, psycopg2.Error) as exc:
        raise Unstageable from exc


def _check(cursor, sql, dataset, uploader):
    """Fill the errors table: (line, field, value, message, refusal)."""
    selects = []
    row_checks = [(c.name, sql.raw(c.name), sql.column_message(c)) for c in dataset.columns]
    row_checks += [(f, sql.raw(f), message) for f, message in _cross_field_checks(sql, dataset)]
    # `ord` orders the errors of one line and field as the pandas path adds them: columns, cross-field checks,
    # the uploader's rights, duplicate keys.
    values = ", ".join(f"({sql.p(f)}, {raw}, {message}, {n})" for n, (f, raw, message) in enumerate(row_checks))
    selects.append(f"SELECT s.line, e.field, e.value, e.message, false AS refusal, e.ord FROM {STAGE} s {sql.joins()} "
                   f"CROSS JOIN LATERAL (VALUES {values}) AS e(field, value, message, ord) "
                   f"WHERE e.message IS NOT NULL")
    if not uploader.system and uploader.office_id is not None:  # uploader.RowRights: another office's customer
        selects.append(
            f"SELECT s.line, 'office_code', o.code, {sql.p(str(_('outside your office')))}, true, 1000 FROM {STAGE} s "
            f"{sql.joins()} JOIN customers_office o ON o.id = r_customer_code.office_id "
            f"WHERE o.id <> {sql.p(uploader.office_id)}"
        )
    keys = [sql.raw(k) for k in dataset.keys]
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} s GROUP BY {', '.join(keys)} HAVING count(*) > 1)")
    if cursor.fetchone()[0]:  # rare: only then the window over the whole file
        shown = " || ', ' || ".join(keys)
        message = sql.p(str(_("duplicate key, first seen on line %(n)d")))
        selects.append(
            f"SELECT line, {sql.p('+'.join(dataset.keys))}, value, replace({message}, '%(n)d', first::text), "
            f"false, 2000 FROM (SELECT s.line, {shown} AS value, min(s.line) OVER (PARTITION BY {', '.join(keys)}) AS first "
            f"FROM {STAGE} s) d WHERE line <> first"
        )
    cursor.execute(f"DROP TABLE IF EXISTS {ERRORS}")
    cursor.execute(f"CREATE TEMP TABLE {ERRORS} AS {' UNION ALL '.join(selects)}")


def _write(cursor, sql, dataset, skip_bad):
    """Insert new rows and update changed ones straight from the staging table -> (inserted, updated)."""
    model = dataset.model
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    values = {}
    for column in dataset.columns:
        name, kind = column.name, column.kind
        if kind == "ref":
            values["customer_id"] = sql.ref_id(name)
        elif kind == "date":
            values[name] = sql.date(name)
        elif kind == "int":
            values[name] = f"{sql.number(name)}::integer"
        elif kind == "decimal":
            values[name] = f"round({sql.number(name)}, 4)"
        else:
            values[name] = sql.raw(name)
    keys, compare = list(dataset.db_keys), [c for c in values if c not in dataset.db_keys]
    where = f"WHERE NOT EXISTS (SELECT 1 FROM {ERRORS} e WHERE e.line = s.line)" if skip_bad else ""
    select = ", ".join(f"{expr} AS {q(name)}" for name, expr in values.items())
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # no other writer between check and write
    cursor.execute(f"DROP TABLE IF EXISTS _import_rows")
    cols = ", ".join(q(c) for c in values)
    # Shaped like the target, so values are rounded to its columns before they are compared.
    cursor.execute(f"CREATE TEMP TABLE _import_rows AS SELECT {cols} FROM {table} WITH NO DATA")
    cursor.execute(f"INSERT INTO _import_rows ({cols}) SELECT {select} FROM {STAGE} s {sql.joins()} {where}")
    cursor.execute("ANALYZE _import_rows")
    day = next(k for k in keys if k != "customer_id")
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE t.{q(day)} IN (SELECT DISTINCT {q(day)} FROM _import_rows))")
    if not cursor.fetchone()[0]:  # a new day: every row is new
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _import_rows")
        return cursor.rowcount, 0
    match = " AND ".join(f"t.{q(k)} = n.{q(k)}" for k in keys)
    cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join(f'n.{q(c)}' for c in values)} FROM _import_rows n "
                   f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})")
    inserted = cursor.rowcount
    if not compare:
        return inserted, 0
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM n.{q(c)}" for c in compare)
    cursor.execute(f"UPDATE {table} t SET {', '.join(f'{q(c)} = n.{q(c)}' for c in compare)} FROM _import_rows n "
                   f"WHERE {match} AND ({changed})")
    return inserted, cursor.rowcount


def import_staged(dataset_name, raw, *, uploader, skip_invalid, max_errors, result):
    """Check and (if valid, or with skip_invalid) write the file through a staging table; fills `result`.

    Raises Unstageable, having changed nothing, when the file is for the pandas path."""
    dataset = DATASETS[dataset_name]
    header, body = _header(raw)
    if any(header.count(name) != 1 for name in dataset.column_names):
        raise Unstageable  # a missing or repeated column: reported on line 1 by the pandas path
    with connection.cursor() as cursor:
        for typed in (True, False):
            sql = _Sql(dataset, header, typed)
            try:
                rows = _stage(cursor, header, body, dataset, typed)
            except Unstageable:
                if typed:
                    continue  # a number PostgreSQL will not read: stage as text
                raise
            _check(cursor, sql, dataset, uploader)
            cursor.execute(f"SELECT count(*), count(DISTINCT line), bool_or(refusal) FROM {ERRORS}")
            count, bad_lines, refused = cursor.fetchone()
            if count and typed:
                continue  # an invalid file: checked again as text, so each value shown is the file's own
            break
        result.rows = rows
        result.error_count = count
        result.refused = bool(refused)
        limit = "" if max_errors is None else f"LIMIT {int(max_errors)}"
        cursor.execute(f'SELECT line, field, value, message FROM {ERRORS} ORDER BY line, field COLLATE "C", ord {limit}')
        result.errors = [error(*row) for row in cursor.fetchall()]
        if count and (not skip_invalid or result.refused):
            result.rejected = count
        else:
            result.rejected = bad_lines
            if skip_invalid and count:
                cursor.execute(f"SELECT DISTINCT line FROM {ERRORS} ORDER BY line")
                import numpy as np

                result.bad_lines = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
            result.inserted, result.updated = _write(cursor, sql, dataset, skip_bad=bool(count))
            result.written = True
        for table in (STAGE, ERRORS, "_import_rows"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return result
