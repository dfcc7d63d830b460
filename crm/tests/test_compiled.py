"""CompiledRead: the same rows as the ORM's values(), compiled once per connection, arguments bound each call."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from crm.compiled import CompiledRead
from customers.models import Role, Snapshot

pytestmark = pytest.mark.django_db


def snapshot(customer, day, total):
    amounts = {f.name: Decimal(0) for f in Snapshot._meta.concrete_fields if f.name.endswith(("_value", "_debt"))}
    return Snapshot.objects.create(customer=customer, date=day, total_assets=Decimal(total), cash=Decimal(total),
                                   **amounts)


@pytest.fixture
def two_customers(make_staff, customer_of):
    advisor = make_staff(Role.WEALTH_ADVISOR, name="王芳")
    first, second = customer_of(advisor), customer_of(advisor)
    for day, total in ((date(2026, 9, 30), "1200.50"), (date(2026, 10, 31), "1300.25")):
        snapshot(first, day, total)
    snapshot(second, date(2026, 10, 31), "7.00")
    Alert.objects.create(customer=first, rule="lifecycle_decline", level="yellow", status="open", owner=advisor,
                         evidence={"stage": "decline", "total_assets": 5311.37}, fire_key="k1",
                         opened_at=timezone.now(), first_fired_on=date(2026, 11, 2), last_fired_on=date(2026, 11, 2))
    return advisor, first, second


@pytest.fixture
def no_statements():
    """This session holds no prepared statement yet (earlier tests on the connection may have left some)."""
    from crm import compiled

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    compiled._statements._sessions.clear()


def snapshots_read():
    calls = []

    def build(customer_id):
        calls.append(customer_id)
        return (Snapshot.objects.filter(customer_id=customer_id).order_by("-date")
                .values("date", "total_assets", "customer_id"))
    return CompiledRead(build), calls


def test_rows_equal_the_orms_values_with_dates_and_decimals_converted(two_customers):
    _advisor, first, second = two_customers
    read, _calls = snapshots_read()
    assert read(customer_id=first.pk) == [
        {"date": date(2026, 10, 31), "total_assets": Decimal("1300.25"), "customer_id": first.pk},
        {"date": date(2026, 9, 30), "total_assets": Decimal("1200.50"), "customer_id": first.pk},
    ]
    assert read(customer_id=second.pk) == [
        {"date": date(2026, 10, 31), "total_assets": Decimal("7.00"), "customer_id": second.pk}]
    assert read(customer_id=first.pk) == list(
        Snapshot.objects.filter(customer=first).order_by("-date").values("date", "total_assets", "customer_id"))


def test_built_once_per_connection_and_one_query_per_call(two_customers):
    _advisor, first, second = two_customers
    read, calls = snapshots_read()
    with CaptureQueriesContext(connection) as ctx:
        rows = [read(customer_id=c.pk) for c in (first, second, first)]
    assert len(ctx.captured_queries) == 3
    assert len(calls) == 1  # the queryset was built (and compiled) once
    assert [[r["customer_id"] for r in found] for found in rows] == [[first.pk] * 2, [second.pk], [first.pk] * 2]


def test_a_text_argument_is_bound_like_an_id(two_customers):
    advisor, first, second = two_customers
    read = CompiledRead(lambda code, advisor_id: Snapshot.objects.filter(
        customer__customer_code=code, customer__advisor_id=advisor_id).order_by("date").values("total_assets"))
    with CaptureQueriesContext(connection) as ctx:
        rows = [read(code=c.customer_code, advisor_id=advisor.pk) for c in (first, second, first)]
        assert read(code=first.customer_code, advisor_id=advisor.pk + 1000) == []
        assert read(code="C-NOBODY", advisor_id=advisor.pk) == []
        assert read(code="'; DROP TABLE customers_snapshot; --", advisor_id=advisor.pk) == []
    assert len(ctx.captured_queries) == 6
    assert rows == [[{"total_assets": Decimal("1200.50")}, {"total_assets": Decimal("1300.25")}],
                    [{"total_assets": Decimal("7.00")}], [{"total_assets": Decimal("1200.50")},
                                                          {"total_assets": Decimal("1300.25")}]]
    assert Snapshot.objects.count() == 3


def test_joined_columns_json_and_instances(two_customers):
    advisor, first, second = two_customers
    read = CompiledRead(lambda customer_id: Alert.objects.filter(customer_id=customer_id, status__in=("open",))
                        .values("id", "rule", "evidence", owner_name=F("owner__name")))
    rows = read(customer_id=first.pk)
    assert [(r["rule"], r["evidence"], r["owner_name"]) for r in rows] == [
        ("lifecycle_decline", {"stage": "decline", "total_assets": 5311.37}, "王芳")]
    assert read(customer_id=second.pk) == []

    (alert,) = read.instances(Alert, customer_id=first.pk)
    assert isinstance(alert, Alert) and alert.pk == rows[0]["id"]
    assert alert.get_rule_display() == Alert(rule="lifecycle_decline").get_rule_display()
    assert alert.owner_name == "王芳" and alert.evidence["stage"] == "decline"
    assert "level" in alert.get_deferred_fields()  # not read: it would load on access, as with only()


def test_instances_take_the_read_order_whatever_the_model_order(two_customers):
    _advisor, first, _second = two_customers
    read = CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=customer_id).order_by("date")
                        .values("total_assets", "date", "id"))  # not the model's field order
    older, newer = read.instances(Snapshot, customer_id=first.pk)
    assert (older.date, older.total_assets) == (date(2026, 9, 30), Decimal("1200.50"))
    assert (newer.date, newer.total_assets) == (date(2026, 10, 31), Decimal("1300.25"))


def test_misuse_is_refused(two_customers):
    _advisor, first, _second = two_customers
    unused = CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=1).values("id"))
    with pytest.raises(ImproperlyConfigured, match="customer_id"):
        unused(customer_id=first.pk)
    models = CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=customer_id))
    with pytest.raises(ImproperlyConfigured, match="values"):
        models(customer_id=first.pk)
    read, _calls = snapshots_read()
    with pytest.raises(TypeError, match="customer_id"):
        read(customer=first.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_a_prepared_statement_per_session(two_customers, no_statements):
    _advisor, first, second = two_customers
    read, _calls = snapshots_read()
    with CaptureQueriesContext(connection) as ctx:
        read(customer_id=first.pk)
        assert read(customer_id=second.pk)[0]["total_assets"] == Decimal("7.00")
    assert ctx.captured_queries[0]["sql"].startswith("PREPARE ")
    assert ctx.captured_queries[1]["sql"].startswith("EXECUTE ") and "PREPARE" not in ctx.captured_queries[1]["sql"]
    name = ctx.captured_queries[0]["sql"].split()[1]
    assert ctx.captured_queries[1]["sql"].startswith(f"EXECUTE {name}(")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        (statement,) = [row[0] for row in cursor.fetchall()]
    assert "customers_snapshot" in statement and "$1" in statement and "%s" not in statement


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_a_first_run_that_fails_does_not_block_the_next(two_customers):
    """1 / (customer_id - argument) fails for the customer's own id, after its PREPARE has gone through."""
    from django.db import DataError, transaction
    from django.db.models import Value

    _advisor, first, second = two_customers
    read = CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=first.pk).values(
        ratio=Value(1) / (F("customer_id") - customer_id)))
    with pytest.raises(DataError), transaction.atomic():
        read(customer_id=first.pk)
    assert read(customer_id=first.pk + 1) == [{"ratio": -1}, {"ratio": -1}]  # 1 / -1, both snapshots


def test_columns_keep_their_names_when_annotations_come_first(two_customers):
    """values("month", ...) after annotate(month=...): Django 5.2 orders the row's columns as named
    (query.selected), not fields first."""
    _advisor, first, _second = two_customers

    def build(customer_id):
        return (Snapshot.objects.filter(customer_id=customer_id).order_by("date")
                .annotate(month=F("date")).values("month", "total_assets", "id"))
    rows = CompiledRead(build)(customer_id=first.pk)
    assert rows == list(build(first.pk))
    assert rows[0]["month"] == date(2026, 9, 30) and rows[0]["total_assets"] == Decimal("1200.50")


def test_a_threads_compiled_reads_go_with_its_connection():
    """Each thread has its own connection, so its own compiled read; nothing keeps a finished thread's."""
    import gc
    import threading
    import weakref

    from django.db import connections

    from crm.models import JobRun

    calls = []

    def build(run_id):  # a table this test does not write: SQLite's shared test database locks written ones
        calls.append(run_id)
        return JobRun.objects.filter(pk=run_id).values("id")

    read = CompiledRead(build)
    assert read(run_id=1) == []
    held = []

    def in_a_thread():
        try:
            assert read(run_id=1) == []  # another connection: compiled again
        finally:
            held.append(weakref.ref(connections["default"]))
            connections["default"].close()

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    del thread
    gc.collect()
    assert len(calls) == 2 and held[0]() is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_a_session_keeps_a_bounded_number_of_statements(two_customers, monkeypatch, no_statements):
    from crm import compiled

    _advisor, first, _second = two_customers
    monkeypatch.setattr(compiled._SessionStatements, "LIMIT", 2)
    def read_of(name):
        return CompiledRead(lambda customer_id: Snapshot.objects.filter(customer_id=customer_id)
                            .order_by("date").values(name))
    reads = [read_of(name) for name in ("id", "date", "cash")]
    expected = [list(Snapshot.objects.filter(customer_id=first.pk).order_by("date").values(name))
                for name in ("id", "date", "cash")]
    for read, rows in zip(reads, expected, strict=True):  # the third finds two held: they are dropped first
        assert read(customer_id=first.pk) == rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SHOW plan_cache_mode")  # the sessions' setting (crm/settings/base.py)
        assert cursor.fetchone()[0] == "force_generic_plan"
    assert reads[0](customer_id=first.pk) == expected[0]  # dropped, so prepared again


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_a_statement_that_stopped_working_is_prepared_again(two_customers, no_statements):
    from django.db import DatabaseError, transaction

    _advisor, first, _second = two_customers
    read, _calls = snapshots_read()
    assert len(read(customer_id=first.pk)) == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a DISCARD ALL or a restarted pooler connection would
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        read(customer_id=first.pk)
    assert len(read(customer_id=first.pk)) == 2
