"""Data scope: an advisor never reaches another advisor's customer; office roles never leave their office."""
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import AuditEvent
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, office

# Every way a customer can be read: (name, url builder, how "visible" shows in the response).
# "how" is the trace a returned customer leaves (a search box echoes the query, so not the bare code).
READ_PATHS = [
    ("list page", lambda c: reverse("customers:list"), "link"),
    ("search", lambda c: reverse("customers:list") + f"?q={c.customer_code}", "link"),
    ("detail page", lambda c: reverse("customers:detail", args=[c.customer_code]), "status"),
    ("api list", lambda c: "/api/customers/customers/?page_size=500", "json"),
    ("api search", lambda c: f"/api/customers/customers/?q={c.customer_code}", "json"),
    ("api filter by advisor", lambda c: f"/api/customers/customers/?advisor={c.advisor.staff_code}", "json"),
    ("api detail", lambda c: f"/api/customers/customers/{c.customer_code}/", "status"),
    ("csv export", lambda c: reverse("customers:export", args=["csv"]), "csv"),
    ("csv export by code", lambda c: reverse("customers:export", args=["csv"]) + f"?q={c.customer_code}", "csv"),
]


def can_read(client, customer, url, how):
    response = client.get(url)
    if how == "status":
        assert response.status_code in (200, 404)
        return response.status_code == 200
    assert response.status_code == 200
    if how == "json":
        return customer.customer_code in [row["customer_code"] for row in response.json()["results"]]
    if how == "csv":
        return f"\n{customer.customer_code},".encode() in response.content
    return f'href="/customers/{customer.customer_code}/"'.encode() in response.content


@pytest.fixture
def branch(db):
    wa1 = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    wa2 = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, with_user=True)
    far_wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("HY"))
    return {
        "wa1": wa1,
        "mine": CustomerFactory(customer_code="MINE01", advisor=wa1),
        "theirs": CustomerFactory(customer_code="THEIRS1", advisor=wa2),
        "advised": CustomerFactory(customer_code="ADVISED1", advisor=wa2, investment_advisor=ia),
        "far": CustomerFactory(customer_code="FAR0001", advisor=far_wa, office=office("HY")),
        "ia": ia,
    }


def staff_of(role, office_code="CS"):
    return StaffFactory(role=role, office=office(office_code), with_user=True)


@pytest.mark.parametrize("name, url, how", READ_PATHS, ids=[p[0] for p in READ_PATHS])
@pytest.mark.parametrize(
    "viewer, expected",
    [
        ("wa1", {"mine"}),
        ("ia", {"advised"}),
        (Role.OPERATIONS, {"mine", "theirs", "advised"}),
        (Role.OFFICE_MANAGER, {"mine", "theirs", "advised"}),
        (Role.BRANCH_MANAGER, {"mine", "theirs", "advised", "far"}),
        (Role.COMPLIANCE, {"mine", "theirs", "advised", "far"}),
    ],
)
def test_read_scope_matrix(branch, client_for, name, url, how, viewer, expected):
    staff = branch[viewer] if viewer in branch else staff_of(viewer)
    client = client_for(staff)
    for key in ("mine", "theirs", "advised", "far"):
        customer = branch[key]
        assert can_read(client, customer, url(customer), how) == (key in expected), (name, viewer, key)


def test_user_without_staff_record_sees_nothing(branch, django_user_model, client):
    user = django_user_model.objects.create_user("stranger", password="pw")
    client.force_login(user)
    assert client.get("/api/customers/customers/").status_code == 403
    assert client.get(reverse("customers:list")).status_code == 403
    assert client.get(reverse("customers:detail", args=["MINE01"])).status_code == 403


def test_anonymous_is_sent_to_login_or_refused(branch, client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/api/customers/customers/").status_code in (401, 403)
    assert client.get("/api/schema/").status_code in (401, 403)


def test_advisor_cannot_change_another_advisors_customer(branch, client_for):
    client = client_for(branch["wa1"])
    before = branch["theirs"].interactions.count()
    url = reverse("customers:log-interaction", args=["THEIRS1"])
    assert client.post(url, {"channel": "phone", "summary": "x"}).status_code == 404
    assert branch["theirs"].interactions.count() == before
    assert client.post(reverse("customers:reveal", args=["THEIRS1", "phone"])).status_code == 404
    assert client.post(reverse("customers:assign", args=["MINE01"]), {"advisor": branch["wa1"].pk}).status_code == 403


def test_pii_is_masked_and_reveal_is_audited(branch, client_for):
    client = client_for(branch["wa1"])
    page = client.get(reverse("customers:detail", args=["MINE01"])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    api = client.get("/api/customers/customers/MINE01/").json()
    assert api["phone"] == "138****5678" and api["id_number"] == "430***********1234"
    assert client.post(reverse("customers:reveal", args=["MINE01", "id_number"])).status_code == 403
    response = client.post(reverse("customers:reveal", args=["MINE01", "phone"]))
    assert response.json() == {"field": "phone", "value": "13812345678"}
    event = AuditEvent.objects.get(action="pii.view")
    assert event.actor == branch["wa1"].user and event.detail == {"field": "phone"}


def test_exports_are_audited(branch, client_for):
    client_for(branch["wa1"]).get(reverse("customers:export", args=["xlsx"]))
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "customers" and event.detail["rows"] == 1


def test_customer_detail_reads_one_customer_within_each_kind_of_reach(db):
    """The customer page's compiled read (one per kind of reach): the same answer as the scope's filter."""
    from django.contrib.auth import get_user_model

    from customers import selectors
    from customers.models import Customer
    from customers.tests.factories import TierFactory

    advisor = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    investment_advisor = StaffFactory(role=Role.INVESTMENT_ADVISOR, office=advisor.office, with_user=True)
    operations = StaffFactory(role=Role.OPERATIONS, office=advisor.office, with_user=True)
    other_office = StaffFactory(role=Role.OPERATIONS, office=office("XS"), with_user=True)
    manager = StaffFactory(role=Role.BRANCH_MANAGER, with_user=True)
    tiered = TierFactory(customer=CustomerFactory(advisor=advisor, investment_advisor=investment_advisor),
                         star="4", clv=Decimal("1234.50")).customer
    untiered = CustomerFactory(advisor=advisor)
    superuser = get_user_model().objects.create_superuser("root", password="x")

    for user, sees in ((advisor.user, {tiered, untiered}), (investment_advisor.user, {tiered}),
                       (operations.user, {tiered, untiered}), (other_office.user, set()),
                       (manager.user, {tiered, untiered}), (superuser, {tiered, untiered})):
        for customer in (tiered, untiered):
            if customer in sees:
                found = selectors.customer_detail(user, customer.customer_code)
                assert (found.pk, found.name, found.advisor_id) == (customer.pk, customer.name, customer.advisor_id)
            else:
                with pytest.raises(Customer.DoesNotExist):
                    selectors.customer_detail(user, customer.customer_code)

    found = selectors.customer_detail(advisor.user, tiered.customer_code)
    assert (found.tier.star, found.tier.clv, found.tier.customer is found) == ("4", Decimal("1234.50"), True)
    with pytest.raises(Customer.tier.RelatedObjectDoesNotExist):
        _ = selectors.customer_detail(advisor.user, untiered.customer_code).tier
    with pytest.raises(Customer.DoesNotExist):
        selectors.customer_detail(manager.user, "NO-SUCH-CODE")
