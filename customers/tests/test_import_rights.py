"""Issue 17: an upload is checked against its uploader (the attacks of findings 1 and 2); the system's own feeds
(the command, the drop folder) still write anything; every role or assignment change an import makes is audited."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from crm.models import AuditEvent, JobRun
from customers import services
from customers.models import (
    Application,
    Customer,
    DailyActivity,
    Event,
    ImportBatch,
    IpoQuota,
    Role,
    Snapshot,
    Staff,
)
from customers.tests.factories import CustomerFactory, StaffFactory, office
from customers.tests.test_import import (
    CUST_HEADER,
    SNAP_HEADER,
    csv_bytes,
    customer_row,
    snap,
)

STAFF_HEADER = "staff_code,name,office_code,role,grade,username"


def upload(user, dataset, data, skip_invalid=False):
    """An upload as the page makes it (stored, then checked by the worker's service)."""
    batch = services.create_import_batch(dataset=dataset, uploaded=SimpleUploadedFile(f"{dataset}.csv", data),
                                         user=user, skip_invalid=skip_invalid)
    return services.process_import_batch(batch.pk)


def said(batch):
    """The errors as the command prints them: line: field (value): problem."""
    return [f"{e['line']}: {e['field']} ({e['value']}): {e['message']}" for e in batch.errors]


@pytest.fixture
def branch(db):
    cs_wa = StaffFactory(staff_code="W001", role=Role.WEALTH_ADVISOR, office=office("CS"))
    xs_wa = StaffFactory(staff_code="W002", role=Role.WEALTH_ADVISOR, office=office("XS"))
    xs_wa2 = StaffFactory(staff_code="W003", role=Role.WEALTH_ADVISOR, office=office("XS"))
    return {
        "cs_wa": cs_wa, "xs_wa": xs_wa, "xs_wa2": xs_wa2,
        "cs_customer": CustomerFactory(customer_code="CS1", office=office("CS"), advisor=cs_wa, risk_level="C1"),
        "xs_customer": CustomerFactory(customer_code="XS1", office=office("XS"), advisor=xs_wa, risk_level="C1"),
        "xs_ops": StaffFactory(staff_code="O001", role=Role.OPERATIONS, office=office("XS"), with_user=True),
        "xs_om": StaffFactory(staff_code="M001", role=Role.OFFICE_MANAGER, office=office("XS"), with_user=True),
        "bm": StaffFactory(staff_code="B001", role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True),
    }


# --- finding 1: staff files --------------------------------------------------------------------------------
def test_operations_promoting_themself_is_refused_before_queueing(branch):
    ops = branch["xs_ops"]
    data = csv_bytes(STAFF_HEADER, f"O001,{ops.name},XS,branch_manager,,{ops.user.username}")
    with pytest.raises(ValidationError, match="only branch managers may import staff"):
        services.create_import_batch(dataset="staff", uploaded=SimpleUploadedFile("s.csv", data), user=ops.user)
    assert not ImportBatch.objects.exists()
    # A batch stored anyway (before a role change, or past the form) is refused by the worker too.
    batch = ImportBatch.objects.create(dataset="staff", filename="s.csv", content=data, uploaded_by=ops.user)
    batch = services.process_import_batch(batch.pk)
    assert batch.status == ImportBatch.Status.REJECTED
    assert said(batch) == ["1:  (): only branch managers may import staff"]
    assert Staff.objects.get(staff_code="O001").role == Role.OPERATIONS


def test_office_manager_cannot_upload_staff_either(branch):
    data = csv_bytes(STAFF_HEADER, "W002,x,XS,office_manager,,")
    with pytest.raises(ValidationError):
        upload(branch["xs_om"].user, "staff", data)
    assert Staff.objects.get(staff_code="W002").role == Role.WEALTH_ADVISOR


def test_branch_manager_cannot_change_their_own_role_or_login(branch):
    bm = branch["bm"]
    own_role = upload(bm.user, "staff", csv_bytes(STAFF_HEADER, f"B001,{bm.name},CS,compliance,,{bm.user.username}"))
    assert own_role.status == ImportBatch.Status.REJECTED
    assert said(own_role) == ["2: role (compliance): you cannot change your own role"]
    # Their login handed to another row (which would then be the one scope_for finds) is refused too.
    other_row = upload(bm.user, "staff", csv_bytes(STAFF_HEADER, f"B001,{bm.name},CS,branch_manager,,{bm.user.username}",
                                                   f"Z001,替身,CS,compliance,,{bm.user.username}"))
    assert other_row.status == ImportBatch.Status.REJECTED
    assert f"3: username ({bm.user.username}): is your own login: it cannot be given to another staff row" \
        in said(other_row)
    assert Staff.objects.get(staff_code="B001").role == Role.BRANCH_MANAGER
    assert not Staff.objects.filter(staff_code="Z001").exists()


def test_branch_manager_changes_another_role_applied_and_audited(branch):
    bm = branch["bm"]
    data = csv_bytes(STAFF_HEADER, f"B001,{bm.name},CS,branch_manager,,{bm.user.username}", "W002,x,XS,office_manager,,w002")
    batch = upload(bm.user, "staff", data)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Staff.objects.get(staff_code="W002").role == Role.OFFICE_MANAGER
    [event] = AuditEvent.objects.filter(action="staff.role")
    assert event.actor == bm.user and event.object_id == str(branch["xs_wa"].pk)
    assert (event.detail["before"], event.detail["after"], event.detail["file"]) == (
        "wealth_advisor", "office_manager", "staff.csv")


def test_a_staff_members_office_moved_by_import_is_audited(branch):
    """An office is a data scope: moving an advisor from XS to CS gives them CS's customers to see. The review
    of issue 17 found role and login audited but not the office."""
    bm = branch["bm"]
    data = csv_bytes(STAFF_HEADER, f"B001,{bm.name},CS,branch_manager,,{bm.user.username}", "W002,x,CS,wealth_advisor,,")
    batch = upload(bm.user, "staff", data)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    [event] = AuditEvent.objects.filter(action="staff.office")
    assert event.object_id == str(branch["xs_wa"].pk)
    assert (event.detail["before"], event.detail["after"], event.detail["source"]) == ("XS", "CS", "import")


# --- finding 2: rows outside the uploader's office -----------------------------------------------------------
def test_operations_of_xs_changing_a_cs_customers_risk_level_rejects_the_whole_file(branch):
    data = csv_bytes(CUST_HEADER, customer_row("XS1", advisor="W002", office_code="XS", risk="C2"),
                     customer_row("CS1", advisor="W001", office_code="CS", risk="C5"))
    for skip_invalid in (False, True):  # refused whole, even when bad rows may be skipped
        batch = upload(branch["xs_ops"].user, "customers", data, skip_invalid=skip_invalid)
        assert batch.status == ImportBatch.Status.REJECTED
        assert said(batch) == ["3: advisor_code (W001): outside your office",
                               "3: office_code (CS): outside your office"]
    assert set(Customer.objects.values_list("customer_code", "risk_level")) == {("CS1", "C1"), ("XS1", "C1")}


@pytest.mark.parametrize("code, office_code, shown", [
    ("CS1", "XS", "CS"),  # a CS customer moved into XS
    ("XS1", "CS", "CS"),  # an XS customer moved out to CS
    ("NEW1", "CS", "CS"),  # a new customer of CS
])
def test_moving_a_customer_across_the_office_line_is_outside(branch, code, office_code, shown):
    batch = upload(branch["xs_om"].user, "customers", csv_bytes(CUST_HEADER, customer_row(code, advisor="",
                                                                                             office_code=office_code)))
    assert said(batch) == [f"2: office_code ({shown}): outside your office"]
    assert not Customer.objects.filter(customer_code="NEW1").exists()
    assert Customer.objects.get(customer_code="CS1").office.code == "CS"
    assert Customer.objects.get(customer_code="XS1").office.code == "XS"


KEYED = [
    ("snapshots", SNAP_HEADER, lambda code: snap(code), Snapshot),
    ("activity", ("customer_code,date,trade_count,traded_amount,commission_income,product_income,transfer_in,"
                  "transfer_out,pnl"), lambda code: f"{code},2026-11-02,3,30000,15,0,0,0,-1200.5", DailyActivity),
    ("ipo_quotas", "customer_code,date,sh_units,sz_units", lambda code: f"{code},2026-11-20,12,30", IpoQuota),
    ("applications", "customer_code,filed_on,kind,status", lambda code: f"{code},2026-11-20,close,filed", Application),
    ("events", "customer_code,date,kind,amount,due_on", lambda code: f"{code},2026-11-20,ipo_win,12000,2026-11-23",
     Event),
]


@pytest.mark.parametrize("dataset, header, row, model", KEYED, ids=[k[0] for k in KEYED])
def test_customer_keyed_rows_of_another_office_reject_the_file(branch, dataset, header, row, model):
    ops = branch["xs_ops"].user
    refused = upload(ops, dataset, csv_bytes(header, row("XS1"), row("CS1")), skip_invalid=True)
    assert said(refused) == ["3: office_code (CS): outside your office"]
    assert model.objects.count() == 0
    own = upload(ops, dataset, csv_bytes(header, row("XS1")))
    assert own.status == ImportBatch.Status.IMPORTED and model.objects.count() == 1


def test_the_system_still_writes_anything(branch, tmp_path, settings):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes(CUST_HEADER, customer_row("CS1", advisor="W001", office_code="CS", risk="C5")))
    call_command("import_backoffice", "customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Customer.objects.get(customer_code="CS1").risk_level == "C5"
    from customers.tasks import import_backoffice_drop

    settings.BACKOFFICE_DROP_DIR = tmp_path / "drop"
    settings.BACKOFFICE_DROP_DIR.mkdir()
    (settings.BACKOFFICE_DROP_DIR / "staff.csv").write_bytes(csv_bytes(STAFF_HEADER, "O001,x,XS,branch_manager,,"))
    assert import_backoffice_drop()["staff.csv"]["updated"] == 1
    assert Staff.objects.get(staff_code="O001").role == Role.BRANCH_MANAGER


# --- assignments ---------------------------------------------------------------------------------------------
def test_operations_cannot_reassign_through_an_import(branch):
    batch = upload(branch["xs_ops"].user, "customers", csv_bytes(CUST_HEADER, customer_row("XS1", advisor="W003",
                                                                                             office_code="XS")))
    assert said(batch) == ["2: advisor_code (W003): only managers may reassign customers"]
    assert Customer.objects.get(customer_code="XS1").advisor == branch["xs_wa"]


def test_an_office_managers_reassignment_is_applied_and_audited_with_before_and_after(branch):
    om = branch["xs_om"].user
    batch = upload(om, "customers", csv_bytes(CUST_HEADER, customer_row("XS1", advisor="W003", office_code="XS")))
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Customer.objects.get(customer_code="XS1").advisor == branch["xs_wa2"]
    [event] = AuditEvent.objects.filter(action="customer.assign")
    assert event.actor == om and event.object_id == str(branch["xs_customer"].pk)
    assert {k: event.detail[k] for k in ("customer", "field", "before", "after")} == {
        "customer": "XS1", "field": "advisor", "before": "W002", "after": "W003"}


def test_the_systems_assignment_and_office_changes_are_audited(branch, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes(CUST_HEADER, customer_row("CS1", advisor="W002", office_code="XS"),
                               customer_row("XS1", advisor="W002", office_code="XS", risk="C4")))
    call_command("import_backoffice", "customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    changes = {(e.detail["customer"], e.detail["field"], e.detail["before"], e.detail["after"], e.actor)
               for e in AuditEvent.objects.filter(action="customer.assign")}
    # XS1's risk level changed but not its assignment: no event for it.
    assert changes == {("CS1", "advisor", "W001", "W002", None), ("CS1", "office", "CS", "XS", None)}


# --- the Jobs page ---------------------------------------------------------------------------------------------
def test_jobs_page_shows_a_rejected_import_as_rejected_with_its_error_count(branch, client_for):
    upload(branch["xs_ops"].user, "snapshots", csv_bytes(SNAP_HEADER, snap("XS1", total="x"), snap("GHOST")))
    run = JobRun.objects.get(job="import_backoffice")
    assert run.status == JobRun.Status.REJECTED and run.counts["errors"] == 2
    page = client_for(branch["bm"]).get("/jobs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "table-warning" in page and "2 errors" in page
    assert str(JobRun.Status.SUCCEEDED.label) not in page


def test_the_upload_page_refuses_a_staff_file_from_operations_on_the_form(branch, client_for):
    """Finding 1 through the page itself: the staff file promoting its uploader is refused on the form, before
    anything is stored or queued; the role stays."""
    me = branch["xs_ops"]
    data = csv_bytes(STAFF_HEADER, f"O001,{me.name},XS,branch_manager,,{me.username}")
    response = client_for(me).post("/customers/import/", {
        "dataset": "staff", "file": SimpleUploadedFile("staff.csv", data)})
    assert response.status_code == 200
    assert response.context["form"].errors["dataset"]
    assert not ImportBatch.objects.exists()
    assert Staff.objects.get(pk=me.pk).role == Role.OPERATIONS
