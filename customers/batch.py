"""Set-based nightly pieces of the customers app."""
from django.db import connection, transaction


@transaction.atomic
def refresh_latest_positions():
    """Copy each customer's latest snapshot total into its current-tier row, in one statement.

    Lists sort and filter on this column, so it must not be a per-row subquery.
    """
    sql = """
        INSERT INTO customers_currenttier
            (customer_id, total_assets, assets_on, star, legacy_star, stp_subtype, stp_weak,
             lifecycle_stage, quadrant, explanation)
        SELECT s.customer_id, s.total_assets, s.date, '', '', '', FALSE, '', '', ''
        FROM customers_snapshot s
        JOIN (SELECT customer_id, MAX(date) AS last_date FROM customers_snapshot GROUP BY customer_id) m
          ON m.customer_id = s.customer_id AND m.last_date = s.date
        WHERE TRUE
        ON CONFLICT (customer_id) DO UPDATE
           SET total_assets = excluded.total_assets, assets_on = excluded.assets_on
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount
