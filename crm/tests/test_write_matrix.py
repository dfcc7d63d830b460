"""The write-permission matrix, twin of the read-scope matrix (test_scope_matrix.py): every URL pattern and API
route, discovered from the resolver, is POSTed to as every role against objects *inside* that role's data scope.

- a route that declares a write action (`@writes`, `write_actions`) refuses every role the table
  (customers.rights.WRITE_RIGHTS) does not allow — 403, and not a row or audit event changes — and lets every role
  it allows past the table;
- a route that declares nothing writes nothing, even for a superuser;
- every action of the table is declared by at least one route, so the table and the views cannot drift apart.

The read matrix covers objects outside the scope; this one covers what a role may change inside it."""
import pytest
from django.urls import resolve

from crm.models import AuditEvent
from crm.tests.test_scope_matrix import ROUTE_OBJECTS, Objects, concrete, row_counts, routes
from customers.models import Customer, Role
from customers.rights import WRITE_RIGHTS, Write
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, UserFactory, office

# Routes whose parameters name no customer's object: the values a write to them would use.
FIXED_PARAMS = {
    "customers:tiering-policy": {"version": 1},
    "customers:tiering-policy-activate": {"version": 1},
    "products:detail": {"code": "P"}, "products:edit": {"code": "P"}, "products:retire": {"code": "P"},
    "products:push": {"code": "P"}, "product-detail": {"code": "P"},
    "surveys:file": {"code": "S2020"}, "surveys:report": {"code": "S2020"}, "survey-report": {"code": "S2020"},
    "questionnaire-detail": {"code": "S2020"},
    "surveys:questionnaire-new": {"code": "S2020"}, "surveys:questionnaire-version": {"code": "S2020", "version": 1},
}
# A body with a plausible value for every field a write form reads, so a write that is let through can happen.
BODY = {"to": "acknowledged", "note": "matrix", "advisor": "", "star": "5", "reason": "matrix",
        "expires_on": "2030-01-01", "channel": "phone", "summary": "matrix", "outcome": "no_answer",
        "action": "release", "retired": "1", "month": "2026-12-01", "kind": "close", "filed_on": "2026-12-01",
        "customer_code": "", "params": "{}", "product": "P", "waive_min_investment": "on"}
ROLES = [*Role.values, "superuser"]


def declared_write(url):
    """The write action a POST to `url` declares, or None."""
    match = resolve(url)
    view = match.func
    if hasattr(view, "write_action"):
        return view.write_action
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is None:
        return None
    actions = getattr(cls, "write_actions", {}) or {}
    mapping = getattr(view, "actions", None)  # a viewset route: {"post": "create"}
    if mapping is not None:
        return actions.get(mapping.get("post")) if "post" in mapping else None
    return actions.get("POST")


def _product_code():
    from products.models import Product

    return Product.objects.order_by("pk").values_list("code", flat=True).first()


def _staff(role):
    if role == "superuser":
        return StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True,
                            user=UserFactory(is_superuser=True, is_staff=True))
    return StaffFactory(role=role, office=office("CS"), with_user=True)


def _urls(objects, product_code):
    """(url, route name) of every route, its parameters naming objects inside the caller's scope."""
    for path, name, params in routes():
        if not params:
            yield concrete(path, {}), name
            continue
        make = ROUTE_OBJECTS.get(name)
        values = make(objects) if make else dict(FIXED_PARAMS[name])
        if values.get("code") == "P":
            values["code"] = product_code
        yield concrete(path, values), name


def _world(role):
    """The caller and one customer of theirs (an advisor's own, else in their office) with an object of
    every kind; a second CS advisor owns the customer when the caller is not an advisor."""
    me = _staff(role)
    advisor = me if role in (Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR, Role.INSTITUTIONAL_ADVISOR) else \
        StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True)
    customer = CustomerFactory(advisor=advisor, office=office("CS"), customer_code="MINE0001", name="In Scope")
    TierFactory(customer=customer, star="4", total_assets=600_000)
    objects = Objects(customer, me if role != "superuser" else advisor)
    # the follow-up task belongs to the caller, so closing it is the caller's own (an object rule, not a role's)
    objects.task.owner = me
    objects.task.save(update_fields=["owner"])
    return me, objects


def _may(role, action):
    return role == "superuser" or role in WRITE_RIGHTS[action]


def _changes():
    """What a write leaves behind: every row count of our apps and the audit events that are not reads."""
    return row_counts(), AuditEvent.objects.exclude(action__in=("export", "pii.view")).count()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_writes_exactly_what_the_table_allows(db, role, client_for):
    me, objects = _world(role)
    client = client_for(me)
    product_code = _product_code()
    refused = passed = 0
    for url, name in _urls(objects, product_code):
        action = declared_write(url)
        if action is None:
            continue
        before = _changes()
        owner_before = Customer.objects.values_list("advisor_id", flat=True).get(pk=objects.customer.pk)
        response = client.post(url, BODY)
        assert response.status_code < 500, (role, url, response.status_code)
        if _may(role, action):
            assert response.status_code != 403 or not getattr(response.wsgi_request, "refused_write", None), \
                (role, url, "refused by the table")
            passed += 1
        else:
            assert response.status_code == 403, (role, url, action, response.status_code)
            assert _changes() == before, (role, url, action)
            assert Customer.objects.values_list("advisor_id", flat=True).get(pk=objects.customer.pk) == owner_before
            refused += 1
    allowed = sum(_may(role, a) for a in Write)
    assert passed + refused >= 25 and (refused > 0) == (allowed < len(Write)), (role, passed, refused)


def test_compliance_writes_nothing_but_reveals(db):
    """The spec's read-only role: of the whole table, compliance may only reveal (audited) and read its own
    notifications."""
    granted = {a for a in Write if Role.COMPLIANCE in WRITE_RIGHTS[a]}
    assert granted == {Write.REVEAL_PHONE, Write.REVEAL_ID, Write.READ_OWN_NOTIFICATIONS}


def test_a_route_that_declares_no_write_writes_nothing(db, client_for):
    """Even a superuser (whom the table lets do everything) changes nothing through an undeclared route: any
    view that writes must say what it writes, or this test finds it."""
    me, objects = _world("superuser")
    client = client_for(me)
    undeclared = 0
    for url, name in _urls(objects, _product_code()):
        if declared_write(url) is not None:
            continue
        before = _changes()
        response = client.post(url, BODY)
        assert response.status_code < 500, (url, response.status_code)
        assert _changes() == before, (url, name)
        undeclared += 1
    assert undeclared >= 30


def test_every_action_of_the_table_is_declared_by_a_route(db):
    me, objects = _world(Role.WEALTH_ADVISOR)
    declared = {declared_write(url) for url, _ in _urls(objects, _product_code())}
    # Asked by services behind a declared route: a manager's close shares the task page, an ID reveal the reveal
    # route, a staff file the import upload (the survey policy has its pages since issue 20).
    assert set(Write) - declared == {Write.MANAGER_CLOSE_SURVEY_TASK, Write.REVEAL_ID, Write.UPLOAD_STAFF}


def test_an_api_write_that_declares_nothing_is_refused(db, client_for):
    """crm.api.permissions.IsStaffMember: an unsafe method on a view without `write_actions` is a 403 for
    everyone, a superuser included — a new endpoint is read-only until it names its action."""
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView
    from rest_framework.response import Response

    from crm.api.permissions import IsStaffMember

    class Undeclared(APIView):
        permission_classes = [IsStaffMember]

        def post(self, request):
            return Response({"wrote": True})

    class Declared(Undeclared):
        write_actions = {"POST": Write.LOG_CONTACT}

    me = _staff("superuser")
    compliance = _staff(Role.COMPLIANCE)
    for view, user, status in ((Undeclared, me.user, 403), (Declared, me.user, 200),
                               (Declared, compliance.user, 403)):
        request = APIRequestFactory().post("/x/", {})
        request.user = user
        from rest_framework.test import force_authenticate

        force_authenticate(request, user=user)
        assert view.as_view()(request).status_code == status, (view.__name__, status)



def test_compliance_can_neither_log_a_contact_nor_run_the_reclassification(db, client_for):
    """Finding 3 of the trust-boundary review, as the attack: compliance (read-only in the spec) logged contacts
    on any customer and launched *Run now* of the reclassification."""
    from crm.models import JobRun
    from customers.models import Interaction

    _, objects = _world(Role.WEALTH_ADVISOR)
    compliance = client_for(_staff(Role.COMPLIANCE))
    code = objects.customer.customer_code
    assert compliance.get(f"/customers/{code}/").status_code == 200  # reads everything
    response = compliance.post(f"/customers/{code}/interactions/", {"channel": "phone", "summary": "called"})
    assert response.status_code == 403 and not Interaction.objects.exists()
    assert compliance.post("/customers/tiering/run/").status_code == 403
    assert not JobRun.objects.filter(job="reclassify").exists()
    page = compliance.get("/customers/tiering/").content.decode()
    assert "/customers/tiering/run/" not in page  # no button that would only answer 403
    assert 'id="contact-form"' not in compliance.get(f"/customers/{code}/").content.decode()  # nor a log form
