"""The tier report's pre-aggregated cells, written when a run is published (and for older run dates by
the migration that created them): a few thousand rows per date instead of every customer.

The same SELECTs serve on demand for a pair of dates that has no migration cells."""
from django.db import connection

FIELDS = ("star", "lifecycle_stage", "stp_subtype", "quadrant")
CELL_COLUMNS = ("date", "office_id", "kind", "star", "legacy_star", "lifecycle_stage", "quadrant", "stp_subtype",
                "customers", "cev", "cohort", "cohort_funded")
MIGRATION_COLUMNS = ("date", "date_from", "office_id", "field", "source", "target", "customers")


def _plus_days(column, days):
    if connection.vendor == "postgresql":
        return f"({column} + {int(days)})"
    return f"date({column}, '{int(days):+d} day')"


def cells_select():
    """One run date's cells (parameter: the date). The funding cohort: accounts opened 180–365 days before
    the date; funded in time: first funding within 180 days of opening and past the budding stage."""
    cohort = (f"c.opened_on <= {_plus_days('t.date', -180)} AND c.opened_on > {_plus_days('t.date', -365)}")
    funded = (f"{cohort} AND c.first_funded_on IS NOT NULL AND c.first_funded_on <= "
              f"{_plus_days('c.opened_on', 180)} AND t.lifecycle_stage NOT IN ('budding', 'potential')")
    return (
        "SELECT t.date, c.office_id, c.kind, t.star, t.legacy_star, t.lifecycle_stage, t.quadrant, t.stp_subtype, "
        f"COUNT(*) AS customers, COALESCE(SUM(t.cev), 0) AS cev, COUNT(*) FILTER (WHERE {cohort}) AS cohort, "
        f"COUNT(*) FILTER (WHERE {funded}) AS cohort_funded "
        "FROM customers_tiersnapshot t JOIN customers_customer c ON c.id = t.customer_id WHERE t.date = %s "
        "GROUP BY t.date, c.office_id, c.kind, t.star, t.legacy_star, t.lifecycle_stage, t.quadrant, t.stp_subtype"
    )


def migration_select(fields=FIELDS):
    """Moves between two run dates per office and field (parameters: date, date_from, then per field
    date_from and date again on SQLite). PostgreSQL joins the two dates once; SQLite once per field."""
    if connection.vendor == "postgresql":
        values = ", ".join(f"('{f}', a.{f}, b.{f})" for f in fields)
        return (
            "SELECT b.date, a.date AS date_from, c.office_id, m.field, m.source, m.target, COUNT(*) AS customers "
            "FROM customers_tiersnapshot b JOIN customers_tiersnapshot a ON a.customer_id = b.customer_id "
            "AND a.date = %s JOIN customers_customer c ON c.id = b.customer_id "
            f"CROSS JOIN LATERAL (VALUES {values}) AS m(field, source, target) "
            "WHERE b.date = %s GROUP BY b.date, a.date, c.office_id, m.field, m.source, m.target"
        ), "pg"
    parts = [
        f"SELECT b.date, a.date AS date_from, c.office_id, '{f}' AS field, a.{f} AS source, b.{f} AS target, "
        "COUNT(*) AS customers FROM customers_tiersnapshot b JOIN customers_tiersnapshot a "
        "ON a.customer_id = b.customer_id AND a.date = %s JOIN customers_customer c ON c.id = b.customer_id "
        f"WHERE b.date = %s GROUP BY b.date, a.date, c.office_id, a.{f}, b.{f}" for f in fields]
    return " UNION ALL ".join(parts), "each"


def migration_params(day_from, day, fields=FIELDS):
    _sql, mode = migration_select(fields)
    return [day_from, day] if mode == "pg" else [day_from, day] * len(fields)


def write_cells(day, day_from):
    """Replace the date's cells (report, and moves from the run before when there is one)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_tierreportcell WHERE date = %s", [day])
        cursor.execute("DELETE FROM customers_tiermigrationcell WHERE date = %s", [day])
        cursor.execute(f"INSERT INTO customers_tierreportcell ({', '.join(CELL_COLUMNS)}) {cells_select()}", [day])
        if day_from is not None:
            sql, _mode = migration_select()
            cursor.execute(f"INSERT INTO customers_tiermigrationcell ({', '.join(MIGRATION_COLUMNS)}) {sql}",
                           migration_params(day_from, day))
