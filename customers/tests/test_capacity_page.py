"""Issue 20: the advisor capacity caps on a page for the branch manager: a new audited version per change, the
assignment service reads the newest, other roles read or are refused."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import AuditEvent
from customers import services
from customers.models import AdvisorCapacityPolicy, Role
from customers.tests.factories import CustomerFactory, StaffFactory, office

pytestmark = pytest.mark.django_db

DEFAULTS = {"wealth_advisor_cap": 800, "investment_advisor_cap": 400, "institutional_advisor_cap": 40}


def _staff(role):
    return StaffFactory(role=role, office=office("CS"), with_user=True)


def test_branch_manager_saves_caps_as_a_new_version_that_assignment_obeys(client_for):
    bm_staff = _staff(Role.BRANCH_MANAGER)
    bm = client_for(bm_staff)
    page = bm.get(reverse("customers:capacity"))
    assert page.status_code == 200 and "Wealth advisor" in page.content.decode()
    before = AdvisorCapacityPolicy.objects.count()
    response = bm.post(reverse("customers:capacity"), {**DEFAULTS, "wealth_advisor_cap": 2, "note": "pilot"})
    assert response.status_code == 302
    response = bm.post(reverse("customers:capacity"), {**DEFAULTS, "wealth_advisor_cap": 1, "note": "tighter"})
    assert AdvisorCapacityPolicy.objects.count() == before + 2  # two new versions, none edited in place
    first = AdvisorCapacityPolicy.objects.get(note="pilot")
    assert first.wealth_advisor_cap == 2
    event = AuditEvent.objects.get(action="capacity_policy.create", object_id=str(
        AdvisorCapacityPolicy.objects.get(note="tighter").pk))
    assert event.detail["before"]["wealth_advisor_cap"] == 2 and event.detail["after"]["wealth_advisor_cap"] == 1
    # the newest version is in force: an advisor with one open account is at the cap of 1
    advisor = _staff(Role.WEALTH_ADVISOR)
    CustomerFactory(advisor=advisor, office=office("CS"))
    newcomer = CustomerFactory(advisor=None, office=office("CS"))
    with pytest.raises(ValidationError):
        services.assign_advisor(customer=newcomer, advisor=advisor, actor=bm_staff.user)
    page = bm.get(reverse("customers:capacity"))
    html = page.content.decode()
    assert "Wealth advisor: 2 → <strong>1</strong>" in html  # the history in words
    wealth = next(r for r in page.context["loads"] if r["cap"] == 1)
    assert (wealth["advisors"], wealth["largest"], wealth["at_cap"]) == (1, 1, 1)


def test_bad_caps_are_field_errors_and_nothing_is_saved(client_for):
    bm = client_for(_staff(Role.BRANCH_MANAGER))
    before = AdvisorCapacityPolicy.objects.count()
    page = bm.post(reverse("customers:capacity"), {**DEFAULTS, "wealth_advisor_cap": 0, "investment_advisor_cap": "x"})
    errors = page.context["form"].errors
    assert set(errors) == {"wealth_advisor_cap", "investment_advisor_cap"}
    assert errors["wealth_advisor_cap"] == ["a whole number of customers from 1 to 100,000"]
    assert AdvisorCapacityPolicy.objects.count() == before


def test_only_the_branch_manager_changes_caps(client_for):
    before = AdvisorCapacityPolicy.objects.count()
    for role in (Role.OFFICE_MANAGER, Role.COMPLIANCE):
        client = client_for(_staff(role))
        assert client.get(reverse("customers:capacity")).status_code == 200
        assert client.post(reverse("customers:capacity"), {**DEFAULTS, "note": "x"}).status_code == 403
    for role in (Role.OPERATIONS, Role.WEALTH_ADVISOR):
        assert client_for(_staff(role)).get(reverse("customers:capacity")).status_code == 403
    assert AdvisorCapacityPolicy.objects.count() == before


def test_capacity_page_runs_constant_queries(client_for):
    bm_staff = _staff(Role.BRANCH_MANAGER)
    bm = client_for(bm_staff)
    CustomerFactory(advisor=_staff(Role.WEALTH_ADVISOR), office=office("CS"))
    bm.get(reverse("customers:capacity"))
    with CaptureQueriesContext(connection) as first:
        bm.get(reverse("customers:capacity"))
    assert len(first) <= 12
    for n in range(4):
        advisor = _staff(Role.WEALTH_ADVISOR)
        CustomerFactory(advisor=advisor, office=office("CS"))
        bm.post(reverse("customers:capacity"), {**DEFAULTS, "wealth_advisor_cap": 10 + n})
    with CaptureQueriesContext(connection) as later:
        bm.get(reverse("customers:capacity"))
    assert len(later) == len(first)  # four more advisors and versions, the same queries
