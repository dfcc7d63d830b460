"""The data-scope matrix: every URL pattern and API route of the project, discovered from the URL resolver,
requested as each role against another book's objects. Out-of-scope objects are never returned or changed
— by id, by code, by search, by export or by a posted action — and operations staff change no tiers,
policies or matrices.

A new route with parameters fails `test_every_route_is_in_the_matrix` until it is added to ROUTE_OBJECTS,
so no endpoint escapes the matrix."""
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from crm.models import AuditEvent
from customers.models import Application, Customer, ImportBatch, Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

SKIPPED_PREFIXES = ("admin/", "i18n/", "static/", "accounts/", "health/", "api/schema/", "api/docs/", "api/redoc/",
                    "api/auth/")
OUR_APPS = ("crm", "customers", "products", "surveys", "alerts", "planner", "outreach", "campaigns")


def routes():
    """(path template, name, parameter names) of every project route, DRF format-suffix variants left out."""
    def walk(patterns, prefix="", names=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{names}{p.namespace}:" if p.namespace else names
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                params = tuple(re.findall(r"\(\?P<(\w+)>", path)) or tuple(re.findall(r"<(?:\w+:)?(\w+)>", path))
                if "format" in params or path.startswith(SKIPPED_PREFIXES):
                    continue
                yield path, f"{names}{p.name}", params
    return sorted(set(walk(get_resolver().url_patterns)))


def concrete(path, values):
    url = path.replace("^", "").replace("$", "")
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), url)  # DRF's regex routes
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), url)
    return "/" + url.replace("\\", "")


# What each route's parameters name, as a function of the foreign customer's objects `o` (None: the route
# shows no customer's data — a catalogue entry, a policy version, a report code — and is role-checked only).
ROUTE_OBJECTS = {
    "customers:detail": lambda o: {"code": o.customer.customer_code},
    "customers:star-override": lambda o: {"code": o.customer.customer_code},
    "customers:reveal": lambda o: {"code": o.customer.customer_code, "field": "phone"},
    "customers:log-interaction": lambda o: {"code": o.customer.customer_code},
    "customers:assign": lambda o: {"code": o.customer.customer_code},
    "customers:import-batch": lambda o: {"pk": o.import_batch.pk},
    "customers:export": lambda o: {"fmt": "csv"},
    "customers:applications-export": lambda o: {"fmt": "csv"},
    "customers:applications-transition": lambda o: {"pk": o.application.pk},
    "customers:tiering-policy": None,
    "customers:tiering-policy-activate": None,
    "customer-detail": lambda o: {"customer_code": o.customer.customer_code},
    "customer-tier-history": lambda o: {"customer_code": o.customer.customer_code},
    "customer-interactions": lambda o: {"customer_code": o.customer.customer_code},
    "application-detail": lambda o: {"pk": o.application.pk},
    "application-transition": lambda o: {"pk": o.application.pk},
    "audit-log-export": lambda o: {"fmt": "csv"},
    "products:override-create": lambda o: {"customer_code": o.customer.customer_code},
    "products:override-revoke": lambda o: {"pk": o.product_override.pk},
    "products:detail": None, "products:edit": None, "products:retire": None, "products:push": None,
    "product-detail": None,
    "recommendations": lambda o: {"customer_code": o.customer.customer_code},
    "surveys:response": lambda o: {"pk": o.survey_response.pk},
    "response-detail": lambda o: {"pk": o.survey_response.pk},
    "surveys:file": None,
    "surveys:plan": lambda o: {"pk": o.plan.pk},
    "surveys:attempt": lambda o: {"pk": o.plan_item.pk},
    "surveys:attempt-undo": lambda o: {"pk": o.survey_response.pk},
    "surveys:task": lambda o: {"pk": o.task.pk},
    "surveys:report": None,
    "survey-report": None,
    "questionnaire-detail": None,
    "surveys:questionnaire-new": None, "surveys:questionnaire-version": None,  # questionnaires, not customers
    "alerts:export": lambda o: {"fmt": "csv"},
    "alerts:detail": lambda o: {"pk": o.alert.pk},
    "alerts:transition": lambda o: {"pk": o.alert.pk},
    "alerts:snooze": lambda o: {"pk": o.alert.pk},
    "alert-detail": lambda o: {"pk": o.alert.pk},
    "alert-transition": lambda o: {"pk": o.alert.pk},
    "alert-snooze": lambda o: {"pk": o.alert.pk},
    "planner:task": lambda o: {"pk": o.planner_task.pk},
    "planner:task-from-alert": lambda o: {"pk": o.alert.pk},
    "planner:task-from-survey": lambda o: {"pk": o.task.pk},
    "planner-feed": lambda o: {"token": "not-a-feed-token"},  # the secret token is the credential: unknown = 404
    "planner-task-detail": lambda o: {"pk": o.planner_task.pk},
    "planner-task-complete": lambda o: {"pk": o.planner_task.pk},
    "planner-task-cancel": lambda o: {"pk": o.planner_task.pk},
    "planner-task-reschedule": lambda o: {"pk": o.planner_task.pk},
    "campaigns:detail": lambda o: {"pk": o.campaign.pk},
    "campaigns:edit": lambda o: {"pk": o.campaign.pk},
    "campaigns:submit": lambda o: {"pk": o.campaign.pk},
    "campaigns:approve": lambda o: {"pk": o.campaign.pk},
    "campaigns:send-back": lambda o: {"pk": o.campaign.pk},
    "campaigns:cancel": lambda o: {"pk": o.campaign.pk},
    "campaign-detail": lambda o: {"pk": o.campaign.pk},
    "campaign-submit": lambda o: {"pk": o.campaign.pk},
    "campaign-approve": lambda o: {"pk": o.campaign.pk},
    "campaign-send-back": lambda o: {"pk": o.campaign.pk},
    "campaign-cancel": lambda o: {"pk": o.campaign.pk},
    "campaign-results": lambda o: {"pk": o.campaign.pk},
    "message-detail": lambda o: {"pk": o.message.pk},
}
NOT_SHOWN = (403, 404, 405)


class Objects:
    """One customer and an object of every kind that belongs to them."""

    def __init__(self, customer, staff):
        from alerts.models import Alert
        from products.models import Product, SuitabilityOverride
        from surveys.models import FollowUpTask, PlanItem, Questionnaire, SamplingPlan, SurveyResponse

        self.customer = customer
        today, now = timezone.localdate(), timezone.now()
        self.import_batch = ImportBatch.objects.create(dataset="snapshots", filename="x.csv", content=b"",
                                                       uploaded_by=staff.user)
        self.application = Application.objects.create(customer=customer, filed_on=today, kind="close")
        self.alert = Alert.objects.create(customer=customer, rule="large_outflow", level="red", owner=staff,
                                          evidence={"outflow": 1}, opened_at=now, due_at=now + timedelta(hours=4),
                                          first_fired_on=today, last_fired_on=today)
        self.product_override = SuitabilityOverride.objects.create(
            customer=customer, product=Product.objects.order_by("pk").first(), waive_min_investment=True,
            reason="scope test", created_by=staff.user)
        questionnaire = Questionnaire.objects.get(code="S2020")
        version = questionnaire.versions.order_by("-pk").first()
        self.survey_response = SurveyResponse.objects.create(version=version, customer=customer, channel="phone",
                                                             outcome="completed", surveyed_on=today)
        self.plan = SamplingPlan.objects.create(month=today.replace(day=1), office=customer.office)
        self.plan_item = PlanItem.objects.create(plan=self.plan, customer=customer, questionnaire=questionnaire,
                                                 reason="stratified", sampled_for=staff)
        question = version.questions.order_by("pk").first()
        self.task = FollowUpTask.objects.create(
            response=self.survey_response, customer=customer, question=question,
            option=question.options.order_by("pk").first(), kind="dissatisfied", category="service", priority=1,
            owner=staff, opened_on=today, due_on=today + timedelta(days=1))
        # the planner's task is the book's staff member's: the own-book caller owns it, the foreigner does not
        from planner.models import Task as PlannerTask

        self.planner_task = PlannerTask.objects.create(owner=staff, customer=customer, title="scope test",
                                                       due_at=now)
        # a submitted campaign of the customer's office naming the customer: customer data, and the roles the
        # write matrix allows reach approve / send back / cancel
        from campaigns.models import Campaign, CampaignRecipient

        self.campaign = Campaign.objects.create(
            name="scope", template="{name}", segment_kind="filter", segment_query="star=4",
            office=customer.office, scheduled_at=now + timedelta(days=1), status="submitted",
            created_by=staff.user)
        CampaignRecipient.objects.create(campaign=self.campaign, customer=customer)
        # a message to the book's advisor: only its recipient reads it
        from outreach.models import Message

        self.message = Message.objects.create(
            event_key="red_alert:scope", recipient_key=f"staff:{staff.pk}", event_kind="red_alert", channel="email",
            recipient_staff=staff, address="scope@branch.example", subject="scope", body="scope")


@pytest.fixture
def world(db):
    cs, xs = office("CS"), office("XS")
    advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True)
    colleague = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True)
    far = StaffFactory(role=Role.WEALTH_ADVISOR, office=xs, with_user=True)
    own = CustomerFactory(advisor=advisor, office=cs, customer_code="OWN0001", name="Own Customer")
    same_office = CustomerFactory(advisor=colleague, office=cs, customer_code="NEAR0001", name="Nearby Foreigner")
    other_office = CustomerFactory(advisor=far, office=xs, customer_code="FAR0001", name="Distant Foreigner")
    for c in (own, same_office, other_office):
        TierFactory(customer=c, star="4", total_assets=600_000)
    return {
        "advisor": advisor, "own": own,
        "near": Objects(same_office, colleague),  # out of scope for the advisor
        "far": Objects(other_office, far),  # out of scope for everyone in CS
    }


ROLES = {  # role -> which foreign customer's objects it must not reach
    Role.WEALTH_ADVISOR: "near",
    Role.INVESTMENT_ADVISOR: "near",
    Role.OPERATIONS: "far",
    Role.OFFICE_MANAGER: "far",
}


def row_counts():
    return {m._meta.label: m.objects.count() for app in OUR_APPS for m in apps.get_app_config(app).get_models()
            if m is not AuditEvent}


def test_every_route_is_in_the_matrix():
    missing = [(path, name) for path, name, params in routes() if params and name not in ROUTE_OBJECTS]
    assert not missing, f"add these routes to ROUTE_OBJECTS: {missing}"
    assert len(routes()) >= 60


def _client(world, role, client_for):
    if role == Role.WEALTH_ADVISOR:
        staff = world["advisor"]
    else:
        staff = StaffFactory(role=role, office=office("CS"), with_user=True)
    return client_for(staff)


def _leaks(response, foreign, searched):
    """The foreign customer's name anywhere, or their code unless it was the search term (echoed in the form)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    marks = (foreign.customer.name,) if searched else (foreign.customer.customer_code, foreign.customer.name)
    return [s for s in marks if s in text]


@pytest.mark.parametrize("role", list(ROLES))
def test_no_route_returns_or_changes_another_books_objects(world, role, client_for):
    client = _client(world, role, client_for)
    foreign = world[ROLES[role]]
    checked = 0
    for path, name, params in routes():
        make = ROUTE_OBJECTS.get(name)
        if params and make is None:
            continue  # not customer data: see the role tests
        url = concrete(path, make(foreign)) if params else concrete(path, {})
        customer_params = params and name not in ("customers:export", "audit-log-export", "alerts:export",
                                                  "customers:applications-export")
        for query in ({}, {"q": foreign.customer.customer_code}, {"customer": foreign.customer.customer_code}):
            response = client.get(url, query)
            assert response.status_code < 500, (url, query, response.status_code)
            if customer_params:
                assert response.status_code in NOT_SHOWN, (role, url, response.status_code)
            else:
                assert not _leaks(response, foreign, bool(query)), (role, url, query)
        if customer_params:
            before, audited = row_counts(), AuditEvent.objects.count()
            advisor_before = Customer.objects.get(pk=foreign.customer.pk).advisor_id
            response = client.post(url, {"to": "acknowledged", "note": "x", "advisor": world["advisor"].pk,
                                         "star": "5", "reason": "x", "expires_on": "2030-01-01",
                                         "channel": "phone", "summary": "x", "outcome": "completed"})
            assert response.status_code in NOT_SHOWN, (role, "POST", url, response.status_code)
            assert row_counts() == before and AuditEvent.objects.count() == audited, (role, "POST", url)
            assert Customer.objects.get(pk=foreign.customer.pk).advisor_id == advisor_before
        checked += 1
    assert checked >= 50


POLICY_WRITES = [  # (url, data): what operations staff must not change
    ("/customers/tiering/policy/new/", {"params": "{}", "note": "x"}),
    ("/customers/tiering/policy/1/activate/", {}),
    ("/customers/tiering/run/", {}),
    ("/customers/FAR0001/override/", {"star": "5", "reason": "x", "expires_on": "2030-01-01"}),
    ("/customers/OWN0001/override/", {"star": "5", "reason": "x", "expires_on": "2030-01-01"}),
    ("/customers/OWN0001/assign/", {"advisor": 1}),
    ("/products/new/", {"code": "NEW1"}),
    ("/products/matrix/", {}),
    ("/products/grades/", {}),
    ("/products/parameters/", {}),
    ("/alerts/policy/", {}),
    ("/alerts/run/", {}),
    ("/workspace/manager/targets/", {"product_band": 5000, "product_small_target": 5, "product_large_target": 25,
                                     "high_end_assets": 500000, "high_end_target": 50}),
]


@pytest.mark.parametrize("url, data", POLICY_WRITES)
def test_operations_staff_change_no_tiers_policies_or_matrices(world, client_for, url, data):
    client = client_for(StaffFactory(role=Role.OPERATIONS, office=office("CS"), with_user=True))
    before, audited = row_counts(), AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code in NOT_SHOWN, (url, response.status_code)
    assert row_counts() == before and AuditEvent.objects.count() == audited
