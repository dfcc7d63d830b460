"""The nightly reclassification: chunks compute into a staging table, one transaction publishes.

A crash before publishing leaves the previous tiers in force and only staging rows behind
(cleared by the next attempt); re-running a date replaces that date's snapshot.
"""
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Max, Min

from crm import bulk
from crm.bulk import copy_frame, read_frame

from ..models import Customer, Notification, TierChange, TierSnapshot, TierStaging, TieringPolicy
from . import report_cells, reports
from .compute import assign_tiers, customer_values
from .inputs import activity_data_start  # noqa: F401  (services call batch.activity_data_start)
from .params import TieringParams

DEFAULT_CHUNK = 50_000
STAGING_COLUMNS = (
    "legacy_star", "legacy_observed", "legacy_year", "stp_subtype", "stp_weak", "lifecycle_stage", "cev", "cpv",
    "clv", "total_assets", "stage_reason", "stage_days", "stage_figure", "growth", "retention", "neutral_inputs",
    "survey_on", "survey_stale_on", "survey_max_age", "retention_source", "retention_scored_on", "assets_elsewhere",
    "securities_share", "products_share", "holding_days", "main_product_share",
)
SNAPSHOT_COLUMNS = STAGING_COLUMNS + ("star", "computed_star", "below_runs", "quadrant", "overridden",
                                      "clv_top_share")
CHANGE_FIELDS = ("star", "lifecycle_stage", "stp_subtype", "quadrant")
TEXT_COLUMNS = ("star", "legacy_star", "lifecycle_stage", "stp_subtype", "quadrant")


def active_policy():
    return TieringPolicy.objects.get(status=TieringPolicy.Status.ACTIVE)


def default_run_date():
    from ..selectors import data_date

    return data_date() or date.today()


def chunk_ranges(chunk_size=DEFAULT_CHUNK):
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    return [(lo, min(lo + chunk_size - 1, bounds["hi"])) for lo in range(bounds["lo"], bounds["hi"] + 1, chunk_size)]


def previous_run_rows(day, lo=None, hi=None):
    """The last run before `day` (one branch-wide date), per customer."""
    prev_date = TierSnapshot.objects.filter(date__lt=day).aggregate(d=Max("date"))["d"]
    columns = ["customer_id", "star", "below_runs", "legacy_star", "legacy_observed", "legacy_year",
               "lifecycle_stage", "stp_subtype", "quadrant"]
    if prev_date is None:
        return pd.DataFrame(columns=columns).set_index("customer_id"), None
    sql = f"SELECT {', '.join(columns)} FROM customers_tiersnapshot WHERE date = %s"
    params = [prev_date]
    if lo is not None:
        sql += " AND customer_id BETWEEN %s AND %s"
        params += [lo, hi]
    frame = read_frame(sql, params, text=TEXT_COLUMNS).set_index("customer_id")
    frame["legacy_observed"] = frame["legacy_observed"].astype(bool)
    return frame, prev_date


def active_overrides(day):
    frame = read_frame(
        "SELECT customer_id, star FROM customers_staroverride WHERE revoked_at IS NULL AND expires_on >= %s "
        "ORDER BY created_at", (day,), text=("star",))
    return frame.groupby("customer_id")["star"].last() if len(frame) else pd.Series(dtype=object)


# Phase A -----------------------------------------------------------------------
def compute_chunk(run_id, day, params, lo, hi, data_start):
    """Compute one id range into staging; a retried chunk replaces its own rows."""
    prev, _ = previous_run_rows(day, lo, hi)
    values = customer_values(lo, hi, day, data_start, params, prev)
    with transaction.atomic():
        TierStaging.objects.filter(run_id=run_id, customer_id__gte=lo, customer_id__lte=hi)._raw_delete(
            TierStaging.objects.db)
        if not values.empty:
            frame = values[list(STAGING_COLUMNS)].copy()
            frame.insert(0, "customer_id", values.index.astype(int))
            frame.insert(0, "run_id", run_id)
            frame["kind"] = values["kind"]
            frame["rank_value"] = values["clv"].astype(float)
            for column in ("star", "computed_star", "quadrant"):
                frame[column] = ""
            frame["below_runs"] = 0
            frame["overridden"] = False
            copy_frame(TierStaging, _db_ready(frame))
    return len(values)


def _db_ready(frame):
    out = frame.copy(deep=False)
    for column in ("legacy_year", "stage_days", "below_runs"):
        if column in out:
            out[column] = pd.array(np.round(out[column].astype(float)), dtype="Int64")
    for column in ("holding_days", "stage_figure", "securities_share", "products_share", "main_product_share",
                   "clv_top_share"):
        if column in out:
            out[column] = out[column].astype(float).replace([np.inf, -np.inf], np.nan)
    return out


# Phase B -----------------------------------------------------------------------
def compute_in_process(day, params, chunks, data_start, progress=None):
    """Phase A chunk by chunk in memory (no staging round trip), then phase B: (tiers, prev, prev_date).

    Reads only, so it runs outside the publishing transaction: progress is visible meanwhile and the
    chunk reads may use a second connection (crm.bulk.read_beside)."""
    frames = []
    for i, (lo, hi) in enumerate(chunks):
        prev_chunk, _ = previous_run_rows(day, lo, hi)
        frames.append(customer_values(lo, hi, day, data_start, params, prev_chunk))
        if progress:
            progress(int(90 * (i + 1) / max(len(chunks), 1)))
    frames = [f for f in frames if not f.empty]
    values = pd.concat(frames) if frames else pd.DataFrame()
    del frames  # the chunks now live only in `values`
    prev, prev_date = previous_run_rows(day)
    tiers = assign_tiers(values, params, prev, active_overrides(day)) if len(values) else values
    return tiers, prev, prev_date


def staged_values(run_id):
    columns = ", ".join(f"s.{c}" for c in STAGING_COLUMNS)
    frame = read_frame(
        f"SELECT s.customer_id, c.customer_code, s.kind, c.advisor_id, c.investment_advisor_id, {columns} "
        "FROM customers_tierstaging s JOIN customers_customer c ON c.id = s.customer_id WHERE s.run_id = %s",
        (run_id,), text=TEXT_COLUMNS + ("customer_code", "kind", "stage_reason", "neutral_inputs", "retention_source"),
    ).set_index("customer_id")
    for column in ("legacy_observed", "stp_weak"):
        frame[column] = frame[column].astype(bool)
    return frame


def finalize(run_id, day, policy, params):
    """Rank the whole branch and publish the run atomically. Returns counts."""
    values = staged_values(run_id)
    prev, prev_date = previous_run_rows(day)
    tiers = assign_tiers(values, params, prev, active_overrides(day))
    with transaction.atomic():
        counts = publish(tiers, day, policy, prev, prev_date)
        clear_staging(run_id)
    return counts


def _delete_day(day):
    """Set-based deletes of a date's run output (the ORM's delete would visit every row's relations)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_currenttier SET snapshot_id = NULL WHERE snapshot_id IN "
                       "(SELECT id FROM customers_tiersnapshot WHERE date = %s)", [day])
        cursor.execute("DELETE FROM customers_tiersnapshot WHERE date = %s", [day])
        cursor.execute("DELETE FROM customers_tierchange WHERE date = %s", [day])
        cursor.execute("DELETE FROM customers_notification WHERE kind = 'tier_change' AND date = %s", [day])
        cursor.execute("DELETE FROM customers_tierreportcell WHERE date = %s", [day])
        cursor.execute("DELETE FROM customers_tiermigrationcell WHERE date = %s", [day])
        cursor.execute("DELETE FROM customers_tierreport WHERE date = %s", [day])


def publish(tiers, day, policy, prev, prev_date):
    _delete_day(day)
    snapshot = tiers[list(SNAPSHOT_COLUMNS)]  # copy-on-write: the inserts below do not touch `tiers`
    snapshot.insert(0, "customer_id", tiers.index.astype(int))
    snapshot["date"] = day.isoformat()
    snapshot["policy_id"] = policy.pk
    copy_frame(TierSnapshot, _db_ready(snapshot))
    changes = _changes(tiers, prev, day, TieringParams.from_json(policy.params))
    copy_frame(TierChange, changes)
    notified = _notify(tiers, changes, day)
    report_cells.write_cells(day, prev_date)  # the tier report reads these, not every customer
    reports.store_reports(day, prev_date)  # and its page one stored row per office
    following = TierSnapshot.objects.filter(date__gt=day).aggregate(d=Min("date"))["d"]
    if following is None:
        _refresh_current_tiers(day)
    else:  # an earlier date was re-run: the next run's moves start from what was just written
        report_cells.write_cells(following, day)
        reports.store_reports(following, day)
    return {
        "customers": len(tiers),
        "changes": len(changes),
        "star_changes": int((changes["field"] == "star").sum()) if len(changes) else 0,
        "notifications": notified,
        "previous_run": prev_date.isoformat() if prev_date else None,
        "policy_version": policy.version,
    }


def _changes(tiers, prev, day, p):
    """One row per moved field, with its reason as JSON data (the rule and its figures; _reasons)."""
    columns = ["customer_id", "date", "field", "old", "new", "reason"]
    if prev.empty:
        return pd.DataFrame(columns=columns)
    before = prev.reindex(tiers.index)
    parts = []
    for field in CHANGE_FIELDS:
        old = before[field].fillna("").astype(str)
        new = tiers[field].astype(str)
        moved = (before[field].notna() & (old != new)).to_numpy()
        rows = tiers.loc[moved]
        parts.append(pd.DataFrame({"customer_id": rows.index.astype(int), "date": day.isoformat(),
                                   "field": field, "old": old[moved].to_numpy(), "new": new[moved].to_numpy(),
                                   "reason": _reasons(field, rows, old[moved], p).to_numpy()}))
    return pd.concat(parts, ignore_index=True)[columns]


def _json_rows(frame):
    """Each row of `frame` as a JSON object (vectorised; missing figures are left out)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    lines = frame.to_json(orient="records", lines=True, double_precision=6).splitlines()
    text = pd.Series(lines, index=frame.index)
    # to_json writes NaN as null: drop those keys (a figure the rule does not have)
    return text.str.replace(r',"[a-z_]+":null', "", regex=True).str.replace(r'"[a-z_]+":null,?', "", regex=True)


def _reasons(field, rows, old, p):
    """The rule of tiering.md that moved each of `rows` in `field`, with its figures, as JSON text.

    star: "override" (pinned by a manager), "not_ranked" (the stage is not ranked), "demotion" (ranked below
    for `demotion_runs` runs), else "rank" (CLV share; up moves are immediate). lifecycle_stage: the stage
    rule's code (stage_reason) with its days / figure. stp_subtype: "stp_trading" / "stp_products" with the
    shares, or "not_eligible" below 4★ (Diamond). quadrant: "quadrant" with CEV, CPV and the cut-offs, or
    "not_ranked"."""
    from .rules import star_level

    out = pd.Series("", index=rows.index, dtype=object)
    if rows.empty:
        return out
    clean = rows.replace([np.inf, -np.inf], np.nan)
    figures = pd.DataFrame(index=rows.index)
    if field == "star":
        unranked = (rows["star"] == "").to_numpy()
        overridden = rows["overridden"].astype(bool).to_numpy() & ~unranked
        down = (star_level(rows["star"]) < star_level(old)) & ~unranked & ~overridden
        figures["rule"] = np.select([unranked, overridden, down], ["not_ranked", "override", "demotion"], "rank")
        figures["stage"] = np.where(unranked, rows["lifecycle_stage"], None)
        ranked = ~unranked & ~overridden
        figures["clv"] = np.where(ranked, clean["clv"].astype(float).round(2), np.nan)
        figures["top_share"] = np.where(ranked, clean["clv_top_share"].astype(float).round(4), np.nan)
        figures["computed"] = np.where(down, rows["computed_star"], None)
        figures["runs"] = np.where(down, p.demotion_runs, np.nan)
    elif field == "lifecycle_stage":
        figures["rule"] = rows["stage_reason"]
        figures["days"] = clean["stage_days"].astype(float).round(0)
        figures["figure"] = clean["stage_figure"].astype(float).round(4)
    elif field == "stp_subtype":
        subtype = rows["stp_subtype"]
        trading, products = subtype.isin(["I", "II", "III"]), subtype.isin(["IV", "V", "VI"])
        figures["rule"] = np.select([trading, products], ["stp_trading", "stp_products"], "not_eligible")
        figures["star"] = np.where(subtype == "", rows["star"], None)
        figures["securities_share"] = np.where(trading, clean["securities_share"].astype(float).round(4), np.nan)
        figures["holding_days"] = np.where(trading, clean["holding_days"].astype(float).round(0), np.nan)
        figures["products_share"] = np.where(products, clean["products_share"].astype(float).round(4), np.nan)
        figures["main_product_share"] = np.where(products, clean["main_product_share"].astype(float).round(4),
                                                 np.nan)
        figures["weak"] = np.where(subtype != "", rows["stp_weak"].astype(bool), None)
    else:  # quadrant
        ranked = (rows["quadrant"] != "").to_numpy()
        figures["rule"] = np.where(ranked, "quadrant", "not_ranked")
        figures["stage"] = np.where(ranked, None, rows["lifecycle_stage"])
        for column in ("cev", "cev_cut", "cpv", "cpv_cut"):
            figures[column] = np.where(ranked, clean[column].astype(float).round(2), np.nan)
        figures["percentile"] = np.where(ranked, p.quadrant_percentile, np.nan)
    return _json_rows(figures)


def _notify(tiers, changes, day):
    """One notification per star or stage change, to the advisor and the investment advisor."""
    moved = changes[changes["field"].isin(["star", "lifecycle_stage"])]
    if moved.empty:
        return 0
    owners = tiers[["advisor_id", "investment_advisor_id"]].reindex(moved["customer_id"]).reset_index(drop=True)
    frames = []
    for column in ("advisor_id", "investment_advisor_id"):
        staff = owners[column]
        has = staff.notna().to_numpy()
        frames.append(pd.DataFrame({
            "staff_id": staff[has].astype(int).to_numpy(), "customer_id": moved["customer_id"].to_numpy()[has],
            "kind": "tier_change", "date": day.isoformat(),
            "detail": [f'{{"field": "{f}", "old": "{o}", "new": "{n}"}}' for f, o, n in
                       zip(moved["field"][has], moved["old"][has], moved["new"][has])],
            "created_at": pd.Timestamp.now(tz="UTC").isoformat(),
        }))
    frame = pd.concat(frames, ignore_index=True)
    copy_frame(Notification, frame)
    return len(frame)


def _refresh_current_tiers(day):
    """Copy the run's results into each customer's current-tier row (one INSERT … SELECT)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_currenttier
                (customer_id, as_of, star, legacy_star, stp_subtype, stp_weak, lifecycle_stage, quadrant,
                 cev, cpv, clv, total_assets, explanation, snapshot_id)
            SELECT customer_id, date, star, legacy_star, stp_subtype, stp_weak, lifecycle_stage, quadrant,
                   cev, cpv, clv, total_assets, '', id
            FROM customers_tiersnapshot WHERE date = %s AND TRUE
            ON CONFLICT (customer_id) DO UPDATE SET
                as_of = excluded.as_of, star = excluded.star, legacy_star = excluded.legacy_star,
                stp_subtype = excluded.stp_subtype, stp_weak = excluded.stp_weak,
                lifecycle_stage = excluded.lifecycle_stage, quadrant = excluded.quadrant, cev = excluded.cev,
                cpv = excluded.cpv, clv = excluded.clv, snapshot_id = excluded.snapshot_id
            """,
            [day],
        )


def refresh_statistics():
    """The tables the pages read right after a run; the current tier (rewritten nightly) is also vacuumed.
    The snapshot history is sampled only while its statistics still describe a far smaller table (a new
    branch's first nights): later, its dates all look alike to the planner and autovacuum keeps up."""
    from ..models import CurrentTier, TierMigrationCell, TierReportCell

    tables = [TierChange, Notification, TierReportCell, TierMigrationCell, CurrentTier]
    if bulk.statistics_lag(TierSnapshot, Customer.objects.count()):
        tables.append(TierSnapshot)
    bulk.refresh_statistics(*tables, vacuum=(CurrentTier,))


def run_settings(run):
    """(day, policy, params, data_start) recorded on a job run."""
    policy = TieringPolicy.objects.get(pk=run.params["policy_id"])
    data_start = run.params.get("data_start")
    return (date.fromisoformat(run.params["date"]), policy, TieringParams.from_json(policy.params),
            date.fromisoformat(data_start) if data_start else None)


def clear_staging(run_id):
    TierStaging.objects.filter(run_id=run_id)._raw_delete(TierStaging.objects.db)


def clear_abandoned_staging():
    """Staging rows of runs that are no longer running (crashed or failed) are garbage."""
    from crm.models import JobRun

    running = JobRun.objects.filter(job="reclassify", status=JobRun.Status.RUNNING).values_list("pk", flat=True)
    TierStaging.objects.exclude(run_id__in=list(running))._raw_delete(TierStaging.objects.db)
