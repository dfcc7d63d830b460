"""Reads whose SQL the ORM compiles once per connection, for pages made of many small reads.

Turning a queryset into SQL (Django's compiler) costs more than running it when the read is one index probe:
on the 360° customer page, compiling the alerts panel's read took 1.5 ms and running it 0.5 ms; building
model instances with their joined rows took as long again. A `CompiledRead` is written as an ordinary
`values()` queryset of integer arguments. It is compiled once per database connection with a marker in each
argument's place; every later call binds the arguments into the kept SQL, runs it, applies the same column
converters the ORM would (dates and decimals on SQLite, JSON) and returns the rows as `values()` does.
SQLAlchemy keeps a compiled cache for the same reason.

On PostgreSQL the kept SQL is also a prepared statement of the session (PREPARE, once per connection, sent
with the first EXECUTE), run with a generic plan (`plan_cache_mode`, crm/settings/base.py): the server stops
planning each probe again, which was most of its time for these reads. So prepare only reads whose best plan
does not depend on the values: one customer's rows by its id. Lists do not qualify. Tried on an advisor's
customer list, a generic plan made some filters ten times slower (open red alert, sorted by name: 36 → 418
ms), and branch-wide a rare star walked all 220,000 customers (0.7 s instead of 2 ms); lists stay plain
queries, planned for their values. Prepared statements live as long as the database session, so a pooler in
transaction mode (PgBouncer's default) must not sit between the app and PostgreSQL; the deployment connects
directly (deploy/README.md).

Only for reads whose shape never changes: the queryset must not depend on anything but its arguments (no
`now()`, no language, no settings read at call time), because it is built once. Arguments are 64-bit integer
lookups (ids): a marker does not fit a 32-bit column, and Django refuses it when compiling; or exact lookups
on a text column (a customer code), which take the marker as text.
"""
import inspect
import itertools
import re
import threading
from weakref import WeakKeyDictionary

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

# Far outside any id a table will hold; each argument gets its own.
_FIRST_MARKER = -(2**62) + 1
_statement_numbers = itertools.count(1)
_PLACEHOLDER = re.compile(r"%%|%s")


class CompiledRead:
    """`read = CompiledRead(lambda customer_id: Model.objects.filter(customer_id=customer_id).values(...))`;
    `read(customer_id=5)` returns a list of dicts; `read.instances(Model, customer_id=5)` returns unsaved-looking
    model instances loaded from those rows (fields not read stay deferred)."""

    def __init__(self, build):
        self._build = build
        self._args = tuple(inspect.signature(build).parameters)
        # Django's connections are per thread: so are the compiled reads (each compiler holds its connection,
        # and a thread's entries go with the thread)
        self._local = threading.local()

    def __call__(self, using=DEFAULT_DB_ALIAS, **args):
        compiled = self._for(connections[using])
        return [dict(zip(compiled.names, row, strict=True)) for row in compiled.run(args)]

    def instances(self, model, using=DEFAULT_DB_ALIAS, **args):
        """Rows as `model` instances: names that are the model's fields load as fields, any other name
        (a joined column, say `owner_name=F("owner__name")`) is set as a plain attribute."""
        compiled = self._for(connections[using])
        # from_db() takes the values in the model's field order
        read = set(compiled.names)
        fields = [f.attname for f in model._meta.concrete_fields if f.attname in read]
        attnames = set(fields)
        positions = [compiled.names.index(n) for n in fields]
        extras = [(i, n) for i, n in enumerate(compiled.names) if n not in attnames]
        objects = []
        for row in compiled.run(args):
            obj = model.from_db(using, fields, [row[i] for i in positions])
            for i, name in extras:
                setattr(obj, name, row[i])
            objects.append(obj)
        return objects

    def _for(self, connection):
        by_alias = self._local.__dict__.setdefault("by_alias", {})
        compiled = by_alias.get(connection.alias)
        if compiled is None or compiled.compiler.connection is not connection:
            compiled = by_alias[connection.alias] = _Compiled(self._build, self._args, connection)
        return compiled


def _names(query):
    """The keys of a values() row, in the order of the row's columns (as Django's ValuesIterable takes them)."""
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


class _Compiled:
    def __init__(self, build, arg_names, connection):
        markers = {name: _FIRST_MARKER + i for i, name in enumerate(arg_names)}
        queryset = build(**markers)
        query = queryset.query
        if not query.values_select and not query.annotation_select:
            raise ImproperlyConfigured("CompiledRead needs a values() queryset")
        self.compiler = query.get_compiler(connection=connection)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        # a text column takes the marker as its text (Django converts the lookup's value), an id as the number
        by_marker = {m: name for name, marker in markers.items() for m in (marker, str(marker))}
        self.slots = [(i, by_marker[p]) for i, p in enumerate(self.params)
                      if isinstance(p, int | str) and not isinstance(p, bool) and p in by_marker]
        missing = set(arg_names) - {name for _i, name in self.slots}
        if missing:
            raise ImproperlyConfigured(f"CompiledRead: the queryset does not use {sorted(missing)} as a parameter")
        columns = [column for column, _sql, _alias in self.compiler.select[:self.compiler.col_count]]
        self.converters = self.compiler.get_converters(columns)
        self.names = _names(query)

    def run(self, args):
        if args.keys() != {name for _i, name in self.slots}:
            raise TypeError(f"CompiledRead takes {sorted({n for _i, n in self.slots})}, got {sorted(args)}")
        params = list(self.params)
        for i, name in self.slots:
            params[i] = args[name]
        with self.compiler.connection.cursor() as cursor:
            execute(cursor, self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows


class _SessionStatements:
    """The prepared statements of each PostgreSQL session, by SQL text: `PREPARE name AS <sql with $1…>` the
    first time a session runs a text, sent with its first EXECUTE as one statement (so that it counts as one
    query), then `EXECUTE` alone. At most LIMIT per session: past it, the session's are all deallocated."""

    LIMIT = 200

    def __init__(self):
        self._sessions = WeakKeyDictionary()  # psycopg2 connection (one database session) -> {sql: EXECUTE text}

    def execute(self, cursor, sql, params):
        session = cursor.connection  # the DB-API connection behind Django's cursor wrapper
        statements = self._sessions.get(session)
        if statements is None:
            statements = self._sessions[session] = {}
        execute = statements.get(sql)
        if execute is not None:
            try:
                cursor.execute(execute, params)
            except Exception:
                # a statement that stopped working (dropped, or its result type changed by a migration) must not
                # fail every later page of the session: prepare afresh next time
                statements.clear()
                raise
            return
        if len(statements) >= self.LIMIT:
            cursor.execute("DEALLOCATE ALL")
            statements.clear()
        # A fresh name each time: PostgreSQL keeps a PREPARE even when the EXECUTE sent with it fails (or its
        # transaction rolls back), and the next attempt must not collide with it. Such a name still counts
        # towards the limit, so DEALLOCATE ALL clears it too.
        name = f"crm_{next(_statement_numbers)}"
        execute = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
        numbers = itertools.count(1)
        # psycopg2 still reads the whole text for its own placeholders: keep %% (a literal %) as it is
        body = _PLACEHOLDER.sub(lambda m: m.group(0) if m.group(0) == "%%" else f"${next(numbers)}", sql)
        statements[("attempt", name)] = None
        cursor.execute(f"PREPARE {name} AS {body}; {execute}", params)
        del statements[("attempt", name)]
        statements[sql] = execute


_statements = _SessionStatements()


def execute(cursor, sql, params):
    """cursor.execute(sql, params), as a prepared statement of the session on PostgreSQL."""
    if cursor.db.vendor == "postgresql":
        _statements.execute(cursor, sql, params)
    else:
        cursor.execute(sql, params)
