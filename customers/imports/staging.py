"""The PostgreSQL path of the per-customer datasets (snapshots, activity, IPO quotas, applications, events):
COPY the file into a temporary staging table, check it there with set-based SQL and write from there.

Two tries. First the numbers are COPYed typed (numeric(20, 4): the value the pandas path checks), so
PostgreSQL parses them in COPY itself, and one pass decides a good file: a new day (no row of the file's days
in the table) is a single INSERT … SELECT of the rows that pass ok(), which must be every row (a repeated key
fails the unique key); a day already in the table is compared with it first (rows that fail, new, changed,
repeated keys), then only new rows are inserted and changed rows updated. Any doubt (a number PostgreSQL will
not read, a row that fails, a repeated key) rolls that try back and stages the file again as text, with a line
number from the staging row order (the header is line 1). There every check of the pandas path
(columns.check_column, the datasets' cross-field checks, duplicate keys by a window, the uploader's office) is
an SQL expression with the same message, numbers are parsed behind a pattern (a safe cast), the errors land in
a temporary table and the first ones are read in (line, field) order with the total; with skip_invalid the
good rows are written. test_import_staging runs shared bad files through both paths.

A file whose rows are not its lines one for one (a quoted line break, a blank line, a wrong field count), that
is not UTF-8, or whose header lacks or repeats a column, raises Unstageable before anything is written: the
pandas path reads it and reports it. The client holds the file's bytes (COPY reads them through a view) and the
kept errors: memory does not grow with the file's rows.
"""
import re
from datetime import date

import numpy as np
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from .columns import MAX_INT, MAX_MONEY
from .datasets import DATASETS
from .errors import error
from .uploader import CUSTOMER_KEYED

STAGE, ERRORS, ROWS = "_import_stage", "_import_errors", "_import_rows"
# pandas.to_numeric's numbers (surrounding blanks allowed); "inf" and "nan" are not numbers there either.
NUMBER = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
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
    # The body is a view of the file's bytes, not a copy: a 100 MB file stays 100 MB in memory.
    first, body = (raw, memoryview(b"")) if end < 0 else (raw[:end], memoryview(raw)[end + 1:])
    try:
        text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise Unstageable from exc
    if not text or '"' in text:
        raise Unstageable
    return [h.strip() for h in text.split(",")], body


def _lines_in(body):
    """The lines of the body (a memoryview), a last line without its end of line included."""
    raw, start = body.obj, len(body.obj) - len(body)
    return raw.count(b"\n", start) + (1 if len(body) and body[-1] != ord("\n") else 0)


class _Chunks:
    """A file-like read of a memoryview for COPY, a chunk at a time (no copy of the whole)."""

    def __init__(self, view):
        self.view, self.at = view, 0

    def read(self, size=1 << 20):
        size = 1 << 20 if size is None or size < 0 else size
        part = self.view[self.at:self.at + size]
        self.at += len(part)
        return part.tobytes()



class _Sql:
    """SQL of one dataset over the staging table. Each value is computed once per row in a source relation
    (`source()`): the stripped text `v_<column>`, the parsed number `n_<column>`, whether a date is valid
    `ok_<column>`; the checks and the write read those."""

    def __init__(self, dataset, header, typed):
        self.dataset, self.typed = dataset, typed
        self.position = {name: header.index(name) for name in dataset.column_names}
        self.kinds = {c.name: c.kind for c in dataset.columns}
        self.known_dates = {}  # typed: {date column: its texts}, when every one is a valid, plausible date

    @staticmethod
    def p(value):
        """A value as an SQL literal, quoted by the driver (the statements take no parameters, so that the
        patterns and messages need no escaping of %)."""
        from psycopg2.extensions import adapt  # PostgreSQL only: the driver is not needed on SQLite

        adapted = adapt(value)
        if hasattr(adapted, "prepare"):
            adapted.prepare(connection.connection)
        return adapted.getquoted().decode()

    def numeric(self, name):
        return self.kinds[name] in ("decimal", "int")

    def source(self):
        """FROM … AS s: the staged rows with their values stripped, parsed and checked once, joined to the
        customers they name (r_<column>). OFFSET 0 keeps each level from being folded into the next (which
        would repeat its expressions)."""
        strip, parsed, dates = [], [], []
        for name, i in self.position.items():
            c = f"s.c{i}"
            if self.numeric(name):
                if self.typed:  # no text needed: a file with an error is staged again as text
                    strip.append(f"{c} AS c_{name}")
                    continue  # the typed checks (ok()) and values read c_ itself
                strip.append(f"{c} AS c_{name}, coalesce({c}, '') AS v_{name}")
                parsed.append(f"{self._number(f'b.c_{name}')} AS n_{name}")
                if self.dataset.name == "snapshots":
                    parsed.append(f"{self._as_float(f'b.c_{name}')} AS f_{name}")
            else:
                strip.append(f"btrim(coalesce({c}, ''), {self.p(BLANKS)}) AS v_{name}")
                if self.kinds[name] == "date":
                    if name in self.known_dates:  # the file's few days, checked once: no pattern per row
                        parsed.append(f"b.v_{name} = ANY({self.p(self.known_dates[name])}::text[]) AS ok_{name}")
                    else:
                        parsed.append(f"{self._valid_date(f'b.v_{name}')} AS ok_{name}")
                    # The date to write: NULL unless valid and plausible (pandas reads year 0, PostgreSQL not).
                    dates.append(f"CASE WHEN d.ok_{name} AND substr(d.v_{name}, 1, 4) COLLATE \"C\" "
                                 f"BETWEEN '1900' AND '2100' THEN d.v_{name}::date END AS d_{name}")
        level1 = f"SELECT {'' if self.typed else 's.line, '}{', '.join(strip)} FROM {STAGE} s OFFSET 0"
        level2 = f"SELECT b.*{''.join(', ' + p for p in parsed)} FROM ({level1}) b OFFSET 0"
        level2 = f"SELECT d.*{''.join(', ' + p for p in dates)} FROM ({level2}) d OFFSET 0"
        joins = []
        for column in self.dataset.columns:
            if column.kind == "ref":
                if column.ref != "customer":  # pragma: no cover - per-customer datasets only
                    raise ValueError(column.ref)
                joins.append(f"LEFT JOIN customers_customer r_{column.name} "
                             f"ON r_{column.name}.customer_code = s.v_{column.name}")
        return f"({level2}) s {' '.join(joins)}"

    def raw(self, name):
        """The value as the pandas path shows it: numbers as in the file, everything else stripped."""
        return f"s.v_{name}"

    def present(self, name):
        return f"(s.c_{name} IS NOT NULL)" if self.typed and self.numeric(name) else f"(s.v_{name} <> '')"

    def number(self, name):
        return f"s.c_{name}" if self.typed else f"s.n_{name}"

    def as_float(self, name):
        return f"s.f_{name}"

    def date(self, name):
        return f"s.d_{name}"

    def ref_id(self, name):
        return f"r_{name}.id"

    def _number(self, c):
        """The parsed number (NULL when empty or not a number)."""
        if self.typed:
            return f"(CASE WHEN {c} = 'NaN' OR {c} >= {INFINITE} OR {c} <= -{INFINITE} THEN NULL ELSE {c} END)"
        # Nested CASEs: only a CASE guarantees the pattern is tested before the cast.
        return (f"(CASE WHEN {c} ~ {self.p(NUMBER)} THEN CASE WHEN abs({c}::numeric) < {INFINITE} "
                f"THEN {c}::numeric END END)")

    def _as_float(self, c):
        """The value as pandas holds it for the cross-field checks: a number, ±Infinity for "inf" or a number
        beyond a float64 (flagged "not a number", yet compared), NULL otherwise (NaN: compares false)."""
        if self.typed:
            return f"(CASE WHEN {c} = 'NaN' THEN NULL ELSE {c} END)"
        infinite = f"(CASE WHEN {c} ~ '^\\s*-' THEN '-Infinity' ELSE 'Infinity' END)::numeric"
        return (f"(CASE WHEN {c} ~ {self.p(NUMBER)} THEN CASE WHEN abs({c}::numeric) < {INFINITE} "
                f"THEN {c}::numeric ELSE {infinite} END WHEN {c} ~* {self.p(INFINITY)} THEN {infinite} END)")

    def _valid_date(self, v):
        """Whether the stripped text is a calendar date in the form YYYY-MM-DD (pandas reads years 0 to 9999);
        the pattern settles all but the 29th to the 31st."""
        y, m, d = (f"substr({v}, {start}, {length})::int" for start, length in ((1, 4), (6, 2), (9, 2)))
        leap = f"(mod({y}, 4) = 0 AND (mod({y}, 100) <> 0 OR mod({y}, 400) = 0))"
        last = (f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
                f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
        return (f"(CASE WHEN {v} ~ {self.p(DATE)} THEN substr({v}, 9, 2) <= '28' COLLATE \"C\" OR {d} <= {last} "
                f"ELSE false END)")

    def ok(self, uploader):
        """Typed staging: whether a row passes every check, as one cheap condition over the typed values. It
        may refuse a row the full check would pass (e.g. -0.00001, which rounds to 0): the file is then
        checked as text, which decides and words each error; it never passes a row the full check refuses."""
        conditions = []
        for column in self.dataset.columns:
            name, kind = column.name, column.kind
            if kind in ("decimal", "int"):
                c = f"s.c_{name}"
                top = MAX_INT if kind == "int" else repr(column.extra.get("max", MAX_MONEY))
                low = f"{c} >= 0" if not column.signed else f"{c} > -{top}"  # NaN sorts above every number
                test = f"{low} AND {c} {'<=' if kind == 'int' else '<'} {top}"
                if kind == "int":
                    test += f" AND {c} = trunc({c})"
            elif kind == "date":
                test = (f"s.ok_{name} AND substr(s.v_{name}, 1, 4) COLLATE \"C\" BETWEEN '1900' AND '2100'")
            elif kind == "ref":
                test = f"{self.ref_id(name)} IS NOT NULL"
            elif kind == "enum":
                test = f"s.v_{name} = ANY({self.p(list(column.choices))}::text[])"
            elif kind == "text":
                test = f"char_length(s.v_{name}) <= {column.max_length}"
            else:  # pragma: no cover
                raise ValueError(kind)
            if not column.required:
                test = f"{'s.c_' + name + ' IS NULL' if self.numeric(name) else 's.v_' + name + ' = ' + chr(39) * 2} OR ({test})"
            conditions.append(f"({test})")
        if self.dataset.name == "snapshots":
            from .datasets import PRODUCT_COLS

            parts = " + ".join(f"s.c_{c}" for c in ("securities_value", "cash", *PRODUCT_COLS))
            conditions.append(f"abs(s.c_total_assets - ({parts})) <= 1.0")
        if _office_limited(uploader):
            conditions.append(f"r_customer_code.office_id = {self.p(uploader.office_id)}")
        return "coalesce(" + " AND ".join(conditions) + ", false)"

    def column_message(self, column):
        """A CASE giving the column's error message (or NULL); the last applicable check wins, as in
        columns.check_column."""
        name, kind = column.name, column.kind
        present, raw = self.present(name), self.raw(name)
        cases = []  # (condition, message): first match wins, so the pandas path's later checks come first
        if kind == "text":
            cases.append((f"{present} AND char_length({raw}) > {column.max_length}",
                          _("is longer than %(n)d characters") % {"n": column.max_length}))
        elif kind == "enum":
            cases.append((f"{present} AND NOT ({raw} = ANY({self.p(list(column.choices))}::text[]))",
                          _("must be one of: %(choices)s") % {"choices": ", ".join(column.choices)}))
        elif kind == "date":
            year = f"substr({raw}, 1, 4) COLLATE \"C\""
            cases.append((f"(CASE WHEN s.ok_{name} THEN NOT ({year} BETWEEN '1900' AND '2100') ELSE false END)",
                          _("is not a plausible date")))
            cases.append((f"{present} AND NOT s.ok_{name}", _("is not a date in the form YYYY-MM-DD")))
        elif kind in ("decimal", "int"):
            n = self.number(name)
            if not column.signed:
                rounded = n if kind == "int" else f"{n} < 0 AND round({n}, 4)"
                cases.append((f"{rounded} < 0", _("must not be negative")))
            if kind == "int":
                cases.append((f"NOT {n} BETWEEN -{MAX_INT} AND {MAX_INT}", _("is too large")))
                cases.append((f"mod({n}, 1) <> 0", _("is not a whole number")))
            else:
                top = repr(column.extra.get("max", MAX_MONEY))
                cases.append((f"({n} >= {top} OR {n} <= -{top})", _("is too large")))
            cases.append((f"{present} AND {n} IS NULL", _("is not a number")))
        elif kind == "ref":
            cases.append((f"{present} AND {self.ref_id(name)} IS NULL", _("unknown %(what)s") % {"what": _(column.ref)}))
        else:  # pragma: no cover - permissions and the like stay on the pandas path
            raise ValueError(f"the staging path does not check {kind} columns")
        if column.required:
            cases.append((f"NOT {present}", _("is required")))
        whens = " ".join(f"WHEN {cond} THEN {self.p(str(message))}" for cond, message in cases)
        return f"CASE {whens} END"


def _cross_field_checks(sql, dataset):
    """(field, message CASE) of the datasets' own checks (datasets.py), over the values as pandas holds them."""
    if dataset.name != "snapshots":
        return []
    from .datasets import PRODUCT_COLS

    parts = [sql.as_float(c) for c in ("securities_value", "cash", *PRODUCT_COLS)]
    off = f"({sql.as_float('total_assets')} - ({' + '.join(parts)}))"
    condition = f"{off} <> 'NaN' AND abs({off}) > 1.0"  # NULL or NaN (no error) when a part is not a number
    return [("total_assets", f"CASE WHEN {condition} THEN {sql.p(_('does not equal securities + products + cash'))} END")]


def _create_stage(cursor, header, dataset, typed):
    # Typed, numbers are read as the pandas path holds them: rounded to four places (columns.check_column). A
    # number of 10^16 or more, or an infinity, does not fit: the file is then staged as text.
    numeric = {c.name for c in dataset.columns if c.kind in ("decimal", "int")} if typed else set()
    columns = ", ".join(f"c{i} {'numeric(20, 4)' if name in numeric else 'text'}" for i, name in enumerate(header))
    # Line numbers only as text: a typed try that finds an error stages the file again, as text.
    line = "" if typed else "line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 10000), "
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(f"CREATE TEMP TABLE {STAGE} ({line}{columns})")


def _stage(cursor, header, body, dataset, typed):
    """COPY the body into the staging table -> rows, or Unstageable (the savepoint is rolled back)."""
    import psycopg2  # the raw cursor's COPY raises the driver's errors, not Django's

    try:
        with transaction.atomic():
            _create_stage(cursor, header, dataset, typed)
            copy_columns = ", ".join(f"c{i}" for i in range(len(header)))
            cursor.cursor.copy_expert(f"COPY {STAGE} ({copy_columns}) FROM STDIN WITH (FORMAT csv)", _Chunks(body))
            rows = cursor.cursor.rowcount
            if rows != _lines_in(body):  # a quoted field across lines, or the end-of-data marker
                raise Unstageable
            return rows
    except (DatabaseError, psycopg2.Error) as exc:
        raise Unstageable from exc


def _stripped(sql, name):
    return f"btrim(coalesce(s.c{sql.position[name]}, ''), {sql.p(BLANKS)})"


def _db_values(sql, dataset):
    """{target column: SQL of its value}, cast to the column's type, NULL where the value is bad (so a bad row
    is staged without a cast error; it is never written)."""
    fields = {f.column: f for f in dataset.model._meta.concrete_fields}
    values = {}
    for column in dataset.columns:
        name, kind = column.name, column.kind
        if kind == "ref":
            values["customer_id"] = sql.ref_id(name)
            continue
        db_type = fields[name].db_type(connection)
        if sql.typed and kind in ("int", "decimal"):
            values[name] = f"s.c_{name}"  # every row passed ok(): the target's column casts it on insert
        elif kind == "date":
            values[name] = sql.date(name)
        elif kind == "int":
            n = sql.number(name)
            values[name] = f"(CASE WHEN {n} BETWEEN -{MAX_INT} AND {MAX_INT} THEN {n}::{db_type} END)"
        elif kind == "decimal":
            n, top = sql.number(name), repr(column.extra.get("max", MAX_MONEY))
            values[name] = f"(CASE WHEN {n} < {top} AND {n} > -{top} THEN {n}::{db_type} END)"
        else:
            values[name] = f"{sql.raw(name)}::{db_type}"
    return values


def _stage_rows(cursor, sql, dataset, uploader):
    """One pass over the staged file: ROWS holds each line's values as they would be written, its error
    messages (an array by check) and, on lines with an error, the values to show."""
    checks = [(c.name, sql.column_message(c)) for c in dataset.columns] + _cross_field_checks(sql, dataset)
    values = _db_values(sql, dataset)
    q = connection.ops.quote_name
    office = ", r_customer_code.office_id AS _office_id" if _office_limited(uploader) else ""
    checked = (f"SELECT s.*, {', '.join(f'{expr} AS {q(name)}' for name, expr in values.items())}{office}, "
               f"ARRAY[{', '.join(message for _f, message in checks)}]::text[] AS _messages FROM {sql.source()} "
               f"OFFSET 0")
    shown = ", ".join(sql.raw(f) for f, _m in checks)
    cursor.execute(f"DROP TABLE IF EXISTS {ROWS}")
    cursor.execute(
        f"CREATE TEMP TABLE {ROWS} AS SELECT s.line, {', '.join(q(n) for n in values)}"
        f"{', s._office_id' if office else ''}, CASE WHEN num_nonnulls(VARIADIC s._messages) > 0 THEN s._messages "
        f"END AS _messages, CASE WHEN num_nonnulls(VARIADIC s._messages) > 0 THEN ARRAY[{shown}]::text[] END AS _shown "
        f"FROM ({checked}) s"
    )
    return [f for f, _m in checks], list(values)


def _typed_import(cursor, sql, dataset, uploader, rows):
    """Typed staging: check and write a good file in as few passes as it allows -> (inserted, updated), or
    None, having written nothing, when a row fails ok() or a key repeats (the file is then checked as text).

    A new day (no row of the file's days in the table) is one INSERT … SELECT of the rows that pass, which
    must be all of them (a repeated key fails the table's unique key). Otherwise one pass compares the file
    with the table (rows that fail, new, changed, repeats among matched rows) before any write."""
    q = connection.ops.quote_name
    table = q(dataset.model._meta.db_table)
    keys = list(dataset.db_keys)
    day = next(k for k in keys if k != "customer_id")
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # no other writer between check and write
    cursor.execute(f"SELECT DISTINCT {_stripped(sql, day)} FROM {STAGE} s")
    texts = [text for (text,) in cursor.fetchall()]
    days = [_plausible_date(text) for text in texts]
    if None in days:
        return None  # a row's day is not a plausible date
    sql.known_dates[day] = texts
    sql_days = _literal(days, "date[]")
    values = _db_values(sql, dataset)
    cols = ", ".join(q(c) for c in values)
    ok = sql.ok(uploader)
    select = f"SELECT {', '.join(values.values())} FROM {sql.source()}"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {q(day)} = ANY({sql_days}))")
    try:
        with transaction.atomic():
            if not cursor.fetchone()[0]:  # a new day
                cursor.execute(f"INSERT INTO {table} ({cols}) {select} WHERE {ok}")
                if cursor.rowcount != rows:
                    raise _Invalid
                return rows, 0
            types = {f.column: f.db_type(connection) for f in dataset.model._meta.concrete_fields}
            match = " AND ".join(f"t.{q(k)} = {values[k]}" for k in keys) + f" AND t.{q(day)} = ANY({sql_days})"
            compare = [c for c in values if c not in keys]
            # Equal values are the same whatever their scale (1000.00 = 1000.0000): the cast to the column's
            # type (its rounding) is paid only by a value that differs.
            changed = " OR ".join(f"(t.{q(c)} IS DISTINCT FROM {values[c]} AND t.{q(c)} IS DISTINCT FROM "
                                  f"({values[c]})::{types[c]})" for c in compare) or "false"
            cursor.execute(f"SELECT count(*) FILTER (WHERE NOT ({ok})), count(*) FILTER (WHERE t.id IS NULL), "
                           f"count(*) FILTER (WHERE t.id IS NOT NULL AND ({changed})), "
                           f"count(t.id) - count(DISTINCT t.id) FROM {sql.source()} LEFT JOIN {table} t ON {match}")
            failed, new, different, repeats = cursor.fetchone()
            if failed or repeats:
                raise _Invalid
            inserted = updated = 0
            if new:
                cursor.execute(f"INSERT INTO {table} ({cols}) {select} "
                               f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})")
                inserted = cursor.rowcount
            if different:
                named = ", ".join(f"{expr} AS {q(name)}" for name, expr in values.items())
                sets = ", ".join(f"{q(c)} = n.{q(c)}" for c in compare)
                same_key = " AND ".join(f"t.{q(k)} = n.{q(k)}" for k in keys)
                changed_n = " OR ".join(f"t.{q(c)} IS DISTINCT FROM n.{q(c)}::{types[c]}" for c in compare)
                cursor.execute(f"UPDATE {table} t SET {sets} FROM (SELECT {named} FROM {sql.source()}) n "
                               f"WHERE {same_key} AND t.{q(day)} = ANY({sql_days}) AND ({changed_n})")
                updated = cursor.rowcount
            return inserted, updated
    except (_Invalid, IntegrityError):
        return None


def _plausible_date(text):
    """The date of a YYYY-MM-DD text from 1900 to 2100 (the checks' valid and plausible dates), else None."""
    if not re.fullmatch(DATE.strip("^$"), text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2100 else None


class _Invalid(Exception):
    """The typed try found a row that fails: its savepoint is rolled back."""


def _literal(value, cast):
    return f"{_Sql.p(value)}::{cast}"


def _office_limited(uploader):
    return not uploader.system and uploader.office_id is not None


def _check(cursor, sql, dataset, uploader):
    """Fill the errors table (line, field, value, message, refusal, ord) -> the target columns of ROWS."""
    keys = [_stripped(sql, k) for k in dataset.keys]
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} s GROUP BY {', '.join(keys)} HAVING count(*) > 1)")
    repeats = cursor.fetchone()[0]
    fields, columns = _stage_rows(cursor, sql, dataset, uploader)
    # `ord` orders the errors of one line and field as the pandas path adds them: columns, cross-field checks,
    # the uploader's rights, duplicate keys.
    selects = [
        f"SELECT r.line, e.field, e.value, e.message, false AS refusal, e.ord FROM {ROWS} r "
        f"CROSS JOIN LATERAL unnest({sql.p(fields)}::text[], r._shown, r._messages, "
        f"{sql.p(list(range(len(fields))))}::int[]) AS e(field, value, message, ord) "
        f"WHERE r._messages IS NOT NULL AND e.message IS NOT NULL"
    ]
    if _office_limited(uploader):  # uploader.RowRights: a customer of another office
        selects.append(
            f"SELECT r.line, 'office_code', o.code, {sql.p(str(_('outside your office')))}, true, 1000 "
            f"FROM {ROWS} r JOIN customers_office o ON o.id = r._office_id WHERE o.id <> {sql.p(uploader.office_id)}"
        )
    if repeats:  # rare: only then the window over the whole file
        shown = " || ', ' || ".join(keys)
        message = sql.p(str(_("duplicate key, first seen on line %(n)d")))
        selects.append(
            f"SELECT line, {sql.p('+'.join(dataset.keys))}, value, replace({message}, '%(n)d', first::text), "
            f"false, 2000 FROM (SELECT s.line, {shown} AS value, "
            f"min(s.line) OVER (PARTITION BY {', '.join(keys)}) AS first FROM {STAGE} s) d WHERE line <> first"
        )
    cursor.execute(f"DROP TABLE IF EXISTS {ERRORS}")
    cursor.execute(f"CREATE TEMP TABLE {ERRORS} AS {' UNION ALL '.join(selects)}")
    return columns


def _write(cursor, dataset, columns, skip_bad):
    """Insert new rows and update changed ones from ROWS -> (inserted, updated); unchanged rows are not
    touched."""
    table = connection.ops.quote_name(dataset.model._meta.db_table)
    q = connection.ops.quote_name
    keys = list(dataset.db_keys)
    compare = [c for c in columns if c not in keys]
    cols = ", ".join(q(c) for c in columns)
    good = f"NOT EXISTS (SELECT 1 FROM {ERRORS} e WHERE e.line = n.line)" if skip_bad else "true"
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # no other writer between check and write
    day = next(k for k in keys if k != "customer_id")
    cursor.execute(f"SELECT DISTINCT {q(day)} FROM {ROWS} WHERE {q(day)} IS NOT NULL")
    sql_days = _literal([d for (d,) in cursor.fetchall()], "date[]")  # a file holds a day or a few
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {q(day)} = ANY({sql_days}))")
    if not cursor.fetchone()[0]:  # a new day: every row is new
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {ROWS} n WHERE {good}")
        return cursor.rowcount, 0
    match = " AND ".join(f"t.{q(k)} = n.{q(k)}" for k in keys) + f" AND t.{q(day)} = ANY({sql_days})"
    types = {f.column: f.db_type(connection) for f in dataset.model._meta.concrete_fields}
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM n.{q(c)}::{types[c]}" for c in compare) or "false"
    cursor.execute(f"SELECT count(*) FILTER (WHERE t.id IS NULL), count(*) FILTER (WHERE t.id IS NOT NULL AND ({changed})) "
                   f"FROM {ROWS} n LEFT JOIN {table} t ON {match} WHERE {good}")
    new, different = cursor.fetchone()
    inserted = updated = 0
    if new:
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join(f'n.{q(c)}' for c in columns)} FROM {ROWS} n "
                       f"WHERE {good} AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})")
        inserted = cursor.rowcount
    if different:
        cursor.execute(f"UPDATE {table} t SET {', '.join(f'{q(c)} = n.{q(c)}::{types[c]}' for c in compare)} FROM {ROWS} n "
                       f"WHERE {match} AND {good} AND ({changed})")
        updated = cursor.rowcount
    return inserted, updated


def import_staged(dataset_name, raw, *, uploader, skip_invalid, max_errors, result):
    """Check and (if valid, or with skip_invalid) write the file through a staging table; fills `result`.

    Raises Unstageable, having changed nothing, when the file is for the pandas path."""
    dataset = DATASETS[dataset_name]
    header, body = _header(raw)
    if any(header.count(name) != 1 for name in dataset.column_names):
        raise Unstageable  # a missing or repeated column: reported on line 1 by the pandas path
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # the file's hashes and sorts stay in memory
        for typed in (True, False):
            sql = _Sql(dataset, header, typed)
            try:
                rows = _stage(cursor, header, body, dataset, typed)
            except Unstageable:
                if typed:
                    continue  # a number PostgreSQL will not read: stage as text
                raise
            if typed:
                written = _typed_import(cursor, sql, dataset, uploader, rows)
                if written is None:
                    continue  # an invalid file: checked again as text, which words each error
                result.rows, result.written = rows, True
                result.inserted, result.updated = written
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
                return result
            columns = _check(cursor, sql, dataset, uploader)
            distinct = "count(DISTINCT line)" if skip_invalid else "0"  # the lines to skip: only when skipping
            cursor.execute(f"SELECT count(*), {distinct}, bool_or(refusal) FROM {ERRORS}")
            count, bad_lines, refused = cursor.fetchone()
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
            if count:
                cursor.execute(f"SELECT DISTINCT line FROM {ERRORS} ORDER BY line")
                result.bad_lines = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
            result.inserted, result.updated = _write(cursor, dataset, columns, skip_bad=bool(count))
            result.written = True
        for table in (STAGE, ERRORS, ROWS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return result
