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
