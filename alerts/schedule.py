"""The contact plan: the star's contact frequency (AlertParams.contact_months) as a scheduled next-contact date per
customer (Customer.next_contact_on), computed set-based before the nightly scan's rules.

- When a frequency starts (first time the customer's star has one, or a promotion to a more frequent star) the
  next contact is spread over the cycle: today + spread_offset(id) days, an offset in [0, cycle days) from a stable
  multiplicative hash of the customer id, so a book's first cycle has about the same number due each day (a hash,
  not the id itself: books are often assigned round-robin, and id mod n would then leave some days empty). A
  customer contacted recently is not planned before their last contact + the cycle.
- Same frequency or a demotion: the date stays, and moves forward to the last contact + the cycle when a contact
  was logged some other way (an import of interactions); contacts logged through customers.services reset it.
- No frequency any more: both fields are cleared.
The contact_due rule fires once today is past the date.
"""
from datetime import timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

from crm.bulk import is_postgres, read_frame
from crm.dates import add_months

TEMP = "_contact_plan"
HASH = np.uint64(2654435761)  # Knuth's multiplicative hash


def cycle_days(day, months):
    return (add_months(day, months) - day).days


def spread_offset(customer_ids, days):
    """Days after the start of the cycle, in [0, days), stable for a customer id."""
    ids = np.asarray(customer_ids, dtype=np.uint64)
    return ((ids * HASH) % np.uint64(2 ** 32) % np.uint64(days)).astype(int)


def _current(day):
    from .sla import local_midnight

    frame = read_frame(
        "SELECT c.id AS customer_id, c.next_contact_on, c.contact_cycle_months, t.star, lc.last_contact "
        "FROM customers_customer c LEFT JOIN customers_currenttier t ON t.customer_id = c.id "
        "LEFT JOIN (SELECT customer_id, MAX(at) AS last_contact FROM customers_interaction WHERE at < %s "
        "GROUP BY customer_id) lc ON lc.customer_id = c.id "
        "WHERE c.opened_on IS NOT NULL AND c.opened_on <= %s AND (c.closed_on IS NULL OR c.closed_on > %s)",
        (local_midnight(day + timedelta(days=1)), day, day), parse_dates=("next_contact_on",), text=("star",))
    last = pd.to_datetime(frame["last_contact"], utc=True, format="mixed")
    frame["last_contact"] = last.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None).dt.normalize()
    return frame.set_index("customer_id")


def planned(frame, day, params):
    """The plan for `frame` (customer_id index; next_contact_on, contact_cycle_months, star, last_contact):
    a frame of next_contact_on (datetime or NaT) and contact_cycle_months (Int64, NA without a frequency)."""
    months = frame["star"].map({str(k): int(v) for k, v in params.contact_months.items()})
    cycle = pd.to_numeric(frame["contact_cycle_months"], errors="coerce")
    current = pd.to_datetime(frame["next_contact_on"])
    today = pd.Timestamp(day)
    nxt = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for n in months.dropna().unique():
        n = int(n)
        sel = months == n
        ids = frame.index[sel]
        after_last = frame.loc[sel, "last_contact"] + pd.DateOffset(months=n)
        spread = today + pd.to_timedelta(spread_offset(ids, cycle_days(day, n)), unit="D")
        spread = pd.Series(spread, index=ids)
        fresh = spread.where(spread >= after_last.fillna(spread), after_last)  # max(spread, last + cycle)
        starts = cycle[sel].isna() | current[sel].isna()
        promoted = ~starts & (cycle[sel] > n)
        kept = current[sel].where(current[sel] >= after_last.fillna(current[sel]), after_last)
        nxt[sel] = kept
        earlier = current[sel][promoted]
        nxt[ids[promoted.to_numpy()]] = earlier.where(earlier <= fresh[promoted], fresh[promoted])
        nxt[ids[starts.to_numpy()]] = fresh[starts]
    return pd.DataFrame({"next_contact_on": nxt, "contact_cycle_months": months.astype("Int64")})


def plan(day, params):
    """Write the plan for `day` (changed rows only); returns how many customers changed. Call in a transaction."""
    frame = _current(day)
    new = planned(frame, day, params)
    old_cycle = pd.to_numeric(frame["contact_cycle_months"], errors="coerce").astype("Int64")
    old_next = pd.to_datetime(frame["next_contact_on"])
    changed = ~((new["next_contact_on"] == old_next) | (new["next_contact_on"].isna() & old_next.isna()))
    changed |= ~((new["contact_cycle_months"] == old_cycle).fillna(False)
                 | (new["contact_cycle_months"].isna() & old_cycle.isna()))
    rows = new[changed.to_numpy()]
    if rows.empty:
        return 0
    values = [(int(pk), d.date().isoformat() if not pd.isna(d) else None, int(m) if not pd.isna(m) else None)
              for pk, d, m in zip(rows.index, rows["next_contact_on"], rows["contact_cycle_months"])]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
        kind = "bigint, next_on date, months integer" if is_postgres() else "integer, next_on text, months integer"
        cursor.execute(f"CREATE TEMP TABLE {TEMP} (customer_id {kind})")
        if is_postgres():
            import io

            buf = io.StringIO()
            # a column of months with a None in it would be floats ("2.0"), which COPY refuses for an integer
            frame = pd.DataFrame(values).astype({0: "int64", 2: "Int64"})
            frame.to_csv(buf, index=False, header=False, na_rep="\\N")
            buf.seek(0)
            cursor.cursor.copy_expert(f"COPY {TEMP} FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        else:
            cursor.executemany(f"INSERT INTO {TEMP} VALUES (%s, %s, %s)", values)
        cursor.execute(
            f"""UPDATE customers_customer SET next_contact_on = p.next_on, contact_cycle_months = p.months
                FROM {TEMP} p WHERE customers_customer.id = p.customer_id""")
        cursor.execute(f"DROP TABLE {TEMP}")
    return len(values)
