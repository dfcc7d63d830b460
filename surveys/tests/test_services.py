"""Filing by CSV (all-or-nothing), follow-up tasks (due dates, owners), escalation and the re-survey loop."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from crm.models import AuditEvent
from customers.models import Role
from surveys import services
from surveys.models import FollowUpTask, PlanItem, SurveyResponse

HEADER = "questionnaire,customer_code,channel,outcome,date,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q6_reason\n"


def _csv(*rows):
    return (HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


def test_csv_upload_files_every_row(ops, customer, customer_of, advisor):
    other = customer_of(advisor)
    raw = _csv(f"S2020,{customer.customer_code},ivr,completed,2026-11-02,A,A,B,B,A,A,F,",
               f"S2020,{other.customer_code},ivr,hung_up,2026-11-02,,,,,,,,")
    responses = services.file_csv(actor=ops.user, raw=raw)
    assert len(responses) == 2
    assert SurveyResponse.objects.filter(outcome="completed").get().answers.count() == 7


def test_csv_upload_is_all_or_nothing_with_errors_by_row_and_field(ops, customer, customer_of, advisor):
    other = customer_of(advisor)
    raw = _csv(f"S2020,{customer.customer_code},ivr,completed,2026-11-02,A,A,B,B,A,A,F,",  # line 2: good
               f"S2020,{other.customer_code},ivr,completed,2026-11-02,X,A,B,B,A,A;B,F,",  # line 3: two errors
               f"S2020,NOPE,fax,completed,2026-11-02,A,A,B,,A,A,F,")  # line 4: three errors
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=raw)
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [
        (3, "Q1"), (3, "Q6"), (4, "customer_code"), (4, "channel"), (4, "Q4")]
    assert SurveyResponse.objects.count() == 0  # the good line 2 was not written either


def test_csv_missing_column_and_encoding(ops):
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_csv(actor=ops.user, raw=b"questionnaire,customer_code\nS2020,K1\n")
    assert [e["field"] for e in exc.value.errors] == ["channel", "outcome"]
    with pytest.raises(services.SurveyInvalid):
        services.file_csv(actor=ops.user, raw="questionnaire\n客户".encode("gb18030"))


def test_ops_of_another_office_cannot_file_and_advisors_do_not_file(make_staff, customer, s2020_data):
    other_ops = make_staff(Role.OPERATIONS, "XS")
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_response(actor=other_ops.user, data=s2020_data())
    assert exc.value.errors[0]["field"] == "customer_code"
    with pytest.raises(PermissionDenied):
        services.file_response(actor=customer.advisor.user, data=s2020_data())


def test_follow_up_due_dates_across_a_weekend(ops, make_staff, s2020_data):
    compliance = make_staff(Role.COMPLIANCE, "ZS")
    data = s2020_data(Q3="A", Q6="C", Q7="C")  # promised return, "一般", software need
    data["date"] = "2026-11-20"  # a Friday
    data["reasons"] = {"Q6": "回复慢", "Q7": "行情卡顿"}
    response = services.file_response(actor=ops.user, data=data)
    tasks = {t.question.code: t for t in FollowUpTask.objects.filter(response=response)}
    assert set(tasks) == {"Q3", "Q6", "Q7"}
    # 1 working day after Friday 20 Nov is Monday 23 Nov; 3 working days is Wednesday 25 Nov
    assert tasks["Q3"].due_on == date(2026, 11, 23) and tasks["Q3"].kind == "compliance"
    assert tasks["Q3"].owner == compliance and tasks["Q3"].priority == 1
    assert tasks["Q6"].due_on == date(2026, 11, 23) and tasks["Q6"].owner == response.customer.advisor
    assert tasks["Q6"].priority == 2 and tasks["Q6"].detail == "回复慢"
    assert tasks["Q7"].due_on == date(2026, 11, 25) and tasks["Q7"].category == "software"
    assert tasks["Q7"].priority == 3


def test_compliance_reads_its_follow_ups_but_a_manager_closes_them(ops, make_staff, s2020_data):
    """Compliance is read-only (spec README; issue 17): a compliance breach's task is owned by compliance, who
    sees it, but closing it is a write — an office or branch manager closes it with a reason."""
    compliance = make_staff(Role.COMPLIANCE, "ZS")
    response = services.file_response(actor=ops.user, data=s2020_data(Q3="A"))
    task = FollowUpTask.objects.get(response=response, question__code="Q3")
    assert task.owner == compliance
    with pytest.raises(PermissionDenied):
        services.close_task(actor=compliance.user, task_id=task.pk, note="investigated")
    with pytest.raises(PermissionDenied):
        services.manager_close_task(actor=compliance.user, task_id=task.pk, reason="investigated")
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    closed = services.manager_close_task(actor=manager.user, task_id=task.pk, reason="compliance: no breach")
    assert closed.status == FollowUpTask.State.CLOSED_BY_MANAGER


def test_holidays_from_the_policy_are_skipped():
    # Thursday 1 Oct 2026 + 1 working day with Fri 2 Oct a holiday → Monday 5 Oct
    assert services.add_working_days(date(2026, 10, 1), 1, ["2026-10-02"]) == date(2026, 10, 5)


def test_escalation_of_overdue_tasks_to_the_office_manager(ops, make_staff, s2020_data):
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    make_staff(Role.OFFICE_MANAGER, "XS")  # another office's manager is not the one
    data = s2020_data(Q6="D")
    data["date"] = "2026-11-20"
    services.file_response(actor=ops.user, data=data)
    task = FollowUpTask.objects.get()
    assert services.escalate_overdue(date(2026, 11, 23)) == 0  # due Monday 23: not overdue on the day
    assert services.escalate_overdue(date(2026, 11, 24)) == 1
    task.refresh_from_db()
    assert task.escalated_to == manager and task.escalated_at is not None
    assert services.escalate_overdue(date(2026, 11, 25)) == 0  # once only
    assert AuditEvent.objects.filter(action="survey.task.escalate", object_id=str(task.pk)).count() == 1


def test_escalation_beat_task(ops, make_staff, s2020_data):
    from surveys.tasks import escalate_overdue_followups

    make_staff(Role.OFFICE_MANAGER, "CS")
    data = s2020_data(Q6="D")
    data["date"] = "2026-11-20"
    services.file_response(actor=ops.user, data=data)
    assert escalate_overdue_followups.apply(kwargs={"day": "2026-11-30"}).get() == {"escalated": 1}


def test_resurvey_loop_until_satisfied(ops, advisor, s2020_data):
    data = s2020_data(Q6="C")
    data["date"] = "2026-11-02"
    services.file_response(actor=ops.user, data=data)
    task = FollowUpTask.objects.get()
    with pytest.raises(services.SurveyInvalid):
        services.close_task(actor=advisor.user, task_id=task.pk, note="")
    services.close_task(actor=advisor.user, task_id=task.pk, note="called back, explained")
    task.refresh_from_db()
    assert task.status == "resurvey"  # dissatisfaction waits for the re-survey
    again = s2020_data(Q6="D")
    again["date"] = "2026-11-05"
    services.file_response(actor=ops.user, data=again)
    task.refresh_from_db()
    assert task.status == "open" and FollowUpTask.objects.count() == 1  # still not satisfied: reopened
    assert task.due_on == date(2026, 11, 6)
    satisfied = s2020_data(Q6="A")
    satisfied["date"] = "2026-11-09"
    response = services.file_response(actor=ops.user, data=satisfied)
    task.refresh_from_db()
    assert task.status == "closed" and task.resurvey == response


def test_manager_closes_with_a_reason_and_needs_close_directly(ops, advisor, make_staff, s2020_data):
    services.file_response(actor=ops.user, data=s2020_data(Q6="C", Q7="D"))
    dissatisfied = FollowUpTask.objects.get(kind="dissatisfied")
    need = FollowUpTask.objects.get(kind="need")
    services.close_task(actor=advisor.user, task_id=need.pk, note="fees explained")
    need.refresh_from_db()
    assert need.status == "closed"
    with pytest.raises(PermissionDenied):
        services.manager_close_task(actor=advisor.user, task_id=dissatisfied.pk, reason="x")
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    services.manager_close_task(actor=manager.user, task_id=dissatisfied.pk, reason="customer moved abroad")
    dissatisfied.refresh_from_db()
    assert dissatisfied.status == "manager_closed" and dissatisfied.close_reason == "customer moved abroad"
    other_manager = make_staff(Role.OFFICE_MANAGER, "XS")
    with pytest.raises(PermissionDenied):  # another office's task is out of scope
        services.manager_close_task(actor=other_manager.user, task_id=need.pk, reason="x")


def test_worklist_attempts_are_counted(ops, customer):
    from surveys.models import Questionnaire, SamplingPlan

    plan = SamplingPlan.objects.create(month=date(2026, 11, 1), office=customer.office, status="released")
    item = PlanItem.objects.create(plan=plan, customer=customer, questionnaire=Questionnaire.objects.get(code="E"),
                                   reason="stratified")
    services.record_attempt(actor=ops.user, item_id=item.pk, outcome="hung_up")
    services.record_attempt(actor=ops.user, item_id=item.pk, outcome="no_answer")
    item.refresh_from_db()
    assert item.attempts == 2 and item.outcome == "no_answer"
    assert SurveyResponse.objects.filter(plan_item=item, outcome="hung_up").count() == 1


def test_plan_edit_and_release(ops, customer, customer_of, advisor):
    from surveys.models import SamplingPlan

    plan = SamplingPlan.objects.create(month=date(2026, 11, 1), office=customer.office)
    item = services.add_plan_item(actor=ops.user, plan_id=plan.pk, customer_code=customer.customer_code,
                                  questionnaire_code="E")
    with pytest.raises(services.SurveyInvalid):
        services.add_plan_item(actor=ops.user, plan_id=plan.pk, customer_code=customer.customer_code,
                               questionnaire_code="E")
    services.change_item_questionnaire(actor=ops.user, plan_id=plan.pk, item_id=item.pk, questionnaire_code="W")
    item.refresh_from_db()
    assert item.questionnaire.code == "W"
    services.release_plan(actor=ops.user, plan_id=plan.pk)
    with pytest.raises(services.SurveyInvalid):
        services.remove_plan_item(actor=ops.user, plan_id=plan.pk, item_id=item.pk)


def test_a_second_dissatisfied_answer_does_not_postpone_an_open_task(ops, s2020_data):
    first = s2020_data(Q6="C")
    first["date"] = "2026-11-02"  # Monday: due Tuesday 3 Nov
    services.file_response(actor=ops.user, data=first)
    again = s2020_data(Q6="D")
    again["date"] = "2026-11-05"
    services.file_response(actor=ops.user, data=again)
    task = FollowUpTask.objects.get()
    assert task.status == "open" and task.due_on == date(2026, 11, 3)
