"""API fuzzing: schemathesis against /api/schema/ on a small generated branch.

Every operation the served schema documents is called in-process (Django's WSGI handler) with generated valid
and invalid input, as a branch manager (sees the whole branch) and as a wealth advisor (sees only their book),
authenticated with DRF tokens. Checks: no 5xx, and every response conforms to the schema (documented status
code, content type, headers and body schema). DRF's generic 400/403/404 error answers, which drf-spectacular
does not document, are accepted when they are DRF's JSON error shape (fuzz_support); any other undocumented
status fails.

Bounded for CI: 25 examples per operation and role, derandomized (the same cases on every run), the
coverage and stateful phases off.
"""
import json
from datetime import date
from io import StringIO
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from alerts.models import Alert
from crm.tests.fuzz_support import (
    keep_test_connection,
    served_schema,
    status_code_conformance_or_generic_error,
    wsgi_app,
)
from customers.models import Application, Customer, Role, Staff
from customers.tests.factories import StaffFactory, UserFactory, office

AS_OF = date(2026, 11, 26)
EXAMPLES_PER_OPERATION = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance_or_generic_error,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

CONFIG = {
    "generation": {"with-security-parameters": False},  # credentials are ours, not generated
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def branch(django_db_setup, django_db_blocker):
    """A 200-customer branch, tiered, scanned for alerts, with survey responses, and two logins with tokens.

    Built once for the module inside a transaction rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), keep_test_connection(), transaction.atomic():
        out = StringIO()
        call_command("generate_branch", customers=200, seed=3, as_of=AS_OF, stdout=out)
        call_command("reclassify", f"--date={AS_OF.isoformat()}", stdout=out)
        call_command("scan_alerts", f"--date={AS_OF.isoformat()}", stdout=out)  # alerts to read and transition
        call_command("seed_survey_demo", stdout=out)  # 65 survey responses
        manager = StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True)
        # The wealth advisor with the largest book among the generated staff, given a login.
        advisor = max(
            Staff.objects.filter(role=Role.WEALTH_ADVISOR, user__isnull=True),
            key=lambda staff: Customer.objects.filter(advisor=staff).count(),
        )
        advisor.user = UserFactory(username=f"fuzz-{advisor.staff_code.lower()}")
        advisor.save(update_fields=["user"])
        # an application in the advisor's book, so its detail is fetched as a real object too
        own = Customer.objects.filter(advisor=advisor, closed_on__isnull=True).order_by("id").first()
        Application.objects.get_or_create(customer=own, filed_on=AS_OF, kind=Application.Kind.CLOSE)
        tokens = {
            "branch_manager": Token.objects.create(user=manager.user).key,
            "wealth_advisor": Token.objects.create(user=advisor.user).key,
        }
        alert_ids = list(Alert.objects.order_by("id").values_list("id", flat=True)[:20])
        headers = {role: {"Authorization": f"Token {key}"} for role, key in tokens.items()}
        yield SimpleNamespace(alert_ids=alert_ids, headers=headers)
        transaction.set_rollback(True)


# The schema is built when the module is collected (no database then), exactly as /api/schema/ builds it;
# test_fuzzed_schema_is_the_served_one proves that it is the document the API serves.
SCHEMA = served_schema()
schema = schemathesis.openapi.from_dict(SCHEMA, config=SchemathesisConfig.from_dict(CONFIG))
schema.app = wsgi_app()


def test_fuzzed_schema_is_the_served_one(branch, db):
    response = Client().get("/api/schema/?format=json", headers=branch.headers["branch_manager"])
    assert response.status_code == 200
    assert json.loads(response.content) == SCHEMA
    # customers, products, surveys and alerts all publish operations
    prefixes = {path.split("/")[2] for path in SCHEMA["paths"]}
    assert {"customers", "products", "surveys", "alerts"} <= prefixes


@pytest.mark.django_db
@FUZZ_SETTINGS
@schema.parametrize()
def test_api_as_branch_manager(case, branch):
    case.call_and_validate(headers=branch.headers["branch_manager"], checks=CHECKS)


@pytest.mark.django_db
@FUZZ_SETTINGS
@schema.parametrize()
def test_api_as_wealth_advisor(case, branch):
    case.call_and_validate(headers=branch.headers["wealth_advisor"], checks=CHECKS)


# Random path parameters almost never name a real object, so the detail operations are also called once on a
# real object of each role's view: the first row of the matching list operation.
LOOKUP_SOURCES = {  # detail path prefix without a list operation of its own -> (list path, field)
    "/api/products/recommendations/": ("/api/customers/customers/", "customer_code"),
    "/api/surveys/reports/": ("/api/surveys/questionnaires/", "code"),
}
DETAIL_OPERATIONS = [
    operation
    for result in schema.get_all_operations()
    for operation in [result.ok()]
    if operation.method.upper() == "GET" and "{" in operation.path
]


# Resources a role has no access to at all (customers.rights: advisors run no campaigns): the list is refused.
REFUSED = {"wealth_advisor": ("/api/campaigns/",)}


def _first_value(client, headers, prefix, field, role=None):
    """The `field` of the first row the role sees in the list operation at `prefix` (or its LOOKUP_SOURCES);
    None when it sees none (or, for a resource REFUSED to the role, after checking that the list says 403)."""
    path, field = LOOKUP_SOURCES.get(prefix, (prefix, field))
    response = client.get(path, headers=headers)
    if path.startswith(REFUSED.get(role, ())):
        assert response.status_code == 403, (path, response.status_code)
        return None
    assert response.status_code == 200, (path, response.status_code)
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data  # paginated or not
    return rows[0][field] if rows else None


@pytest.mark.parametrize("role", ["branch_manager", "wealth_advisor"])
@pytest.mark.parametrize("operation", DETAIL_OPERATIONS, ids=lambda operation: operation.label)
def test_detail_operations_on_real_objects(operation, role, branch, db):
    headers = branch.headers[role]
    (param,) = [parameter.name for parameter in operation.path_parameters]
    value = _first_value(Client(), headers, operation.path.split("{")[0], param, role)
    if value is None:
        pytest.skip(f"the {role} sees no object for {operation.label}")
    case = operation.Case(path_parameters={param: value})
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code == 200, (operation.label, value, response.status_code)


# Random ids never name a real alert, and random words are never a status: transitions are also fuzzed on the
# branch's real alerts with bodies that mix the documented vocabulary with generated values.
TRANSITION = schema["/api/alerts/alerts/{id}/transition/"]["POST"]
VOCABULARY = {
    "to": ["open", "acknowledged", "contacted", "resolved", "dismissed"],
    "outcome": ["", "retained", "funds_returned", "lost", "not_a_risk"],
    "channel": ["", "phone", "wechat", "video", "sms", "email", "visit"],
    "amount": [None, "0.01", "1000.00", "9999999999999999.99"],
}
MOSTLY = st.sampled_from([True, True, True, False])  # a documented word three times in four


@pytest.mark.django_db
@settings(FUZZ_SETTINGS, max_examples=4 * EXAMPLES_PER_OPERATION)
@given(case=TRANSITION.as_strategy(), index=st.integers(min_value=0, max_value=19), data=st.data())
def test_alert_transitions_on_real_alerts(case, index, data, branch):
    assert branch.alert_ids, "the scan opened no alert on the generated branch"
    case.path_parameters = {"id": branch.alert_ids[index % len(branch.alert_ids)]}
    if isinstance(case.body, dict):
        for field, words in VOCABULARY.items():
            if data.draw(MOSTLY, label=f"documented {field}"):
                case.body[field] = data.draw(st.sampled_from(words), label=field)
    case.call_and_validate(headers=branch.headers["branch_manager"], checks=CHECKS)
