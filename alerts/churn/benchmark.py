"""bench churn_score: one night's scoring with the active model against the reclassification of the same night
(issue 19: ≤ 10 %) and against the data floor of its own inputs (the measure quality.md gives the nightly scan).

The floor, measured in the same run: COPY out of PostgreSQL the columns the scoring reads of every raw row its
windows cover (customers, the year of snapshots, the activity window, applications, the declined callbacks, the
contact log, IPO quotas, the completed survey answers of the policy's age) and COPY the night's score rows back in
(a temporary table).
"""
import io
import time
from datetime import timedelta

from django.db import connection, transaction

from .features import (ACTIVITY_DAYS, HELD_DAYS, PRODUCT_COLUMNS, SNAPSHOT_SLACK_DAYS, SURVEY_REFUSAL_DAYS,
                       policies)


def _copy_out(cursor, sql, params=()):
    buf = io.StringIO()
    cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)", buf)
    return buf


def data_floor(day):
    from customers.tiering.inputs import survey_cutoff

    tiering, _alert_params = policies()
    snapshots_from = day - timedelta(days=max(HELD_DAYS, tiering.dormant_days, 180 + SNAPSHOT_SLACK_DAYS))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        raw = c.cursor
        _copy_out(raw, "SELECT id, opened_on, first_funded_on, closed_on, risk_level, commission_rate "
                       "FROM customers_customer")
        _copy_out(raw, f"SELECT customer_id, date, total_assets, securities_value, cash, {', '.join(PRODUCT_COLUMNS)} "
                       "FROM customers_snapshot WHERE date > %s AND date <= %s", (snapshots_from, day))
        _copy_out(raw, "SELECT customer_id, date, trade_count, transfer_out, transfer_in, pnl "
                       "FROM customers_dailyactivity WHERE date > %s AND date <= %s",
                  (day - timedelta(days=ACTIVITY_DAYS), day))
        _copy_out(raw, "SELECT customer_id, filed_on, status FROM customers_application WHERE filed_on <= %s", (day,))
        _copy_out(raw, "SELECT customer_id, surveyed_on FROM surveys_surveyresponse WHERE outcome IN ('hung_up', 'refused') "
                       "AND surveyed_on > %s AND surveyed_on <= %s", (day - timedelta(days=SURVEY_REFUSAL_DAYS), day))
        _copy_out(raw, "SELECT customer_id, at FROM customers_interaction WHERE at < %s", (day + timedelta(days=1),))
        _copy_out(raw, "SELECT customer_id, date, sh_units, sz_units FROM customers_ipoquota "
                       "WHERE date > %s AND date <= %s",
                  (day - timedelta(days=30), day))
        _copy_out(raw, "SELECT r.customer_id, r.surveyed_on, r.id, a.option_id FROM surveys_answer a JOIN surveys_surveyresponse r ON r.id = a.response_id "
                       "WHERE r.outcome = 'completed' AND r.surveyed_on > %s AND r.surveyed_on <= %s",
                  (survey_cutoff(day, tiering), day))
        scores = _copy_out(raw, "SELECT * FROM alerts_churnscore WHERE scored_on = %s", (day,))
        scores.seek(0)
        raw.execute("CREATE TEMP TABLE bench_scores (LIKE alerts_churnscore INCLUDING ALL) ON COMMIT DROP")
        raw.copy_expert("COPY bench_scores FROM STDIN WITH (FORMAT csv)", scores)
        transaction.set_rollback(True)
    return time.perf_counter() - started


def _reclassification_seconds(day):
    from customers import services as tiering_services
    from customers.tiering.batch import _delete_day

    with transaction.atomic():
        _delete_day(day)
    started = time.perf_counter()
    job = tiering_services.run_reclassification(day=day)
    if job.status != "succeeded":
        raise SystemExit(f"the reclassification failed: {job.error}")
    return time.perf_counter() - started


def run(stdout):
    from alerts.models import ChurnScore
    from alerts.selectors import default_scan_date

    from .selectors import active_churn_model
    from .services import score_branch

    if connection.vendor != "postgresql":
        raise SystemExit("bench churn_score measures PostgreSQL: set DATABASE_URL")
    active = active_churn_model()
    if active is None:
        raise SystemExit("no active churn model: run `churn_model train` and `churn_model activate N` first")
    day = default_scan_date()
    reclassification = _reclassification_seconds(day)
    ChurnScore.objects.filter(scored_on=day).delete()  # tonight's scores not written yet, as at night
    started = time.perf_counter()
    run = score_branch(day)
    scoring = time.perf_counter() - started
    if run.status != "succeeded":
        raise SystemExit(f"the scoring failed: {run.error}")
    floor = data_floor(day)
    counts = run.counts
    stdout.write(f"churn scoring {day} with version {active.version}: {counts['customers']:,} customers scored, "
                 f"{counts['explained']:,} explained")
    stdout.write(f"  scoring                  {scoring:8.2f} s   (features {counts['features']:.2f}, predict and "
                 f"reasons {counts['predict']:.2f}, write {counts['write']:.2f})")
    stdout.write(f"  reclassification         {reclassification:8.2f} s   scoring / reclassification "
                 f"{scoring / reclassification:6.1%}  (target ≤ 10 %)")
    stdout.write(f"  data floor (COPY in/out) {floor:8.2f} s   ratio {scoring / floor:5.2f}  (the scan's measure: ≤ 3)")
    return {"scoring": scoring, "reclassification": reclassification, "floor": floor,
            "customers": counts["customers"]}
