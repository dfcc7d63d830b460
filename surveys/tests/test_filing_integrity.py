"""Issue 17 (10), as the attacks: a worklist item completed with another customer's answers, a completed item
filed again (also by 20 filings at once), and a survey CSV whose upload files every response twice."""
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from crm.tests.test_concurrency import run_together, slowed
from crm.textlimits import NOTE_MAX_LENGTH
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, office
from surveys import filing_once, services
from surveys.models import Answer, FollowUpTask, PlanItem, Questionnaire, SamplingPlan, SurveyResponse
from surveys.tests.conftest import S2020_SATISFIED

HEADER = "questionnaire,customer_code,channel,outcome,date,plan_item,Q1,Q2,Q3,Q4,Q5,Q6,Q7\n"
ANSWERS = "A,A,B,B,A,A,F"  # S2020_SATISFIED, in the columns' order


def _csv(*rows):
    return (HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


def _item(customer, code="S2020"):
    plan = SamplingPlan.objects.get_or_create(month=date(2026, 12, 1), office=customer.office,
                                              defaults={"status": SamplingPlan.State.RELEASED})[0]
    return PlanItem.objects.create(plan=plan, customer=customer, questionnaire=Questionnaire.objects.get(code=code),
                                   reason=PlanItem.Reason.STRATIFIED)


def _form(customer, **extra):
    return {"customer_code": customer.customer_code, "channel": "phone", "outcome": "completed",
            **{f"answer_{q}": a for q, a in S2020_SATISFIED.items()}, **extra}


def _api(customer, **extra):
    return {"questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
            "outcome": "completed", "answers": S2020_SATISFIED, **extra}


@pytest.fixture
def other(customer_of, advisor):
    return customer_of(advisor)


# --- the item's customer is the response's customer -------------------------------------------------------

def test_the_filing_page_refuses_another_customers_answers_for_an_item(ops, customer, other, client_for):
    item = _item(customer)
    page = client_for(ops).post(f"/surveys/file/S2020/?item={item.pk}", _form(other, item=item.pk))
    assert page.status_code == 200
    assert page.context["form"].errors["customer_code"] == [
        f"This worklist item is for customer {customer.customer_code}, not this one."]
    assert SurveyResponse.objects.count() == 0
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("", 0)


def test_the_api_refuses_another_customers_answers_for_an_item(ops, customer, other, client_for):
    item = _item(customer)
    bad = client_for(ops).post("/api/surveys/responses/", _api(other, plan_item=item.pk),
                               content_type="application/json")
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["customer_code"]
    assert SurveyResponse.objects.count() == 0
    ok = client_for(ops).post("/api/surveys/responses/", _api(customer, plan_item=item.pk),
                              content_type="application/json")
    assert ok.status_code == 201
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("completed", 1)
    assert SurveyResponse.objects.get().plan_item == item


def test_the_csv_refuses_another_customers_answers_for_an_item(ops, customer, other):
    item = _item(customer)
    raw = _csv(f"S2020,{customer.customer_code},ivr,hung_up,2026-12-01,{item.pk},,,,,,,",
               f"S2020,{other.customer_code},ivr,completed,2026-12-02,{item.pk},{ANSWERS}")
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=raw)
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [(3, "customer_code")]
    assert SurveyResponse.objects.count() == 0  # all or nothing: line 2 was not filed either


def test_an_item_of_another_questionnaire_or_out_of_scope_is_refused(ops, customer, make_staff, client_for):
    item = _item(customer, code="E")
    bad = client_for(ops).post("/api/surveys/responses/", _api(customer, plan_item=item.pk),
                               content_type="application/json")
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["questionnaire"]
    xs_ops = make_staff(Role.OPERATIONS, "XS")  # may not call a CS customer: the item does not exist for them
    stranger = CustomerFactory(advisor=StaffFactory(role=Role.WEALTH_ADVISOR, office=office("XS")), office=office("XS"))
    bad = client_for(xs_ops).post("/api/surveys/responses/", _api(stranger, plan_item=item.pk),
                                  content_type="application/json")
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["plan_item"]

    page = client_for(xs_ops).post(f"/surveys/file/S2020/?item={item.pk}", _form(stranger, item=item.pk))
    assert page.status_code == 404 and not SurveyResponse.objects.exists()  # not filed quietly without the item


# --- a completed item is filed once ------------------------------------------------------------------------

def test_the_filing_page_refuses_to_file_a_completed_item_again(ops, customer, client_for):
    item = _item(customer)
    client = client_for(ops)
    assert client.post(f"/surveys/file/S2020/?item={item.pk}", _form(customer, item=item.pk)).status_code == 302
    first = SurveyResponse.objects.get()
    # another channel and day, so only the item's rule stands in the way
    again = client.post(f"/surveys/file/S2020/?item={item.pk}", _form(customer, item=item.pk, channel="visit",
                                                                        date="2026-12-01"))
    assert again.status_code == 200
    assert again.context["form"].non_field_errors() == [
        f"This worklist item is already completed (response #{first.pk}); it cannot be filed again."]
    assert SurveyResponse.objects.count() == 1
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("completed", 1)


def test_the_api_answers_409_to_a_completed_item(ops, customer, client_for):
    item = _item(customer)
    client = client_for(ops)
    first = client.post("/api/surveys/responses/", _api(customer, plan_item=item.pk), content_type="application/json")
    assert first.status_code == 201
    again = client.post("/api/surveys/responses/", _api(customer, plan_item=item.pk, channel="visit"),
                        content_type="application/json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "plan_item"
    assert SurveyResponse.objects.count() == 1


def test_a_completed_item_takes_no_later_attempt(ops, customer):
    item = _item(customer)
    services.file_response(actor=ops.user, data=_api(customer), plan_item=item)
    with pytest.raises(services.AlreadyFiled):
        services.record_attempt(actor=ops.user, item_id=item.pk, outcome="no_answer")
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("completed", 1)  # not turned back into "no answer"


def test_the_same_survey_is_filed_once_by_any_path(ops, customer, client_for):
    """Customer, questionnaire, day and channel: the API after the form answers 409, the page shows why."""
    client = client_for(ops)
    assert client.post("/surveys/file/S2020/", _form(customer)).status_code == 302
    filed = SurveyResponse.objects.get()
    again = client.post("/api/surveys/responses/", _api(customer), content_type="application/json")
    assert again.status_code == 409
    assert str(filed.pk) in again.json()["errors"][0]["message"]
    page = client.post("/surveys/file/S2020/", _form(customer))
    assert page.status_code == 200 and page.context["form"].non_field_errors()
    # a hang-up and a no-answer the same day are attempts, and may repeat
    for outcome in ("hung_up", "no_answer", "no_answer"):
        services.file_response(actor=ops.user, data={**_api(customer, outcome=outcome), "answers": {}})
    assert SurveyResponse.objects.count() == 4


# --- the CSV upload files once ------------------------------------------------------------------------------

def test_the_same_csv_twice_files_once(ops, customer, other, client_for):
    raw = _csv(f"S2020,{customer.customer_code},ivr,completed,2026-12-01,,A,A,B,B,A,C,F",
               f"S2020,{other.customer_code},ivr,no_answer,2026-12-01,,,,,,,,",
               f"S2020,{other.customer_code},ivr,no_answer,2026-12-01,,,,,,,,")  # called twice that day
    first = services.file_csv(actor=ops.user, raw=raw)
    assert (len(first), first.already_filed) == (3, 0)
    second = services.file_csv(actor=ops.user, raw=raw)
    assert (len(second), second.already_filed) == (0, 3)
    assert SurveyResponse.objects.count() == 3
    assert Answer.objects.count() == 7
    assert FollowUpTask.objects.count() == 1  # Q6 C: one dissatisfaction task, not two
    page = client_for(ops).post("/surveys/upload/", {"file": SimpleUploadedFile("cc.csv", raw)}, follow=True)
    assert SurveyResponse.objects.count() == 3
    assert "0 responses filed; 3 rows were filed before and not filed again." in page.content.decode()


def test_a_survey_repeated_in_another_file_is_filed_once(ops, customer, other):
    services.file_csv(actor=ops.user, raw=_csv(f"S2020,{customer.customer_code},ivr,completed,2026-12-01,,{ANSWERS}"))
    # the next export overlaps: the same survey (BOM, spacing, another order of rows) and a new one
    raw = "\ufeff" + _csv(f"S2020,{other.customer_code},ivr,completed,2026-12-02,,{ANSWERS}",
                          f" S2020 , {customer.customer_code} ,ivr,completed,2026-12-01,,{ANSWERS}").decode()
    batch = services.file_csv(actor=ops.user, raw=raw.encode())
    assert (len(batch), batch.already_filed) == (1, 1)
    assert SurveyResponse.objects.filter(customer=customer).count() == 1
    assert SurveyResponse.objects.filter(customer=other).count() == 1


def test_a_refiled_survey_with_other_answers_or_twice_in_one_file_is_an_error_by_line(ops, customer, other):
    services.file_csv(actor=ops.user, raw=_csv(f"S2020,{customer.customer_code},ivr,completed,2026-12-01,,{ANSWERS}"))
    filed = SurveyResponse.objects.get()
    raw = _csv(f"S2020,{customer.customer_code},ivr,completed,2026-12-01,,A,A,B,B,A,D,F",  # Q6 now D
               f"S2020,{other.customer_code},ivr,completed,2026-12-01,,{ANSWERS}")
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=raw)
    assert [(e["row"], str(filed.pk) in e["message"]) for e in exc.value.errors] == [(2, True)]
    raw = _csv(f"S2020,{other.customer_code},ivr,completed,2026-12-01,,{ANSWERS}",
               f"S2020,{other.customer_code},ivr,completed,2026-12-01,,{ANSWERS}")
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=raw)
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [(3, "customer_code")]
    assert "Line 2" in exc.value.errors[0]["message"]
    assert SurveyResponse.objects.count() == 1  # nothing of either file


def test_a_csv_row_for_a_completed_item_is_an_error_of_its_line(ops, customer):
    item = _item(customer)
    services.file_response(actor=ops.user, data=_api(customer), plan_item=item)
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=_csv(
            f"S2020,{customer.customer_code},ivr,completed,2026-12-01,{item.pk},{ANSWERS}"))
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [(2, "plan_item")]
    assert "already completed" in exc.value.errors[0]["message"]


# --- text lengths ---------------------------------------------------------------------------------------------

def test_free_text_longer_than_the_limit_is_an_error_not_a_500_or_a_cut(ops, customer, client_for, s2020_data):
    long = "x" * (NOTE_MAX_LENGTH + 1)
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_response(actor=ops.user, data=s2020_data(Q6="C") | {"reasons": {"Q6": long}})
    assert [e["field"] for e in exc.value.errors] == ["Q6_reason"]
    api = client_for(ops).post("/api/surveys/responses/", _api(customer, reasons={"Q6": long}),
                               content_type="application/json")
    assert api.status_code == 400 and "reasons" in api.json()
    task = FollowUpTask.objects.filter(pk=services.file_response(
        actor=ops.user, data=s2020_data(Q6="C") | {"reasons": {"Q6": "x" * NOTE_MAX_LENGTH}}).tasks.get().pk).get()
    assert len(task.detail) == NOTE_MAX_LENGTH  # exactly the limit is kept whole
    with pytest.raises(services.SurveyInvalid) as exc:
        services.close_task(actor=task.owner.user, task_id=task.pk, note=long)
    assert exc.value.errors[0]["field"] == "note"
    manager = StaffFactory(role=Role.OFFICE_MANAGER, office=customer.office, with_user=True)
    with pytest.raises(services.SurveyInvalid):
        services.manager_close_task(actor=manager.user, task_id=task.pk, reason="r" * 201)
    task.refresh_from_db()
    assert task.is_open


# --- concurrency (PostgreSQL: real connections, real row locks; helpers of crm/tests/test_concurrency.py) ----

def _ops_and_customer():
    cs = office("CS")
    ops = StaffFactory(role=Role.OPERATIONS, office=cs, with_user=True)
    return ops, CustomerFactory(advisor=StaffFactory(role=Role.WEALTH_ADVISOR, office=cs), office=cs)


@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_filings_of_one_item_at_once_complete_it_once(monkeypatch):
    ops, customer = _ops_and_customer()
    item = _item(customer)
    slowed(monkeypatch, filing_once, "completing_responses", 0.3)  # read inside the filing, after the lock
    # twenty different days: each filing is a survey of its own, only the item binds them
    results = run_together(*[
        (lambda day=day: services.file_response(actor=ops.user, plan_item=item, data={
            **_api(customer), "date": date(2026, 11, day).isoformat()}))
        for day in range(1, 21)])
    assert sum(isinstance(r, SurveyResponse) for r in results) == 1, results
    assert sum(isinstance(r, services.AlreadyFiled) for r in results) == 19, results
    assert SurveyResponse.objects.filter(plan_item=item, outcome="completed").count() == 1
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("completed", 1)


@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_filings_of_one_survey_at_once_file_it_once(monkeypatch):
    """No item to lock: the partial unique constraint decides, and the losers are told it is filed."""
    ops, customer = _ops_and_customer()
    slowed(monkeypatch, filing_once, "filed_surveys", 0.3)  # every filing reads "not filed yet", then writes
    results = run_together(*[(lambda: services.file_response(actor=ops.user, data=_api(customer)))
                             for _i in range(20)])
    assert sum(isinstance(r, SurveyResponse) for r in results) == 1, results
    assert sum(isinstance(r, services.AlreadyFiled) for r in results) == 19, results
    assert SurveyResponse.objects.count() == 1


def test_a_plan_action_posting_no_item_number_is_an_error_not_a_500(ops, customer, client_for):
    """Found by crm/tests/test_form_fuzz.py: an empty item id reached filter(pk="")."""
    plan = SamplingPlan.objects.create(month=date(2026, 12, 1), office=customer.office)
    for action in ("remove", "questionnaire"):
        page = client_for(ops).post(f"/surveys/plans/{plan.pk}/", {"action": action, "item": "", "questionnaire": "E"})
        assert page.status_code in (200, 302)
    with pytest.raises(services.SurveyInvalid):
        services.remove_plan_item(actor=ops.user, plan_id=plan.pk, item_id="x")
