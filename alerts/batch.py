"""The nightly scan: evaluate every rule over the whole branch, then merge the firings into the alerts
table with a few set-based statements in one transaction.

- an active alert (open / acknowledged / contacted) of the same customer and rule takes the new evidence
  (one active alert per customer and rule, enforced by a partial unique constraint);
- otherwise a new alert opens, unless the same firing was already handled: a closed alert of that customer
  and rule with the same event key, or one that already saw this date, or one closed within the rule's
  cool-down (policy);
- a reminder that can wait (AlertParams.reminder_lead_days) opens for work only on its opening date
  (`opening_dates`); until then it is kept, out of the active view and today's list;
- re-running a date changes nothing; a crash leaves the previous state (one transaction).
"""
from datetime import date, datetime, timezone as dt_timezone

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from crm.bulk import is_postgres

from . import inputs, rules, schedule, sla
from .models import ACTIVE, CLOSED

TEMP = "_alert_firings"
ACTIVE_SQL = "(" + ", ".join(f"'{s}'" for s in ACTIVE) + ")"
CLOSED_SQL = "(" + ", ".join(f"'{s}'" for s in CLOSED) + ")"


def load(day, params):
    """Every frame the rules read, for `day` (about nine bulk queries)."""
    return rules.ScanData(
        day=day, customers=inputs.customers(day), activity=inputs.activity(day, params),
        snapshots=inputs.snapshots(day, params), quotas=inputs.ipo_quotas(day, params),
        applications=inputs.filed_applications(day), events=inputs.events(day, params),
        tiers=inputs.current_tiers(), contacts=inputs.last_contacts(day), decline_entries=inputs.decline_entries(day),
    )


def firings(day, params, now):
    """The rules' firings for `day` with their owner, informed manager, SLA deadline and cool-down start."""
    data = load(day, params)
    fired = rules.evaluate(data, params)
    if fired.empty:
        return fired
    managers = inputs.office_managers()
    office = data.customers["office_id"].reindex(fired["customer_id"]).to_numpy()
    manager = pd.Series(office).map(managers)
    fired["manager_id"] = manager.where(fired["level"].eq("red").to_numpy()).to_numpy()
    deadlines = {level: sla.due_at(level, now, params) for level in ("red", "yellow", "reminder")}
    fired["due_at"] = fired["level"].map({level: _db_time(at) for level, at in deadlines.items()})
    cooldowns = {rule: params.cooldown(rule) for rule in rules.RULE_FUNCTIONS}
    starts = {rule: _db_time(sla.local_midnight(date.fromordinal(day.toordinal() - n + 1))) if n > 0 else None
              for rule, n in cooldowns.items()}
    fired["cooldown_from"] = fired["rule"].map(starts)
    fired["opens_on"] = opening_dates(fired, data.customers, day, params)
    for column in ("owner_id", "manager_id"):
        fired[column] = pd.array(fired[column], dtype="Int64")
    return fired


def opening_dates(fired, customers, day, params):
    """The date each firing becomes work (ISO text), None for now. For the rules of reminder_lead_days: `lead` days
    before the date the reminder is about; one already past that date when it fires (a backlog: an assessment
    that expired months ago, found by the first scan) opens with the customer's next scheduled contact (the
    renewal is done in that call), at the latest day + spread_offset(customer, backlog_spread_days) — so a
    book's backlog arrives over weeks, not on one morning."""
    lead = fired["rule"].map({r: int(v) for r, v in params.reminder_lead_days.items()})
    today = pd.Timestamp(day)
    due = pd.to_datetime(fired["due_on"])
    held = lead.notna()
    normal = due - pd.to_timedelta(lead.fillna(0), unit="D")
    backlog = held & (due.isna() | (due < today))
    latest = today + pd.to_timedelta(schedule.spread_offset(fired["customer_id"], max(params.backlog_spread_days, 1)),
                                     unit="D")
    planned = pd.to_datetime(customers["next_contact_on"].reindex(fired["customer_id"]).to_numpy())
    planned = pd.Series(planned, index=fired.index)
    with_contact = backlog & planned.notna() & (planned >= today) & (planned < latest)
    opens = pd.Series(pd.NaT, index=fired.index, dtype="datetime64[ns]")
    opens[held & ~backlog & (normal > today)] = normal
    opens[backlog] = latest
    opens[with_contact] = planned
    opens = opens.where(opens > today)
    return opens.dt.strftime("%Y-%m-%d").astype(object).where(opens.notna(), None)


def _db_time(value):
    """A timestamp as the database stores it (UTC; SQLite keeps naive text)."""
    if value is None:
        return None
    utc = value.astimezone(dt_timezone.utc).replace(microsecond=0)
    return utc.isoformat() if is_postgres() else utc.replace(tzinfo=None).isoformat(sep=" ")


COLUMNS = ["customer_id", "rule", "level", "fire_key", "evidence", "owner_id", "manager_id", "due_at",
           "cooldown_from", "opens_on"]


def _create_temp(cursor):
    cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
    if is_postgres():
        cursor.execute(f"CREATE TEMP TABLE {TEMP} (customer_id bigint, rule varchar(24), level varchar(8), "
                       "fire_key varchar(40), evidence jsonb, owner_id bigint, manager_id bigint, "
                       "due_at timestamptz, cooldown_from timestamptz, opens_on date)")
    else:
        cursor.execute(f"CREATE TEMP TABLE {TEMP} (customer_id integer, rule text, level text, fire_key text, "
                       "evidence text, owner_id integer, manager_id integer, due_at text, cooldown_from text, "
                       "opens_on text)")


def _fill_temp(cursor, frame):
    frame = frame[COLUMNS]
    if is_postgres():
        import io

        buf = io.StringIO()
        frame.to_csv(buf, index=False, header=False, na_rep="\\N")
        buf.seek(0)
        cursor.cursor.copy_expert(f"COPY {TEMP} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                                  buf)
    else:
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        cursor.executemany(f"INSERT INTO {TEMP} VALUES ({', '.join(['%s'] * len(COLUMNS))})", list(rows))


def merge(fired, day, run_id, now):
    """Apply the firings; returns counts. Call inside a transaction."""
    now_db = _db_time(now)
    distinct = "IS DISTINCT FROM" if is_postgres() else "IS NOT"
    counts = {"fired": len(fired)}
    with connection.cursor() as cursor:
        _create_temp(cursor)
        if len(fired):
            _fill_temp(cursor, fired)
            # Looked up by (customer, rule) from every alert: an index keeps that cheap whatever plan is chosen
            # (a nested loop over an unindexed 100k-row table took over 10 minutes on a new 220,000 branch).
            cursor.execute(f"CREATE INDEX {TEMP}_key ON {TEMP} (customer_id, rule)")
            if is_postgres():
                cursor.execute(f"ANALYZE {TEMP} (customer_id, rule, fire_key)")  # the planner joins 100k+ firings by hash, not by guesswork
        cursor.execute(
            f"""DELETE FROM {TEMP} WHERE EXISTS (
                  SELECT 1 FROM alerts_alert a WHERE a.customer_id = {TEMP}.customer_id AND a.rule = {TEMP}.rule
                  AND a.status IN {CLOSED_SQL}
                  AND ((a.fire_key <> '' AND a.fire_key = {TEMP}.fire_key) OR a.last_fired_on >= %s
                       OR ({TEMP}.cooldown_from IS NOT NULL AND a.closed_at >= {TEMP}.cooldown_from)))""",
            [day])
        counts["suppressed"] = max(cursor.rowcount, 0)
        cursor.execute(
            f"""UPDATE alerts_alert SET
                  evidence = f.evidence, level = f.level, fire_key = f.fire_key,
                  manager_id = COALESCE(alerts_alert.manager_id, f.manager_id),
                  fire_count = alerts_alert.fire_count + CASE WHEN alerts_alert.last_fired_on < %s THEN 1 ELSE 0 END,
                  last_fired_on = CASE WHEN alerts_alert.last_fired_on < %s THEN %s ELSE alerts_alert.last_fired_on END,
                  due_at = CASE WHEN alerts_alert.status = 'open' AND f.due_at IS NOT NULL
                                 AND (alerts_alert.due_at IS NULL OR f.due_at < alerts_alert.due_at)
                                THEN f.due_at ELSE alerts_alert.due_at END,
                  -- an alert that was work stays work; a waiting one keeps its earliest opening date
                  opens_on = CASE WHEN alerts_alert.opens_on IS NULL OR f.opens_on IS NULL THEN NULL
                                  WHEN f.opens_on < alerts_alert.opens_on THEN f.opens_on
                                  ELSE alerts_alert.opens_on END,
                  -- a snooze does not hide an alert that has just turned red
                  snoozed_until = CASE WHEN f.level = 'red' AND alerts_alert.level <> 'red' THEN NULL
                                       ELSE alerts_alert.snoozed_until END
                FROM {TEMP} f
                WHERE alerts_alert.customer_id = f.customer_id AND alerts_alert.rule = f.rule
                  AND alerts_alert.status IN {ACTIVE_SQL}
                  AND (alerts_alert.evidence {distinct} f.evidence OR alerts_alert.last_fired_on < %s
                       OR alerts_alert.level <> f.level OR alerts_alert.fire_key <> f.fire_key)""",
            [day, day, day, day])
        counts["updated"] = max(cursor.rowcount, 0)
        cursor.execute(
            f"""INSERT INTO alerts_alert (customer_id, rule, level, status, evidence, fire_key, owner_id, manager_id,
                  opened_at, due_at, first_fired_on, last_fired_on, fire_count, opened_run_id, outcome, reason,
                  dismiss_reason, opens_on)
                SELECT f.customer_id, f.rule, f.level, 'open', f.evidence, f.fire_key, f.owner_id, f.manager_id,
                  %s, f.due_at, %s, %s, 1, %s, '', '', '', f.opens_on
                FROM {TEMP} f WHERE NOT EXISTS (
                  SELECT 1 FROM alerts_alert a WHERE a.customer_id = f.customer_id AND a.rule = f.rule
                  AND a.status IN {ACTIVE_SQL})""",
            [now_db, day, day, run_id])
        counts["opened"] = max(cursor.rowcount, 0)
        cursor.execute(
            """INSERT INTO alerts_alerttransition (alert_id, at, action, from_status, to_status, note, outcome)
               SELECT id, opened_at, 'opened', '', 'open', '', '' FROM alerts_alert WHERE opened_run_id = %s""",
            [run_id])
        # a contact-due reminder that no longer fires (contacted some other way, no frequency any more) is resolved
        lapsed = (f"""alerts_alert.rule = 'contact_due' AND alerts_alert.status IN {ACTIVE_SQL} AND NOT EXISTS (
                        SELECT 1 FROM {TEMP} f WHERE f.customer_id = alerts_alert.customer_id
                        AND f.rule = 'contact_due')""")
        cursor.execute(
            f"""INSERT INTO alerts_alerttransition (alert_id, at, action, from_status, to_status, note, outcome)
                SELECT id, %s, 'lapsed', status, 'resolved', '', '' FROM alerts_alert WHERE {lapsed}""", [now_db])
        cursor.execute(f"UPDATE alerts_alert SET status = 'resolved', closed_at = %s WHERE {lapsed}", [now_db])
        counts["lapsed"] = max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE {TEMP}")
    return counts


def scan(day, params, run_id, now=None):
    """The whole scan for `day` (evaluate, then merge in one transaction)."""
    now = now or timezone.now()
    with transaction.atomic():
        planned = schedule.plan(day, params)  # the contact plan the contact_due rule reads
    fired = firings(day, params, now)
    with transaction.atomic():
        counts = merge(fired, day, run_id, now)
    counts["contact_plan_changed"] = planned
    by_rule = fired["rule"].value_counts().to_dict() if len(fired) else {}
    counts["by_rule"] = {str(k): int(v) for k, v in by_rule.items()}
    return counts
