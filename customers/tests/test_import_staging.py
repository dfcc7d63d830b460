"""Issue 22: on PostgreSQL the per-customer datasets are checked and written through a staging table with SQL;
the pandas path (SQLite, and files that cannot be staged line for line) must give the very same errors.

Each bad file below is imported twice on PostgreSQL, through the staging path and through the pandas path,
and the two results must agree error for error (line, field, value, message), in count and in what was
written. The expected errors of the files are pinned by hand in test_import.py and in the cases marked here."""
import pytest
from django.db import connection

from customers.imports import staging
from customers.imports.engine import import_file
from customers.models import Application, DailyActivity, Event, IpoQuota, Office, Snapshot
from customers.tests.factories import CustomerFactory
from customers.tests.test_import import SNAP_HEADER, csv_bytes, snap

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the staging path is PostgreSQL's")

ACT_HEADER = "customer_code,date,trade_count,traded_amount,commission_income,product_income,transfer_in,transfer_out,pnl"
EVENT_HEADER = "customer_code,date,kind,amount,due_on"
APP_HEADER = "customer_code,filed_on,kind,status"
QUOTA_HEADER = "customer_code,date,sh_units,sz_units"

BAD_FILES = {
    "snapshot-types": ("snapshots", csv_bytes(
        SNAP_HEADER, snap(), snap("B2", total="abc"), snap(day="2026-13-01"), snap(day="31/10/2026"),
        snap(day="2026-02-29"), snap(day="1850-01-01"), snap(day="0000-01-01"), snap(day=" 2026-10-30 "),
        snap(code="ZZ999"), snap(code=""), snap(cash="-5"), snap(total="5000"), snap(ratio="541582816.67"),
        snap(total="inf"), snap(total="nan"), snap(total="1e400"), snap(total="-Infinity"), snap(sec="inf"), snap(total=" 1000 "), snap(cash="  "),
        snap(total="-1e16", sec="0", eq="0", fi="0", cash="0"), snap(debt="1_000"), snap(cash="-0.00001"),
        snap(total="1e3", day="2026-11-01"), snap("A1", day="2026-10-30"))),
    "snapshot-duplicates": ("snapshots", csv_bytes(
        SNAP_HEADER, snap(), snap("B2"), snap(" A1 "), snap("B2", day="2026-11-30"), snap("B2"))),
    "activity": ("activity", csv_bytes(
        ACT_HEADER, "A1,2026-11-02,3,30000,15,0,0,0,-1200.5", "A1,2026-11-03,-1,30000,15,0,0,0,0",
        "A1,2026-11-04,1.5,1,0,0,0,0,0", "A1,2026-11-05,3.0,1,0,0,0,0,0", "B2,2026-11-05,99999999999,1,0,0,0,0,0",
        "GHOST,2026-11-05,x,-1,0,0,0,0,abc", "B2,2026-11-06,,,,,,,")),
    "events": ("events", csv_bytes(
        EVENT_HEADER, "A1,2026-11-20,ipo_win,12000,2026-11-23", "A1,2026-11-20,lottery,12000,2026-11-23",
        "A1,2026-11-20,ipo_win,12000,2026-11-23", "B2,2026-11-20, ipo_win ,-1,")),
    "applications": ("applications", csv_bytes(APP_HEADER, "A1,2026-11-20,close,filed", "A1,2026-11-20,close,lost")),
    "ipo_quotas": ("ipo_quotas", csv_bytes(QUOTA_HEADER, "A1,2026-11-20,12,30", "B2,2026-11-20,1e3,2147483648")),
    # The file's form: Windows line ends; a byte-order mark, a column the dataset does not know, the columns in
    # another order and no end of line after the last row.
    "crlf": ("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("NOPE")).replace(b"\n", b"\r\n")),
    "bom-extra-column": ("ipo_quotas", "\ufeffnote,sz_units,date,customer_code,sh_units\nx,1,2026-11-20,A1,2\n"
                                       "y,-1,2026-11-20,NOPE,2".encode()),
}
# Files the staging path hands to the pandas path (their lines cannot be staged one for one).
UNSTAGED = {
    "blank-line": ("snapshots", csv_bytes(SNAP_HEADER, snap(), "", snap("NOPE"))),
    "field-count": ("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("B2") + ",9")),
    "bad-encoding": ("snapshots", csv_bytes(SNAP_HEADER, snap()) + "客户".encode("gbk") + b",2026-11-30,1,1,0,0,0,0,0,0,\n"),
}


@pytest.fixture
def book(db):
    return {"a": CustomerFactory(customer_code="A1"), "b": CustomerFactory(customer_code="B2")}


@pytest.fixture
def staged(monkeypatch):
    """Counts the files the staging path imported (rather than handing them to the pandas path)."""
    calls = []
    original = staging.import_staged

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result.dataset)
        return result

    monkeypatch.setattr(staging, "import_staged", spy)
    return calls


def through_pandas(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(staging, "applies", lambda *a, **k: False)
        return import_file(*args, **kwargs)


def outcome(result):
    return {"errors": result.errors, "count": result.error_count, "rows": result.rows, "rejected": result.rejected,
            "written": result.written, "inserted": result.inserted, "updated": result.updated}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("skip_invalid", [False, True], ids=["whole-file", "skip-invalid"])
def test_sql_and_pandas_checks_give_the_same_errors(book, staged, monkeypatch, case, skip_invalid):
    dataset, data = BAD_FILES[case]
    model = {"snapshots": Snapshot, "activity": DailyActivity, "events": Event, "applications": Application,
             "ipo_quotas": IpoQuota}[dataset]
    by_sql = import_file(dataset, data, skip_invalid=skip_invalid)
    assert staged == [dataset]  # the staging path checked it
    written_by_sql = sorted(model.objects.values_list("customer_id", "pk"))
    model.objects.all().delete()
    by_pandas = through_pandas(monkeypatch, dataset, data, skip_invalid=skip_invalid)
    assert by_sql.error_count > 0
    assert outcome(by_sql) == outcome(by_pandas)
    assert [c for c, _pk in written_by_sql] == sorted(model.objects.values_list("customer_id", flat=True))


@pytest.mark.parametrize("case", sorted(UNSTAGED))
def test_files_that_cannot_be_staged_line_for_line_are_read_by_the_pandas_path(book, staged, monkeypatch, case):
    dataset, data = UNSTAGED[case]
    result = import_file(dataset, data)
    assert staged == [] and result.error_count > 0 and not result.written
    assert outcome(result) == outcome(through_pandas(monkeypatch, dataset, data))


def test_the_bad_snapshot_file_errors_worked_by_hand(book, staged):
    """A few of the lines above, with the error each must give (line 2 is the header's next line)."""
    result = import_file("snapshots", BAD_FILES["snapshot-types"][1])
    got = {}
    for e in result.errors:  # the first error of each line and field
        got.setdefault((e["line"], e["field"]), (e["value"], e["message"]))
    assert got[(3, "total_assets")] == ("abc", "is not a number")
    assert got[(6, "date")] == ("2026-02-29", "is not a date in the form YYYY-MM-DD")  # 2026 is no leap year
    assert got[(7, "date")] == ("1850-01-01", "is not a plausible date")
    assert (9, "date") not in got  # blanks around a date are stripped
    assert got[(11, "customer_code")] == ("", "is required")
    assert got[(15, "total_assets")] == ("inf", "is not a number")
    assert got[(17, "total_assets")] == ("1e400", "is not a number")
    assert got[(19, "securities_value")] == ("inf", "is not a number")
    assert (20, "total_assets") not in got  # " 1000 " is a number
    assert got[(22, "total_assets")] == ("-1e16", "must not be negative")  # negative wins over too large
    assert (24, "cash") not in got  # -0.00001 rounds to 0 at four places
    assert (25, "total_assets") not in got  # 1e3 is 1000 = 600 + 100 + 100 + 200
    assert got[(26, "customer_code+date")] == ("A1, 2026-10-30", "duplicate key, first seen on line 9")
    assert staged == ["snapshots"]


@pytest.fixture
def worded(monkeypatch):
    """Counts the files checked as text, error by error (the typed try found a row that fails)."""
    calls = []
    original = staging._check

    def spy(*args, **kwargs):
        calls.append(args[2].name)
        return original(*args, **kwargs)

    monkeypatch.setattr(staging, "_check", spy)
    return calls


def test_a_good_file_is_written_from_the_staging_table_and_reimported_unchanged(book, staged, worded):
    data = csv_bytes(SNAP_HEADER, snap(), snap("B2", total="50.555", sec="50.555", eq="0", fi="0", cash="0",
                                               ratio="130.5"))
    first = import_file("snapshots", data)
    assert (first.errors, first.inserted, first.updated, first.rows) == ([], 2, 0, 2)
    b2 = Snapshot.objects.get(customer=book["b"])
    assert str(b2.total_assets) == "50.56" and str(b2.maintenance_ratio) == "130.50"  # numeric rounds half up
    again = import_file("snapshots", data)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    later = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(total="1100", cash="300"), snap("B2", day="2026-11-02"),
                                               snap("B2", total="50.555", sec="50.555", eq="0", fi="0", cash="0",
                                                    ratio="130.5")))
    assert (later.inserted, later.updated, later.unchanged) == (1, 1, 1)
    assert str(Snapshot.objects.get(customer=book["a"]).cash) == "300.00"
    assert staged == ["snapshots"] * 3
    assert worded == []  # each good file was decided by the typed try alone (new day, unchanged, mixed)


def test_a_repeated_key_in_a_good_looking_new_day_is_found(book, staged, worded):
    # Every row passes on its own; only the table's unique key sees line 4 repeat line 2 on the typed try.
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("B2"), snap()))
    assert [(e["line"], e["field"], e["message"]) for e in result.errors] == [
        (4, "customer_code+date", "duplicate key, first seen on line 2")]
    assert Snapshot.objects.count() == 0 and worded == ["snapshots"]
    # The same on a day already in the table (found by comparing with it, not by the unique key).
    import_file("snapshots", csv_bytes(SNAP_HEADER, snap(), snap("B2")))
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap("B2", cash="300", total="1100"), snap(), snap()))
    assert [(e["line"], e["field"]) for e in result.errors] == [(4, "customer_code+date")]
    assert str(Snapshot.objects.get(customer=book["b"]).cash) == "200.00"  # nothing written


def test_activity_whole_numbers_and_quoted_fields_stage(book, staged):
    data = csv_bytes(ACT_HEADER, '"A1","2026-11-02","3.0","30000","15","0","0","0","-1200.5"')
    result = import_file("activity", data)
    assert (result.errors, result.inserted) == ([], 1)
    row = DailyActivity.objects.get()
    assert row.trade_count == 3 and str(row.pnl) == "-1200.50"
    assert staged == ["activity"]


def test_a_field_across_lines_goes_to_the_pandas_path_with_the_right_lines(book, staged):
    # Line 3's customer code holds a line break: the staging rows no longer match the file's lines.
    data = csv_bytes(SNAP_HEADER, snap(), '"B\n2",' + snap("B2").split(",", 1)[1], snap("NOPE"))
    result = import_file("snapshots", data)
    assert [(e["line"], e["field"]) for e in result.errors] == [(3, "customer_code"), (5, "customer_code")]
    assert staged == []


def test_an_office_role_upload_is_refused_for_another_offices_customer(book, staged):
    from customers.imports.uploader import Uploader

    other = Office.objects.exclude(pk=book["a"].office_id).first()
    uploader = Uploader(user=None, office_id=other.pk, may_assign=False)
    result = import_file("snapshots", csv_bytes(SNAP_HEADER, snap()), uploader=uploader, skip_invalid=True)
    assert result.refused and not result.written
    assert [(e["line"], e["field"], e["value"], e["message"]) for e in result.errors] == [
        (2, "office_code", book["a"].office.code, "outside your office")]
    assert Snapshot.objects.count() == 0 and staged == ["snapshots"]
    assert connection.vendor == "postgresql"
