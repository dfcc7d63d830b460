"""crm.bulk.read_beside: a read on a second connection only where that connection sees the same data."""
import pytest
from django.db import connection, transaction

from crm.bulk import read_beside


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_read_uses_another_connection():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    mine = backend_pid()
    with read_beside(backend_pid) as other:
        assert other.result() != mine
    with transaction.atomic():
        with read_beside(backend_pid) as same:  # uncommitted rows would be invisible to another connection
            assert same.result() == backend_pid()


@pytest.mark.django_db
def test_inside_a_transaction_the_read_runs_here_first():
    calls = []

    def read(x):
        calls.append(x)
        return x * 2

    with read_beside(read, 21) as pending:
        assert calls == [21]  # already done before the block's body
        assert pending.result() == 42


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_leaves_fresh_statistics_behind(reference_data):
    """The server's autovacuum may lag (or be off): the run analyzes what it wrote and vacuums the current
    tier it rewrites every night, after its transaction commits."""
    from datetime import date

    from django.core.management import call_command

    from customers import services

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    def stats():
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname IN "
                           "('customers_currenttier', 'customers_tierreportcell')")
            return {name: (vacuumed, analyzed) for name, vacuumed, analyzed in cursor.fetchall()}

    call_command("generate_branch", customers=200, seed=3, as_of=date(2026, 11, 26), stdout=open("/dev/null", "w"))
    before = stats()
    assert services.run_reclassification(day=date(2026, 11, 26)).status == "succeeded"
    after = stats()
    vacuumed, analyzed = after["customers_currenttier"]
    assert vacuumed is not None and vacuumed != before["customers_currenttier"][0]
    assert analyzed is not None and after["customers_tierreportcell"][1] is not None


@pytest.mark.django_db
def test_inside_a_transaction_vacuum_waits_for_the_commit(django_capture_on_commit_callbacks):
    from crm.bulk import refresh_statistics
    from customers.models import CurrentTier

    with django_capture_on_commit_callbacks() as callbacks:
        refresh_statistics(CurrentTier, vacuum=(CurrentTier,))
    assert len(callbacks) == (1 if connection.vendor == "postgresql" else 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_statistics_lag_compares_the_planners_row_count(reference_data):
    from crm.bulk import statistics_lag
    from customers.models import Office

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_office")
    rows = Office.objects.count()
    assert rows > 0
    assert not statistics_lag(Office, rows) and statistics_lag(Office, rows + 1)
