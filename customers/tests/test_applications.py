"""Closing / transfer-out applications handled by operations staff: the services' rules, the data scope, the
pages (list, export, filing, accept / withdraw) and the API."""
import csv
import io
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import AuditEvent
from customers import applications
from customers.models import Application, Customer, Role
from customers.tests.factories import CustomerFactory, StaffFactory, office

TODAY = timezone.localdate


@pytest.fixture
def w(db):
    """Two offices; in CS an advisor with a customer, a colleague's customer, operations staff and a manager."""
    cs, xs = office("CS"), office("XS")
    opened = date(2020, 1, 1)
    advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True)
    colleague = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True)
    far_advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=xs, with_user=True)
    return {
        "advisor": advisor,
        "ops": StaffFactory(role=Role.OPERATIONS, office=cs, with_user=True),
        "far_ops": StaffFactory(role=Role.OPERATIONS, office=xs, with_user=True),
        "office_manager": StaffFactory(role=Role.OFFICE_MANAGER, office=cs, with_user=True),
        "branch_manager": StaffFactory(role=Role.BRANCH_MANAGER, office=xs, with_user=True),
        "compliance": StaffFactory(role=Role.COMPLIANCE, office=cs, with_user=True),
        "own": CustomerFactory(advisor=advisor, office=cs, customer_code="OWN01", name="Own Customer",
                               opened_on=opened),
        "near": CustomerFactory(advisor=colleague, office=cs, customer_code="NEAR01", name="Near Customer",
                                opened_on=opened),
        "far": CustomerFactory(advisor=far_advisor, office=xs, customer_code="FAR01", name="Far Customer",
                               opened_on=opened),
    }


def file(w, who="ops", code="OWN01", kind="close", filed_on=None, **kwargs):
    return applications.file_application(actor=w[who].user, customer_code=code, kind=kind, filed_on=filed_on,
                                         **kwargs)


def nothing_written(before_apps, before_audit):
    return Application.objects.count() == before_apps and AuditEvent.objects.count() == before_audit


# --- services: filing ---------------------------------------------------------------------------------

def test_filing_creates_a_filed_application_and_one_audit_event(w):
    application = file(w, filed_on=TODAY() - timedelta(days=2), note=" at the counter ")
    assert (application.status, application.kind, application.customer) == ("filed", "close", w["own"])
    event = AuditEvent.objects.get(action="application.file")
    assert event.actor == w["ops"].user
    assert (event.object_type, event.object_id) == ("customers.application", str(application.pk))
    assert event.detail == {"customer": "OWN01", "kind": "close", "filed_on": application.filed_on.isoformat(),
                            "note": "at the counter"}


def test_filing_defaults_to_today(w):
    assert file(w).filed_on == TODAY()


@pytest.mark.parametrize("who", ["ops", "office_manager", "branch_manager"])
def test_operations_and_managers_file(w, who):
    assert file(w, who=who, code="NEAR01").pk


@pytest.mark.parametrize("who", ["advisor", "compliance"])
def test_advisors_and_compliance_do_not_file(w, who):
    with pytest.raises(PermissionDenied):
        file(w, who=who)
    assert nothing_written(0, 0)


@pytest.mark.parametrize("setup, kwargs, field", [
    (None, {"code": "GHOST"}, "customer_code"),
    (None, {"code": ""}, "customer_code"),
    (None, {"code": "FAR01"}, "customer_code"),  # another office: out of scope reads like absent
    ("closed", {}, "customer_code"),
    ("prospect", {}, "customer_code"),
    (None, {"kind": "open"}, "kind"),
    (None, {"filed_on": "tomorrow"}, "filed_on"),
    (None, {"filed_on": date(2019, 12, 31)}, "filed_on"),  # before the account was opened
    ("same_day", {"filed_on": date(2026, 1, 5)}, "filed_on"),
    ("pending", {"filed_on": date(2026, 1, 6)}, "kind"),
])
def test_each_filing_rule_refuses_and_writes_nothing(w, setup, kwargs, field):
    customer = w["own"]
    if setup == "closed":
        Customer.objects.filter(pk=customer.pk).update(closed_on=date(2025, 6, 30))
    elif setup == "prospect":
        Customer.objects.filter(pk=customer.pk).update(opened_on=None)
    elif setup in ("same_day", "pending"):
        Application.objects.create(customer=customer, filed_on=date(2026, 1, 5), kind="close")
    if kwargs.get("filed_on") == "tomorrow":
        kwargs["filed_on"] = TODAY() + timedelta(days=1)
    before_apps, before_audit = Application.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        file(w, **kwargs)
    assert field in exc.value.message_dict
    assert nothing_written(before_apps, before_audit)


def test_every_error_is_reported_at_once(w):
    with pytest.raises(ValidationError) as exc:
        file(w, code="GHOST", kind="open", filed_on=TODAY() + timedelta(days=3))
    assert set(exc.value.message_dict) == {"customer_code", "kind", "filed_on"}


def test_out_of_scope_and_unknown_customers_read_alike(w):
    messages = []
    for code in ("FAR01", "NOPE1"):
        with pytest.raises(ValidationError) as exc:
            file(w, code=code)
        messages.append(exc.value.message_dict["customer_code"][0].replace(code, "X"))
    assert messages[0] == messages[1]


def test_other_kind_same_day_and_a_new_one_after_a_withdrawal_are_allowed(w):
    first = file(w, kind="close", filed_on=date(2026, 1, 5))
    file(w, kind="transfer_out", filed_on=date(2026, 1, 5))
    applications.transition_application(application_id=first.pk, actor=w["ops"].user, to="withdrawn")
    file(w, kind="close", filed_on=date(2026, 1, 7))
    assert Application.objects.filter(customer=w["own"]).count() == 3


def test_a_concurrent_duplicate_is_refused_without_half_writes(w):
    """The import wrote the same customer, day and kind between the checks and the insert."""
    Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 5), kind="close", status="withdrawn")
    with mock.patch.object(applications, "_customer_errors", return_value={}), \
            pytest.raises(ValidationError) as exc:
        file(w, filed_on=date(2026, 1, 5))
    assert "filed_on" in exc.value.message_dict
    assert nothing_written(1, 0)


def test_a_failing_audit_write_leaves_no_application(w):
    with mock.patch.object(applications, "audit", side_effect=RuntimeError("audit down")), \
            pytest.raises(RuntimeError):
        file(w)
    assert nothing_written(0, 0)


# --- services: accept and withdraw --------------------------------------------------------------------

@pytest.mark.parametrize("to, action", [("accepted", "application.accept"), ("withdrawn", "application.withdraw")])
def test_a_filed_application_is_accepted_or_withdrawn_and_audited(w, to, action):
    application = Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 5), kind="transfer_out")
    applications.transition_application(application_id=application.pk, actor=w["office_manager"].user, to=to,
                                        note="customer confirmed")
    application.refresh_from_db()
    assert application.status == to
    event = AuditEvent.objects.get()
    assert event.action == action and event.actor == w["office_manager"].user
    assert event.detail["before"] == "filed" and event.detail["after"] == to
    assert event.detail["note"] == "customer confirmed" and event.detail["customer"] == "OWN01"


def test_accepting_a_closing_does_not_close_the_account(w):
    application = Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 5), kind="close")
    applications.transition_application(application_id=application.pk, actor=w["ops"].user, to="accepted")
    w["own"].refresh_from_db()
    assert w["own"].closed_on is None  # the back-office import reports the closure; tiering reads "accepted"


@pytest.mark.parametrize("start, to", [
    ("accepted", "withdrawn"), ("withdrawn", "accepted"), ("accepted", "accepted"), ("filed", "filed"),
    ("filed", "bogus"),
])
def test_forbidden_transitions_change_nothing(w, start, to):
    application = Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 5), kind="close",
                                             status=start)
    with pytest.raises(ValidationError) as exc:
        applications.transition_application(application_id=application.pk, actor=w["ops"].user, to=to)
    assert "to" in exc.value.message_dict
    application.refresh_from_db()
    assert application.status == start and not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["advisor", "compliance"])
def test_read_only_roles_do_not_transition(w, who):
    application = Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 5), kind="close")
    with pytest.raises(PermissionDenied):
        applications.transition_application(application_id=application.pk, actor=w[who].user, to="accepted")
    application.refresh_from_db()
    assert application.status == "filed" and not AuditEvent.objects.exists()


def test_out_of_scope_transition_is_not_found(w):
    application = Application.objects.create(customer=w["far"], filed_on=date(2026, 1, 5), kind="close")
    with pytest.raises(applications.ApplicationNotFound):
        applications.transition_application(application_id=application.pk, actor=w["ops"].user, to="accepted")
    with pytest.raises(applications.ApplicationNotFound):
        applications.transition_application(application_id=10**9, actor=w["ops"].user, to="accepted")
    application.refresh_from_db()
    assert application.status == "filed" and not AuditEvent.objects.exists()
    applications.transition_application(application_id=application.pk, actor=w["branch_manager"].user,
                                        to="accepted")


# --- scope --------------------------------------------------------------------------------------------

@pytest.fixture
def filed(w):
    return {key: Application.objects.create(customer=w[key], filed_on=date(2026, 1, 5), kind="close")
            for key in ("own", "near", "far")}


@pytest.mark.parametrize("who, visible", [
    ("advisor", {"own"}),
    ("ops", {"own", "near"}),
    ("office_manager", {"own", "near"}),
    ("far_ops", {"far"}),
    ("branch_manager", {"own", "near", "far"}),
    ("compliance", {"own", "near", "far"}),
])
def test_each_role_sees_its_scope(w, filed, who, visible):
    seen = set(applications.application_list(w[who].user).values_list("pk", flat=True))
    assert seen == {filed[key].pk for key in visible}


def test_a_user_without_staff_sees_nothing(w, filed, django_user_model):
    user = django_user_model.objects.create_user("stranger", password="pw")
    assert not applications.application_list(user).exists()


# --- pages --------------------------------------------------------------------------------------------

def page_text(response):
    return response.content.decode()


def test_list_page_shows_the_scope_and_filters(w, filed, client_for):
    Application.objects.create(customer=w["near"], filed_on=date(2025, 12, 1), kind="transfer_out",
                               status="accepted")
    client = client_for(w["ops"])
    url = reverse("customers:applications")
    text = page_text(client.get(url))
    assert "Own Customer" in text and "Near Customer" in text and "Far Customer" not in text
    assert "Accept" in text and reverse("customers:applications-new") in text
    assert client.get(url, {"status": "accepted"}).context["page"].paginator.count == 1
    assert client.get(url, {"kind": "transfer_out"}).context["page"].paginator.count == 1
    assert client.get(url, {"customer": "NEAR01"}).context["page"].paginator.count == 2
    assert client.get(url, {"office": "CS"}).context["page"].paginator.count == 3
    assert client.get(url, {"office": "XS"}).context["page"].paginator.count == 0
    assert client.get(url, {"date_from": "2026-01-01"}).context["page"].paginator.count == 2
    assert client.get(url, {"date_to": "2025-12-31"}).context["page"].paginator.count == 1
    assert client.get(url, {"date_from": "not a date"}).status_code == 200


def test_advisors_read_their_customers_applications_without_buttons(w, filed, client_for):
    response = client_for(w["advisor"]).get(reverse("customers:applications"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Own Customer" in text and "Near Customer" not in text and "Far Customer" not in text
    assert reverse("customers:applications-transition", args=[filed["own"].pk]) not in text
    assert reverse("customers:applications-new") not in text


def test_list_page_is_paginated_on_the_server(w, client_for):
    for i in range(30):
        Application.objects.create(customer=w["own"], filed_on=date(2025, 1, 1) + timedelta(days=i), kind="close",
                                   status="withdrawn")
    response = client_for(w["ops"]).get(reverse("customers:applications"), {"per_page": 25, "page": 2})
    assert len(response.context["page"].object_list) == 5
    assert response.context["page"].paginator.count == 30


def test_anonymous_users_are_sent_to_the_login(db):
    response = Client().get(reverse("customers:applications"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_list_page_runs_a_constant_number_of_queries(w, client_for, django_assert_max_num_queries):
    client = client_for(w["ops"])
    url = reverse("customers:applications") + "?per_page=200"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    Application.objects.create(customer=w["own"], filed_on=date(2026, 1, 1), kind="close")
    few = count()
    for i in range(40):
        customer = CustomerFactory(office=office("CS"), opened_on=date(2020, 1, 1))
        Application.objects.create(customer=customer, filed_on=date(2026, 1, 2), kind="close")
    assert count() == few
    with django_assert_max_num_queries(12):
        client.get(url)


def test_csv_export_follows_the_filters_and_the_scope_and_is_audited(w, filed, client_for):
    Application.objects.create(customer=w["near"], filed_on=date(2025, 12, 1), kind="transfer_out",
                               status="accepted")
    response = client_for(w["ops"]).get(reverse("customers:applications-export", args=["csv"]), {"kind": "close"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Application", "Customer code", "Name", "Office", "Kind", "Status", "Filed on"]
    assert sorted(rows[1:]) == sorted([
        [str(filed["own"].pk), "OWN01", "Own Customer", "CS", "Close account", "Filed", "2026-01-05"],
        [str(filed["near"].pk), "NEAR01", "Near Customer", "CS", "Close account", "Filed", "2026-01-05"],
    ])
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "applications" and event.detail["rows"] == 2


def test_xlsx_export_and_unknown_formats(w, filed, client_for):
    client = client_for(w["advisor"])
    response = client.get(reverse("customers:applications-export", args=["xlsx"]))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert client.get(reverse("customers:applications-export", args=["pdf"])).status_code == 404


def test_filing_form(w, client_for):
    client = client_for(w["ops"])
    url = reverse("customers:applications-new")
    response = client.get(url, {"customer": "OWN01"})
    assert response.status_code == 200
    assert response.context["form"].initial["customer_code"] == "OWN01"
    response = client.post(url, {"customer_code": "OWN01", "kind": "transfer_out",
                                 "filed_on": TODAY().isoformat(), "note": ""})
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.customer, application.kind, application.status) == (w["own"], "transfer_out", "filed")
    assert AuditEvent.objects.filter(action="application.file", object_id=str(application.pk)).exists()


def test_filing_form_shows_the_services_errors_on_their_fields(w, client_for):
    client = client_for(w["ops"])
    response = client.post(reverse("customers:applications-new"), {
        "customer_code": "FAR01", "kind": "close", "filed_on": (TODAY() + timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"customer_code", "filed_on"}
    assert "Far Customer" not in page_text(response)
    assert not Application.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["advisor", "compliance"])
def test_read_only_roles_get_no_filing_form(w, client_for, who):
    client = client_for(w[who])
    assert client.get(reverse("customers:applications-new")).status_code == 403
    response = client.post(reverse("customers:applications-new"), {"customer_code": "OWN01", "kind": "close",
                                                                   "filed_on": TODAY().isoformat()})
    assert response.status_code == 403 and not Application.objects.exists()


def test_accept_and_withdraw_buttons(w, filed, client_for):
    client = client_for(w["ops"])
    back = reverse("customers:applications") + "?status=filed"
    response = client.post(reverse("customers:applications-transition", args=[filed["own"].pk]),
                           {"to": "accepted", "note": "signed", "next": back})
    assert response.status_code == 302 and response.url == back
    response = client.post(reverse("customers:applications-transition", args=[filed["near"].pk]),
                           {"to": "withdrawn", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("customers:applications")
    filed["own"].refresh_from_db()
    filed["near"].refresh_from_db()
    assert (filed["own"].status, filed["near"].status) == ("accepted", "withdrawn")
    assert AuditEvent.objects.filter(action__in=["application.accept", "application.withdraw"]).count() == 2
    # a second decision is refused with a message, nothing changes
    response = client.post(reverse("customers:applications-transition", args=[filed["own"].pk]),
                           {"to": "withdrawn"}, follow=True)
    assert "cannot become" in page_text(response)
    filed["own"].refresh_from_db()
    assert filed["own"].status == "accepted"
    # an unknown decision is a form error
    response = client.post(reverse("customers:applications-transition", args=[filed["own"].pk]),
                           {"to": "filed"}, follow=True)
    assert "Decision" in page_text(response)


def test_transition_page_scope_roles_and_method(w, filed, client_for):
    url = reverse("customers:applications-transition", args=[filed["far"].pk])
    assert client_for(w["ops"]).post(url, {"to": "accepted"}).status_code == 404
    own_url = reverse("customers:applications-transition", args=[filed["own"].pk])
    assert client_for(w["advisor"]).post(own_url, {"to": "accepted"}).status_code == 403
    assert client_for(w["compliance"]).post(own_url, {"to": "accepted"}).status_code == 403
    assert client_for(w["ops"]).get(own_url).status_code == 405
    assert set(Application.objects.values_list("status", flat=True)) == {"filed"}
    assert not AuditEvent.objects.exists()


def test_posts_need_the_csrf_token(w, filed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w["ops"].user)
    url = reverse("customers:applications-transition", args=[filed["own"].pk])
    assert client.post(url, {"to": "accepted"}).status_code == 403
    page = client.get(reverse("customers:applications"))
    token = page.cookies["csrftoken"].value
    assert client.post(url, {"to": "accepted", "csrfmiddlewaretoken": token}).status_code == 302
    filed["own"].refresh_from_db()
    assert filed["own"].status == "accepted"


def test_the_worklist_links_to_the_applications(w, client_for):
    response = client_for(w["ops"]).get(reverse("surveys:worklist"))
    assert reverse("customers:applications") in page_text(response)


# --- API ----------------------------------------------------------------------------------------------

API = "/api/customers/applications/"


def test_api_list_uses_the_scope_and_the_filters(w, filed, client_for):
    body = client_for(w["advisor"]).get(API).json()
    assert [row["customer_code"] for row in body["results"]] == ["OWN01"]
    assert body["results"][0] == {"id": filed["own"].pk, "customer_code": "OWN01", "office": "CS",
                                  "filed_on": "2026-01-05", "kind": "close", "status": "filed"}
    client = client_for(w["ops"])
    assert client.get(API).json()["count"] == 2
    assert client.get(API, {"customer": "FAR01"}).json()["count"] == 0
    assert client.get(API, {"status": "accepted"}).json()["count"] == 0
    assert client.get(API, {"status": "nonsense"}).status_code == 400
    assert client.get(f"{API}{filed['far'].pk}/").status_code == 404
    assert client.get(f"{API}{filed['near'].pk}/").status_code == 200


def test_api_files_with_the_services_validation(w, client_for):
    client = client_for(w["ops"])
    response = client.post(API, {"customer_code": "OWN01", "kind": "close"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["status"] == "filed" and response.json()["filed_on"] == TODAY().isoformat()
    response = client.post(API, {"customer_code": "OWN01", "kind": "close"}, content_type="application/json")
    assert response.status_code == 400 and "filed_on" in response.json()
    response = client.post(API, {"customer_code": "FAR01", "kind": "leave"}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"customer_code", "kind"}
    response = client.post(API, {"kind": "close"}, content_type="application/json")
    assert response.status_code == 400 and "customer_code" in response.json()
    assert Application.objects.count() == 1
    response = client_for(w["advisor"]).post(API, {"customer_code": "OWN01", "kind": "transfer_out"},
                                             content_type="application/json")
    assert response.status_code == 403 and Application.objects.count() == 1


def test_api_transition(w, filed, client_for):
    client = client_for(w["ops"])
    url = f"{API}{filed['own'].pk}/transition/"
    response = client.post(url, {"to": "accepted"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    response = client.post(url, {"to": "withdrawn"}, content_type="application/json")
    assert response.status_code == 400 and "to" in response.json()
    assert client.post(f"{API}{filed['far'].pk}/transition/", {"to": "accepted"},
                       content_type="application/json").status_code == 404
    assert client.post(f"{API}abc/transition/", {"to": "accepted"}, content_type="application/json").status_code \
        == 404
    assert client_for(w["advisor"]).post(url, {"to": "withdrawn"},
                                         content_type="application/json").status_code == 403
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["application.accept"]


def test_api_needs_a_login(db):
    assert Client().get(API).status_code in (401, 403)
