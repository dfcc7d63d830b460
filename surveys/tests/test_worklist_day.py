"""Operations' day on the callback worklist (issue 20): the demo releases the month's plan, the empty worklist
says where plans are released, the sampled customers' phones are shown to those who call (one audit event per
plan and person), one-key outcomes answer with a confirmation and can be undone for a short while, and a
row stays where it was."""
import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.models import AuditEvent
from customers.models import Role
from surveys import services
from surveys.models import PlanItem, Questionnaire, SamplingPlan, SurveyResponse

MONTH = date(2026, 11, 1)
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def plan(ops, customer_of, advisor):
    """A released November plan of CS with three customers, phones 1390000000{1,2,3}."""
    plan = SamplingPlan.objects.create(month=MONTH, office=ops.office, status=SamplingPlan.State.RELEASED,
                                       released_at=timezone.now())
    questionnaire = Questionnaire.objects.get(code="E")
    for n in (1, 2, 3):
        PlanItem.objects.create(plan=plan, customer=customer_of(advisor, customer_code=f"W000000{n}",
                                                                phone=f"1390000000{n}"),
                                reason="stratified", questionnaire=questionnaire)
    return plan


def _items(plan):
    return list(plan.items.order_by("customer__customer_code"))


def _phone_views(user):
    return AuditEvent.objects.filter(actor=user, action="pii.view", object_type="surveys.samplingplan")


# --- phones ---------------------------------------------------------------------------------------------------

def test_operations_see_the_phones_and_the_reveal_is_logged_once_per_plan(plan, ops, make_staff, client_for):
    client = client_for(ops)
    for _visit in range(3):  # the page again, another month parameter, a page of the list: still one event
        html = client.get("/surveys/worklist/?month=2026-11").content.decode()
        for n in (1, 2, 3):
            assert f'<a href="tel:1390000000{n}">1390000000{n}</a>' in html
        assert "on the customer page" not in html
    event = _phone_views(ops.user).get()
    assert event.object_id == str(plan.pk)
    assert event.detail["field"] == "phone" and event.detail["month"] == "2026-11"
    assert event.detail["customers"] == ["W0000001", "W0000002", "W0000003"]
    # another caller of the office: an event of their own
    other = make_staff(Role.OPERATIONS, "CS")
    client_for(other).get("/surveys/worklist/")
    assert _phone_views(other.user).get().detail["customers"] == ["W0000001", "W0000002", "W0000003"]
    assert _phone_views(ops.user).count() == 1


def test_the_office_manager_sees_them_too_but_the_export_and_the_customer_list_stay_masked(plan, make_staff,
                                                                                          client_for):
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    client = client_for(manager)
    assert "tel:13900000001" in client.get("/surveys/worklist/").content.decode()
    assert _phone_views(manager.user).count() == 1
    export = client.get("/surveys/worklist/?export=worklist&format=csv").content.decode("utf-8-sig")
    assert "W0000001" in export and "13900000001" not in export
    listing = client.get("/customers/?q=W0000001").content.decode()
    assert "13900000001" not in listing


def test_no_phones_and_no_event_without_a_released_plan(ops, client_for):
    html = client_for(ops).get("/surveys/worklist/").content.decode()
    assert not _phone_views(ops.user).exists()
    # the empty worklist says where plans are released
    assert "No released plan items." in html and 'href="/surveys/plans/"' in html
    assert "released on the sampling plans page" in html


def test_advisors_and_compliance_have_no_worklist(plan, make_staff, client_for):
    for role in (Role.WEALTH_ADVISOR, Role.COMPLIANCE):
        staff = make_staff(role, "CS")
        assert client_for(staff).get("/surveys/worklist/").status_code == 403
        assert not _phone_views(staff.user).exists()


def test_the_worklist_runs_constant_queries_with_phones(plan, ops, customer_of, advisor, client_for,
                                                        django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(ops)
    client.get("/surveys/worklist/")  # the first visit writes the audit event
    with CaptureQueriesContext(connection) as few:
        assert client.get("/surveys/worklist/").status_code == 200
    questionnaire = Questionnaire.objects.get(code="E")
    for _i in range(20):
        PlanItem.objects.create(plan=plan, customer=customer_of(advisor), reason="stratified",
                                questionnaire=questionnaire)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/surveys/worklist/").status_code == 200


# --- one-key outcomes and undo ----------------------------------------------------------------------------------

def test_a_key_records_the_attempt_in_place_and_undo_takes_it_back(plan, ops, client_for):
    first, second, _third = _items(plan)
    client = client_for(ops)
    answer = client.post(f"/surveys/worklist/{second.pk}/attempt/", {"outcome": "no_answer", "month": "2026-11"},
                         **JSON)
    data = json.loads(answer.content)
    response = SurveyResponse.objects.get(plan_item=second)
    assert data["ok"] and data["item"] == second.pk and data["response"] == response.pk
    assert data["outcome_label"] == "No answer" and data["attempts"] == 1
    assert data["message"] == "Recorded: No answer (W0000002)"
    assert data["undo_url"] == f"/surveys/worklist/attempts/{response.pk}/undo/"
    second.refresh_from_db()
    assert (second.outcome, second.attempts) == ("no_answer", 1)
    # the row stays where it was: the list is in customer order, whatever the outcomes
    page = client.get("/surveys/worklist/")
    assert [i.customer.customer_code for i in page.context["page"]] == ["W0000001", "W0000002", "W0000003"]

    undone = json.loads(client.post(data["undo_url"], {"month": "2026-11"}, **JSON).content)
    assert undone == {"ok": True, "item": second.pk, "outcome": "", "outcome_label": "—", "attempts": 0,
                      "message": "Undone: the attempt is taken back."}
    second.refresh_from_db()
    assert (second.outcome, second.attempts) == ("", 0)
    assert not SurveyResponse.objects.filter(pk=response.pk).exists()
    event = AuditEvent.objects.get(action="survey.attempt.undo")
    assert event.actor == ops.user and event.object_id == str(second.pk)
    assert event.detail["response"] == response.pk and event.detail["outcome"] == "no_answer"
    # only once: the attempt is gone
    assert client.post(data["undo_url"], {"month": "2026-11"}, **JSON).status_code == 403
    assert first.responses.count() == 0


def test_undo_restores_the_previous_outcome(plan, ops):
    item = _items(plan)[0]
    services.record_attempt(actor=ops.user, item_id=item.pk, outcome="hung_up")
    later = services.record_attempt(actor=ops.user, item_id=item.pk, outcome="refused")
    services.undo_attempt(actor=ops.user, response_id=later.pk)
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("hung_up", 1)


def test_undo_is_refused_late_for_another_callers_attempt_and_behind_a_later_one(plan, ops, make_staff):
    item, other_item, _ = _items(plan)
    attempt = services.record_attempt(actor=ops.user, item_id=item.pk, outcome="no_answer")
    late = timezone.now() + timedelta(seconds=services.UNDO_SECONDS + 1)
    with pytest.raises(services.SurveyInvalid):
        services.undo_attempt(actor=ops.user, response_id=attempt.pk, now=late)
    colleague = make_staff(Role.OPERATIONS, "CS")
    with pytest.raises(services.SurveyInvalid):
        services.undo_attempt(actor=colleague.user, response_id=attempt.pk)
    with pytest.raises(PermissionDenied):  # out of scope: another office's caller
        services.undo_attempt(actor=make_staff(Role.OPERATIONS, "XS").user, response_id=attempt.pk)
    services.record_attempt(actor=colleague.user, item_id=item.pk, outcome="hung_up")
    with pytest.raises(services.SurveyInvalid):  # the colleague's later call stands on it
        services.undo_attempt(actor=ops.user, response_id=attempt.pk)
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("hung_up", 2)
    assert not AuditEvent.objects.filter(action="survey.attempt.undo").exists()


def test_without_script_the_page_confirms_the_attempt_with_its_undo(plan, ops, client_for):
    item = _items(plan)[1]
    client = client_for(ops)
    answer = client.post(f"/surveys/worklist/{item.pk}/attempt/", {"outcome": "refused", "month": "2026-11"})
    response = SurveyResponse.objects.get(plan_item=item)
    html = client.get(answer.url.split("#")[0]).content.decode()
    assert "Recorded: Refused (W0000002)" in html
    assert f'action="/surveys/worklist/attempts/{response.pk}/undo/"' in html
    assert f'<tr id="item-{item.pk}" data-item="{item.pk}" tabindex="-1" class="table-warning">' in html
    back = client.post(f"/surveys/worklist/attempts/{response.pk}/undo/", {"month": "2026-11"})
    assert back.status_code == 302 and back.url == f"/surveys/worklist/?month=2026-11#item-{item.pk}"
    item.refresh_from_db()
    assert item.attempts == 0
    # the confirmation is gone once the attempt cannot be undone
    assert "Recorded:" not in client.get(answer.url.split("#")[0]).content.decode()


# --- the demo ----------------------------------------------------------------------------------------------------

def test_the_demo_command_releases_the_months_plans(branch_for_demo):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("generate_survey_plan", month=MONTH, seed=7, release=True, stdout=out)
    plans = SamplingPlan.objects.filter(month=MONTH)
    assert plans.exists() and set(plans.values_list("status", flat=True)) == {"released"}
    assert f"released {plans.count()} plan(s) of 2026-11" in out.getvalue()
    events = AuditEvent.objects.filter(action="survey.plan.release")
    assert {e.object_id for e in events} == {str(p.pk) for p in plans}
    items = {str(p.pk): p.items.count() for p in plans}
    assert {e.object_id: e.detail["items"] for e in events} == items and sum(items.values()) > 0


@pytest.fixture
def branch_for_demo(ops, customer_of, advisor):
    for _i in range(5):
        customer_of(advisor)
