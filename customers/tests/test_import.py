"""Back-office import: every kind of bad input is reported by line and field, nothing is half-written."""
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.imports.engine import import_file
from customers.models import AdvisorCapacityPolicy, Customer, Role, Snapshot, Staff
from customers.tests.factories import CustomerFactory, StaffFactory, office

SNAP_HEADER = ("customer_code,date,total_assets,securities_value,equity_fund_value,fixed_income_value,"
               "reits_trust_value,other_product_value,cash,margin_debt,maintenance_ratio")
CUST_HEADER = ("customer_code,name,kind,office_code,advisor_code,investment_advisor_code,risk_level,risk_assessed_on,"
               "id_number,id_expires_on,phone,birth_date,opened_on,first_funded_on,closed_on,prior_experience,"
               "permissions,commission_rate")


def csv_bytes(header, *rows):
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def book(db):
    wa = StaffFactory(staff_code="W001", role=Role.WEALTH_ADVISOR)
    ia = StaffFactory(staff_code="I001", role=Role.INVESTMENT_ADVISOR)
    a = CustomerFactory(customer_code="A1", advisor=wa)
    b = CustomerFactory(customer_code="B2", advisor=wa)
    return {"wa": wa, "ia": ia, "a": a, "b": b}


def snap(code="A1", day="2026-10-31", total="1000", sec="600", eq="100", fi="100", reits="0", other="0", cash="200",
         debt="0", ratio=""):
    return ",".join([code, day, total, sec, eq, fi, reits, other, cash, debt, ratio])


def errors_of(result):
    return [(e["line"], e["field"]) for e in result.errors]


def test_valid_snapshots_are_written_with_exact_values(book):
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("B2", total="50.5", sec="50.5", eq="0",
                                                                          fi="0", cash="0")))
    assert result.errors == []
    assert (result.inserted, result.updated) == (2, 0)
    row = Snapshot.objects.get(customer=book["a"])
    assert row.total_assets == Decimal("1000.00") and row.cash == Decimal("200.00")
    assert row.maintenance_ratio is None


@pytest.mark.parametrize(
    "row, line_field",
    [
        (snap(total="abc"), (2, "total_assets")),  # wrong type
        (snap(day="2026-13-01"), (2, "date")),  # impossible date
        (snap(day="31/10/2026"), (2, "date")),  # not ISO
        (snap(code="ZZ999"), (2, "customer_code")),  # unknown customer
        (snap(total="-1000", sec="-1000", eq="0", fi="0", cash="0"), (2, "total_assets")),  # negative amount
        (snap(total="5000"), (2, "total_assets")),  # parts do not add up
        (snap(code=""), (2, "customer_code")),  # required value missing
        (snap(ratio="541582816.67"), (2, "maintenance_ratio")),  # beyond the column's range
    ],
    ids=["type", "date", "date-format", "unknown-customer", "negative", "sum", "required", "range"],
)
def test_bad_snapshot_row_rejects_whole_file(book, row, line_field):
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap("B2"), row))
    assert not result.written
    assert line_field[0] + 1 in [e["line"] for e in result.errors]  # the bad row is line 3 (header, good row)
    assert (line_field[0] + 1, line_field[1]) in errors_of(result)
    assert Snapshot.objects.count() == 0  # the good row was not written either


def test_every_error_is_listed_not_just_the_first(book):
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(total="x"), snap("NOPE"), snap("B2", cash="-5")))
    assert (2, "total_assets") in errors_of(result)
    assert (3, "customer_code") in errors_of(result)
    assert (4, "cash") in errors_of(result)


def test_duplicate_key_names_the_first_line(book):
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("B2"), snap()))
    [dup] = [e for e in result.errors if e["field"] == "customer_code+date"]
    assert dup["line"] == 4 and "line 2" in dup["message"]
    assert Snapshot.objects.count() == 0


def test_missing_column_is_reported_on_the_header_line(book):
    header = SNAP_HEADER.replace(",cash", "")
    row = ",".join(snap().split(",")[:8] + snap().split(",")[9:])
    result = import_file("snapshots", csv_bytes(header, row))
    assert (1, "cash") in errors_of(result)
    assert not result.written


def test_bad_encoding_is_reported_by_line(book):
    raw = csv_bytes(SNAP_HEADER, snap(), snap("B2")) + "A1,2026-11-30,1,1,0,0,0,0,0,0,\n".encode("gbk") + \
        "客户".encode("gbk") + b",2026-11-30,1,1,0,0,0,0,0,0,\n"
    result = import_file("snapshots", raw)
    assert [e["line"] for e in result.errors] == [5]
    assert "UTF-8" in result.errors[0]["message"]
    assert Snapshot.objects.count() == 0


def test_wrong_number_of_fields(book):
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap() + ",extra"))
    assert result.errors[0]["line"] == 2 and "fields" in result.errors[0]["message"]


def test_empty_file(book):
    result = import_file("snapshots", b"")
    assert not result.written and result.errors[0]["line"] == 1


def test_reimport_changes_nothing_and_a_later_file_updates(book):
    data = csv_bytes(SNAP_HEADER, snap(), snap("B2"))
    first = import_file("snapshots", data)
    assert (first.inserted, first.updated) == (2, 0)
    again = import_file("snapshots", data)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    later = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(total="1100", cash="300"), snap("B2")))
    assert (later.inserted, later.updated, later.unchanged) == (0, 1, 1)
    assert Snapshot.objects.get(customer=book["a"]).cash == Decimal("300.00")


def test_skip_invalid_imports_good_rows_and_writes_rejects(book, tmp_path):
    path = tmp_path / "snap.csv"
    path.write_bytes(csv_bytes(SNAP_HEADER, snap(), snap("NOPE"), snap("B2", total="oops")))
    rejects = tmp_path / "rejects.csv"
    call_command("import_backoffice", "snapshots", str(path), "--skip-invalid", "--rejects", str(rejects),
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert list(Snapshot.objects.values_list("customer__customer_code", flat=True)) == ["A1"]
    text = rejects.read_text()
    assert "NOPE" in text and "unknown customer" in text and "is not a number" in text
    assert len(text.strip().splitlines()) == 3  # header + two rejected rows


def test_command_exits_non_zero_and_prints_each_error(book, tmp_path):
    path = tmp_path / "snap.csv"
    path.write_bytes(csv_bytes(SNAP_HEADER, snap(total="x"), snap("NOPE")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected, nothing written"):
        call_command("import_backoffice", "snapshots", str(path), stdout=io.StringIO(), stderr=err)
    assert "snap.csv:2: total_assets ('x'): is not a number" in err.getvalue()
    assert "snap.csv:3: customer_code ('NOPE'): unknown customer" in err.getvalue()


def customer_row(code="N1", advisor="W001", ia="", office_code="CS", kind="retail", risk="C3", opened="2020-01-02",
                 funded="2020-01-10", closed="", perms="margin;star_market", rate="0.8"):
    return ",".join([code, "新客户", kind, office_code, advisor, ia, risk, "2025-06-01", "430102199001011234",
                     "2030-01-01", "13800000000", "1990-01-01", opened, funded, closed, "yes", perms, rate])


def test_customers_import_creates_and_updates(book):
    result = import_file("customers", csv_bytes(CUST_HEADER, customer_row(), customer_row("A1", ia="I001")))
    assert result.errors == []
    assert (result.inserted, result.updated) == (1, 1)
    new = Customer.objects.get(customer_code="N1")
    assert new.permissions == ["margin", "star_market"] and new.commission_rate == Decimal("0.8")
    assert Customer.objects.get(customer_code="A1").investment_advisor == book["ia"]


@pytest.mark.parametrize(
    "row, field",
    [
        (customer_row(office_code="XX"), "office_code"),  # unknown office
        (customer_row(advisor="NOBODY"), "advisor_code"),  # unknown advisor
        (customer_row(advisor="I001"), "advisor_code"),  # not a wealth advisor
        (customer_row(ia="W001"), "investment_advisor_code"),  # not an investment advisor
        (customer_row(kind="vip"), "kind"),  # enum
        (customer_row(risk="C9"), "risk_level"),
        (customer_row(perms="margin;moon"), "permissions"),
        (customer_row(opened="", funded="2020-01-10"), "first_funded_on"),
        (customer_row(closed="2019-01-01"), "closed_on"),
        (customer_row(rate="-0.1"), "commission_rate"),
    ],
)
def test_bad_customer_rows(book, row, field):
    result = import_file("customers", csv_bytes(CUST_HEADER, row))
    assert (2, field) in errors_of(result)
    assert not Customer.objects.filter(customer_code="N1").exists()


def test_capacity_cap_is_enforced_on_import(book):
    AdvisorCapacityPolicy.objects.create(wealth_advisor_cap=3, investment_advisor_cap=400, institutional_advisor_cap=40)
    # W001 already serves A1 and B2: a cap of 3 leaves room for exactly one more.
    result = import_file("customers", csv_bytes(CUST_HEADER, customer_row("N1"), customer_row("N2")))
    assert errors_of(result) == [(3, "advisor_code")]
    assert "3" in result.errors[0]["message"]
    # Re-importing an existing customer of the advisor does not count twice.
    ok = import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1"), customer_row("B2"), customer_row("N1")))
    assert ok.errors == []


def test_staff_import_links_users_and_checks_grades(db):
    header = "staff_code,name,office_code,role,grade,username"
    good = csv_bytes(header, "S1,张三,CS,investment_advisor,senior,zhangsan", "S2,李四,HY,wealth_advisor,,lisi")
    result = import_file("staff", good)
    assert result.errors == [] and result.inserted == 2
    assert Staff.objects.get(staff_code="S1").user.username == "zhangsan"
    assert Staff.objects.get(staff_code="S2").office == office("HY")
    bad = import_file("staff", csv_bytes(header, "S3,王五,CS,investment_advisor,,ww", "S4,赵六,CS,operations,chief,"))
    assert errors_of(bad) == [(2, "grade"), (3, "grade")]


def test_activity_allows_negative_pnl_but_not_negative_trades(book):
    header = "customer_code,date,trade_count,traded_amount,commission_income,product_income,transfer_in,transfer_out,pnl"
    ok = import_file("activity", csv_bytes(header, "A1,2026-11-02,3,30000,15,0,0,0,-1200.5"))
    assert ok.errors == []
    bad = import_file("activity", csv_bytes(header, "A1,2026-11-03,-1,30000,15,0,0,0,0", "A1,2026-11-04,1.5,1,0,0,0,0,0"))
    assert errors_of(bad) == [(2, "trade_count"), (3, "trade_count")]


@pytest.mark.parametrize(
    "dataset, header, row",
    [
        ("ipo_quotas", "customer_code,date,sh_units,sz_units", "A1,2026-11-20,12,30"),
        ("applications", "customer_code,filed_on,kind,status", "A1,2026-11-20,close,filed"),
        ("events", "customer_code,date,kind,amount,due_on", "A1,2026-11-20,ipo_win,12000,2026-11-23"),
    ],
)
def test_other_datasets_import_idempotently(book, dataset, header, row):
    first = import_file(dataset, csv_bytes(header, row))
    assert first.errors == [] and first.inserted == 1
    second = import_file(dataset, csv_bytes(header, row))
    assert (second.inserted, second.updated) == (0, 0)
    broken = import_file(dataset, csv_bytes(header, row.replace("A1", "GHOST")))
    assert (2, "customer_code") in errors_of(broken)
