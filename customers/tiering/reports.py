"""Tier reports (reads) from the cells pre-aggregated at publish (report_cells), limited to the reader's
offices: a few thousand rows per date, never every customer."""
import pandas as pd
from django.db.models import Max

from crm.bulk import read_frame

from ..models import Office, TierSnapshot
from . import report_cells
from .rules import INSTITUTION_STARS, RETAIL_STARS, STAGES

STAR_ORDER = [*RETAIL_STARS, *INSTITUTION_STARS]
FUNNEL = ("potential", "budding", "growth", "mature")
# Who has reached a funnel stage, from today's stages: that stage or a later one. Decline happens only to
# effective customers, so it counts as having reached growth (not mature: it may strike in the growth
# window); churned customers are left out, their earlier stage is not known from one run.
REACHED_BY = {
    "potential": ("potential", "budding", "growth", "mature", "decline"),
    "budding": ("budding", "growth", "mature", "decline"),
    "growth": ("growth", "mature", "decline"),
    "mature": ("mature",),
}
TEXT = ("kind", "star", "legacy_star", "lifecycle_stage", "quadrant", "stp_subtype")


def run_dates(limit=60):
    """The run dates, newest first: a walk down the date index, one step per date (DISTINCT would read
    every snapshot row)."""
    from datetime import date

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE d(day) AS (SELECT MAX(date) FROM customers_tiersnapshot UNION ALL "
            "SELECT (SELECT MAX(date) FROM customers_tiersnapshot WHERE date < d.day) FROM d WHERE d.day IS NOT NULL) "
            "SELECT day FROM d WHERE day IS NOT NULL LIMIT %s", [limit])
        return [day if isinstance(day, date) else date.fromisoformat(day) for (day,) in cursor.fetchall()]


def latest_run_date():
    return TierSnapshot.objects.aggregate(d=Max("date"))["d"]


def _office_codes(frame):
    codes = dict(Office.objects.values_list("id", "code"))
    return frame.assign(office=frame["office_id"].map(codes).fillna("").astype(str))


def cells_frame(day, office_id=None):
    """The date's report cells: those stored at publish, or (a date published before cells existed) the same
    aggregate computed on demand. One query either way: the aggregate only runs when no cell is stored."""
    columns = ", ".join(report_cells.CELL_COLUMNS)
    sql = (f"SELECT * FROM (SELECT {columns} FROM customers_tierreportcell WHERE date = %s UNION ALL "
           f"SELECT {columns} FROM ({report_cells.cells_select()}) agg "
           "WHERE NOT EXISTS (SELECT 1 FROM customers_tierreportcell WHERE date = %s)) cells")
    params = [day, day, day]
    if office_id is not None:
        sql, params = sql + " WHERE office_id = %s", params + [office_id]
    frame = read_frame(sql, params, text=TEXT)
    for column in TEXT:
        frame[column] = frame[column].fillna("").astype(str)
    for column in ("customers", "cohort", "cohort_funded"):
        frame[column] = frame[column].astype(int)
    frame["cev"] = frame["cev"].astype(float)
    return _office_codes(frame)


def _ordered(index, order):
    return [o for o in order if o in index] + [v for v in index if v not in order]


def star_distribution(cells):
    """Per star: customers, share of customers, CEV, share of CEV (the 80/20 check), and per office counts."""
    ranked = cells[cells["star"] != ""]
    by_star = ranked.groupby("star").agg(customers=("customers", "sum"), cev=("cev", "sum"))
    by_star = by_star.reindex([s for s in STAR_ORDER if s in by_star.index])
    for kind, stars in (("retail", RETAIL_STARS), ("institutional", INSTITUTION_STARS)):
        rows = by_star.index.isin(stars)
        by_star.loc[rows, "customer_share"] = by_star.loc[rows, "customers"] / max(by_star.loc[rows, "customers"].sum(), 1)
        by_star.loc[rows, "cev_share"] = by_star.loc[rows, "cev"] / max(by_star.loc[rows, "cev"].sum(), 1e-9)
    offices = ranked.pivot_table(index="office", columns="star", values="customers", aggfunc="sum", fill_value=0)
    offices = offices.reindex(columns=[s for s in STAR_ORDER if s in offices.columns]).astype(int)
    offices.columns.name = "star"
    return by_star.fillna(0), offices


def pareto(by_star):
    """Share of customers and of CEV held by 4★ + 5★."""
    top = by_star.loc[by_star.index.isin(["4", "5"])]
    return float(top["customer_share"].sum()), float(top["cev_share"].sum())


def counts(cells, column, order=None):
    """Customers per value of `column` ("" shown as —), largest first or in `order`."""
    values = cells.assign(**{column: cells[column].replace("", "—")}).groupby(column)["customers"].sum()
    values = values.sort_values(ascending=False, kind="stable").rename("count")
    if order:
        values = values.reindex(_ordered(values.index, order))
    return values


def funnel(cells):
    """Customers per stage and the 180-day funding rate of accounts opened 180–365 days ago."""
    stages = counts(cells, "lifecycle_stage", list(STAGES))
    cohort, funded = int(cells["cohort"].sum()), int(cells["cohort_funded"].sum())
    return stages, {"cohort": cohort, "funded_and_traded": funded, "rate": funded / cohort if cohort else None}


def funnel_conversion(counts):
    """counts: {stage: customers}. Per funnel stage: customers now in it, customers who reached it
    (REACHED_BY) and the conversion from the previous stage (reached / reached before; None for the first)."""
    rows, before = [], None
    for stage in FUNNEL:
        reached = sum(int(counts.get(s, 0)) for s in REACHED_BY[stage])
        rows.append({"stage": stage, "customers": int(counts.get(stage, 0)), "reached": reached,
                     "conversion": reached / before if before else None})
        before = reached
    return rows


def _moves_frame(day_from, day_to, field, office_id=None):
    """Rows (source, target, customers, office_id): the cells stored for a run and the one before it, else one
    SQL aggregate over the two dates (one query either way)."""
    on_demand, _mode = report_cells.migration_select((field,))
    sql = ("SELECT * FROM (SELECT source, target, customers, office_id FROM customers_tiermigrationcell "
           "WHERE date = %s AND date_from = %s AND field = %s UNION ALL "
           f"SELECT source, target, customers, office_id FROM ({on_demand}) agg WHERE NOT EXISTS ("
           "SELECT 1 FROM customers_tiermigrationcell WHERE date = %s AND date_from = %s AND field = %s)) moves")
    params = [day_to, day_from, field, *report_cells.migration_params(day_from, day_to, (field,)),
              day_to, day_from, field]
    if office_id is not None:
        sql, params = sql + " WHERE office_id = %s", params + [office_id]
    return read_frame(sql, params, text=("source", "target"))


def _pivot_moves(frame):
    frame = frame.assign(source=frame["source"].fillna("").replace("", "—"),
                         target=frame["target"].fillna("").replace("", "—"))
    table = frame.pivot_table(index="source", columns="target", values="customers", aggfunc="sum", fill_value=0)
    table.index.name, table.columns.name = "from", "to"
    return table.astype(int)


def migration(day_from, day_to, field="star", office_id=None):
    """From (rows) × to (columns) customer counts of `field` between two run dates."""
    return _pivot_moves(_moves_frame(day_from, day_to, field, office_id))


def report_from_cells(cells, day):
    by_star, offices = star_distribution(cells)
    stages, funding = funnel(cells)
    legacy = cells.assign(legacy_star=cells["legacy_star"].replace("", "—"), star=cells["star"].replace("", "—"))
    legacy = legacy.pivot_table(index="legacy_star", columns="star", values="customers", aggfunc="sum",
                                fill_value=0).astype(int)
    return {
        "day": day,
        "customers": int(cells["customers"].sum()),
        "by_star": by_star,
        "by_office": offices,
        "pareto": pareto(by_star) if len(by_star) else (0.0, 0.0),
        "quadrants": counts(cells[cells["quadrant"] != ""], "quadrant", list("ABCD")),
        "subtypes": counts(cells[cells["stp_subtype"] != ""], "stp_subtype", ["I", "II", "III", "IV", "V", "VI"]),
        "stages": stages,
        "conversion": pd.DataFrame(funnel_conversion(stages.to_dict())).set_index("stage"),
        "funding": funding,
        "legacy_vs_value": legacy,
    }


def tier_report(day, office_id=None):
    return report_from_cells(cells_frame(day, office_id), day)


# --- reports stored at publish ----------------------------------------------------------------------------
FRAMES = ("by_star", "by_office", "legacy_vs_value", "conversion")
SERIES = ("quadrants", "subtypes", "stages")


def _pack(frame):
    """A frame as JSON-ready lists (column by column, so integers stay integers)."""
    return {"index": [str(i) for i in frame.index], "index_name": frame.index.name,
            "columns": [str(c) for c in frame.columns], "columns_name": frame.columns.name,
            "data": [[None if v != v else v for v in frame[c].tolist()] for c in frame.columns]}


def _unpack(packed):
    frame = pd.DataFrame(dict(zip(packed["columns"], packed["data"])),
                         index=pd.Index(packed["index"], name=packed["index_name"]), columns=packed["columns"])
    frame.columns.name = packed["columns_name"]
    return frame


def store_reports(day, day_from):
    """At publish: the report of the date for the branch and each office, with the moves from `day_from`
    for each tier field, from the cells just written (2 + 4 queries, then pandas over a few thousand rows)."""
    from ..models import TierReport
    from .report_cells import FIELDS

    cells = cells_frame(day)
    moves = {f: _moves_frame(day_from, day, f) for f in FIELDS} if day_from else {}
    rows = []
    for office_id in [None, *sorted(cells["office_id"].unique().tolist())]:
        mine = cells if office_id is None else cells[cells["office_id"] == office_id]
        report = report_from_cells(mine, day)
        data = {"customers": report["customers"], "pareto": list(report["pareto"]), "funding": report["funding"],
                "frames": {k: _pack(report[k]) for k in FRAMES},
                "series": {k: _pack(report[k].to_frame()) for k in SERIES},
                "moves": {f: _pack(_pivot_moves(m if office_id is None else m[m["office_id"] == office_id]))
                          for f, m in moves.items()}}
        rows.append(TierReport(date=day, office_id=office_id or 0, date_from=day_from, data=data))
    TierReport.objects.filter(date=day).delete()
    TierReport.objects.bulk_create(rows)
    return len(rows)


def report_page(day, day_from, field, office_id=None):
    """What the report page shows: the date's report and the `field` moves from `day_from` (stored at publish
    when `day_from` is the run before, else aggregated)."""
    report, moves, stored_from = report_for(day, office_id)
    if stored_from == day_from and field in moves:
        return report, moves[field]
    if day_from == day:  # the only run (a new branch): everyone stays where they are, read from the cells
        return report, _staying(cells_frame(day, office_id), field)
    return report, migration(day_from, day, field, office_id)


def _staying(cells, field):
    """The moves of a date compared with itself, from its cells: each value to itself (no join of the customers)."""
    kept = cells.groupby(["office_id", field], as_index=False)["customers"].sum()
    return _pivot_moves(kept.assign(source=kept[field], target=kept[field]))


def report_for(day, office_id=None):
    """(report, {field: moves frame}, the date the moves start from): stored at publish (one query), else
    computed from the cells (a date published before reports were stored)."""
    from ..models import TierReport

    stored = TierReport.objects.filter(date=day, office_id=office_id or 0).first()
    if stored is None:
        return tier_report(day, office_id), {}, None
    data = stored.data
    report = {"day": day, "customers": data["customers"], "pareto": tuple(data["pareto"]),
              "funding": data["funding"], **{k: _unpack(v) for k, v in data["frames"].items()},
              **{k: _unpack(v).iloc[:, 0] for k, v in data["series"].items()}}
    return report, {f: _unpack(v) for f, v in data["moves"].items()}, stored.date_from
