"""Pages: rendering, filing through the form, data scope on every page, constant queries, Chinese."""
from datetime import date

import pytest

from customers.models import Role
from surveys import services
from surveys.models import FollowUpTask, PlanItem, Questionnaire, SamplingPlan, SurveyResponse


@pytest.fixture
def filed(ops, s2020_data):
    return services.file_response(actor=ops.user, data=s2020_data(Q6="C"))


def test_filing_form_files_and_shows_errors_by_field(ops, customer, client_for):
    client = client_for(ops)
    page = client.get("/surveys/file/S2020/")
    assert page.status_code == 200 and b"autofocus" in page.content
    post = {"customer_code": customer.customer_code, "channel": "phone", "outcome": "completed",
            "answer_Q1": "A", "answer_Q2": "A", "answer_Q3": "B", "answer_Q4": "B", "answer_Q5": "A"}
    bad = client.post("/surveys/file/S2020/", post)
    assert bad.status_code == 200 and SurveyResponse.objects.count() == 0
    assert bad.context["form"].errors["answer_Q6"] == ["This question must be answered."]
    post.update(answer_Q6="C", reason_Q6="slow replies", answer_Q7="F")
    assert client.post("/surveys/file/S2020/", post).status_code == 302
    response = SurveyResponse.objects.get()
    assert response.answers.get(question__code="Q6").text == "slow replies"
    assert FollowUpTask.objects.filter(response=response, kind="dissatisfied").count() == 1


def test_upload_page_shows_the_error_table(ops, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = b"questionnaire,customer_code,channel,outcome,Q1\nS2020,NOPE,phone,completed,A\n"
    page = client_for(ops).post("/surveys/upload/", {"file": SimpleUploadedFile("cc.csv", raw)})
    assert page.status_code == 200
    assert [e["field"] for e in page.context["errors"]][:1] == ["customer_code"]
    assert b"nothing was written" in page.content


def test_advisor_sees_only_their_customers_responses(filed, make_staff, client_for, advisor):
    other = make_staff(Role.WEALTH_ADVISOR, "CS")
    assert client_for(advisor).get(f"/surveys/responses/{filed.pk}/").status_code == 200
    assert client_for(other).get(f"/surveys/responses/{filed.pk}/").status_code == 404
    assert client_for(other).get("/surveys/").context["page"].paginator.count == 0
    assert client_for(advisor).get("/surveys/").context["page"].paginator.count == 1
    task = FollowUpTask.objects.get()
    assert client_for(other).get(f"/surveys/tasks/{task.pk}/").status_code == 404
    assert client_for(advisor).get(f"/surveys/tasks/{task.pk}/").status_code == 200
    # the report counts only what the viewer may see
    assert client_for(other).get("/surveys/reports/S2020/").context["rate"]["attempted"] == 0
    assert client_for(advisor).get("/surveys/reports/S2020/").context["rate"]["attempted"] == 1
    export = client_for(other).get("/surveys/?export=responses&format=csv")
    assert export.content.decode("utf-8-sig").strip().count("\n") == 0  # header only


def test_follow_up_tasks_export_what_the_list_shows(filed, ops, make_staff, client_for):
    from crm.models import AuditEvent

    task = FollowUpTask.objects.get()
    client = client_for(ops)
    assert "export=tasks&amp;format=csv" in client.get("/surveys/tasks/?status=open").content.decode()
    lines = client.get("/surveys/tasks/?status=open&export=tasks&format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("#,Priority,Kind,Category,Customer code") and len(lines) == 2
    assert lines[1].startswith(f"{task.pk},") and task.customer.customer_code in lines[1]
    closed = client.get("/surveys/tasks/?status=closed&export=tasks&format=csv").content.decode("utf-8-sig")
    assert len(closed.splitlines()) == 1  # the header: no closed task
    assert AuditEvent.objects.filter(action="export", object_type="surveys.tasks").count() == 2
    xs_ops = make_staff(Role.OPERATIONS, "XS")  # another office: no rows
    other = client_for(xs_ops).get("/surveys/tasks/?status=open&export=tasks&format=csv").content.decode("utf-8-sig")
    assert len(other.splitlines()) == 1


def test_operations_see_their_office_only(filed, make_staff, client_for):
    xs_ops = make_staff(Role.OPERATIONS, "XS")
    assert client_for(xs_ops).get(f"/surveys/responses/{filed.pk}/").status_code == 404
    assert client_for(xs_ops).get("/surveys/tasks/").context["page"].paginator.count == 0


def test_advisors_cannot_file_or_plan(advisor, client_for):
    client = client_for(advisor)
    for url in ("/surveys/file/S2020/", "/surveys/upload/", "/surveys/plans/", "/surveys/worklist/"):
        assert client.get(url).status_code == 403


def test_plan_pages_are_scoped_to_the_office(ops, customer, make_staff, client_for):
    plan = SamplingPlan.objects.create(month=date(2026, 11, 1), office=customer.office)
    PlanItem.objects.create(plan=plan, customer=customer, questionnaire=Questionnaire.objects.get(code="E"),
                            reason="stratified")
    assert client_for(ops).get(f"/surveys/plans/{plan.pk}/").status_code == 200
    xs_ops = make_staff(Role.OPERATIONS, "XS")
    assert client_for(xs_ops).get(f"/surveys/plans/{plan.pk}/").status_code == 404
    assert client_for(ops).post(f"/surveys/plans/{plan.pk}/", {"action": "release"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "released"
    page = client_for(ops).get("/surveys/worklist/")
    assert page.context["page"].paginator.count == 1 and b"hung_up" in page.content
    assert client_for(xs_ops).get("/surveys/worklist/").context["page"].paginator.count == 0


def test_the_worklist_shows_one_months_sample_the_latest_released_by_default(ops, customer_of, advisor, client_for):
    """Operations land on this month's sample (the latest released month); earlier released months stay one
    pick away, and an attempt brings the caller back to the month of its item."""
    questionnaire = Questionnaire.objects.get(code="E")
    october, november = date(2026, 10, 1), date(2026, 11, 1)
    items = {}
    for month, n in ((october, 2), (november, 3)):
        plan = SamplingPlan.objects.create(month=month, office=ops.office, status=SamplingPlan.State.RELEASED)
        items[month] = [PlanItem.objects.create(plan=plan, customer=customer_of(advisor), reason="stratified",
                                                questionnaire=questionnaire) for _ in range(n)]
    draft = SamplingPlan.objects.create(month=date(2026, 12, 1), office=ops.office)  # not released: not listed
    PlanItem.objects.create(plan=draft, customer=customer_of(advisor), reason="stratified", questionnaire=questionnaire)
    client = client_for(ops)

    page = client.get("/surveys/worklist/")
    assert page.context["month"] == november and page.context["months"] == [november, october]
    assert {i.pk for i in page.context["page"]} == {i.pk for i in items[november]}
    assert b'<option value="2026-10">2026-10</option>' in page.content
    page = client.get("/surveys/worklist/?month=2026-10")
    assert {i.pk for i in page.context["page"]} == {i.pk for i in items[october]}
    for unknown in ("2026-12", "2026-13", "nonsense"):  # a month without a released plan, or no month at all
        assert client.get(f"/surveys/worklist/?month={unknown}").context["month"] == november

    # the month's sample exports (CSV, XLSX), without the phone numbers the page does not show either
    export = client.get("/surveys/worklist/?month=2026-10&export=worklist&format=csv").content.decode("utf-8-sig")
    lines = export.strip().splitlines()
    assert lines[0].startswith("Month,Office,Customer code") and len(lines) == 3
    assert all(line.startswith("2026-10,") for line in lines[1:])
    assert client.get("/surveys/worklist/?export=worklist&format=xlsx").content[:2] == b"PK"

    # an attempt on an October item is recorded and leads back to October
    answer = client.post(f"/surveys/worklist/{items[october][0].pk}/attempt/",
                         {"outcome": "no_answer", "month": "2026-10"})
    item = items[october][0]
    response = SurveyResponse.objects.get(plan_item=item)
    assert answer.status_code == 302
    assert answer.url == f"/surveys/worklist/?month=2026-10&recorded={response.pk}#item-{item.pk}"
    items[october][0].refresh_from_db()
    assert items[october][0].attempts == 1


def test_generate_plan_page(ops, customer, client_for):
    client = client_for(ops)
    assert client.post("/surveys/plans/", {"month": "2026-11-01"}).status_code == 302
    assert SamplingPlan.objects.filter(month=date(2026, 11, 1), office=customer.office).exists()
    assert not SamplingPlan.objects.exclude(office=customer.office).exists()  # only the user's office


def _many(ops, customer_of, advisor, n):
    for _i in range(n):
        c = customer_of(advisor)
        services.file_response(actor=ops.user, data={
            "questionnaire": "S2020", "customer_code": c.customer_code, "channel": "phone", "outcome": "completed",
            "answers": {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "C", "Q7": "A"}})


@pytest.mark.parametrize("url", ["/surveys/", "/surveys/tasks/", "/surveys/reports/S2020/", "/surveys/worklist/",
                                 "/api/surveys/responses/", "/api/surveys/reports/S2020/",
                                 "/api/surveys/questionnaires/"])
def test_constant_queries(url, ops, customer_of, advisor, client_for, django_assert_max_num_queries):
    client = client_for(ops)
    _many(ops, customer_of, advisor, 1)
    client.get(url)  # warm caches (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _many(ops, customer_of, advisor, 6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_customer_panel_constant_queries(ops, customer, customer_of, s2020_data, client_for, advisor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(advisor)
    empty = customer_of(advisor)
    assert b"No survey responses yet." in client.get(f"/customers/{empty.customer_code}/").content
    one = customer_of(advisor)
    services.file_response(actor=ops.user, data={**s2020_data(), "customer_code": one.customer_code})
    client.get(f"/customers/{one.customer_code}/")
    with CaptureQueriesContext(connection) as single:
        client.get(f"/customers/{one.customer_code}/")
    for day, q6 in ((2, "A"), (3, "C"), (4, "D")):  # one S2020 phone survey a day (issue 17)
        services.file_response(actor=ops.user, data={**s2020_data(Q6=q6), "date": f"2026-11-0{day}"})
    with CaptureQueriesContext(connection) as three:
        page = client.get(f"/customers/{customer.customer_code}/")
    assert len(three.captured_queries) == len(single.captured_queries)
    text = page.content.decode()
    # Q6 C opens a dissatisfaction task; D is its re-survey (still dissatisfied: the same task reopens)
    assert "Dissatisfied / no comment" in text and "1 open follow-up" in text, text[text.find("Surveys"):][:3000]


def test_report_page_renders_in_chinese(filed, ops, client_for):
    client = client_for(ops)
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/surveys/reports/S2020/")
    text = page.content.decode()
    assert "服务人员近期是否积极主动与您保持联络" in text and "经常联系" in text
    assert "调查报告" in text and "回复率" in text  # translated UI strings


def test_exports_are_audited(filed, ops, client_for):
    from crm.models import AuditEvent

    response = client_for(ops).get("/surveys/reports/S2020/?export=answers&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="export", object_type="surveys.report").count() == 1


def test_plan_page_constant_queries(ops, customer_of, advisor, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = SamplingPlan.objects.create(month=date(2026, 11, 1), office=advisor.office)
    e = Questionnaire.objects.get(code="E")
    PlanItem.objects.create(plan=plan, customer=customer_of(advisor), questionnaire=e, reason="stratified",
                            sampled_for=advisor)
    client = client_for(ops)
    client.get(f"/surveys/plans/{plan.pk}/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/surveys/plans/{plan.pk}/")
    PlanItem.objects.bulk_create([PlanItem(plan=plan, customer=customer_of(advisor), questionnaire=e,
                                           reason="untraced", sampled_for=advisor) for _i in range(8)])
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(f"/surveys/plans/{plan.pk}/")
    assert page.context["page"].paginator.count == 9


def test_panel_queries_once_for_the_never_surveyed_three_times_at_most(ops, customer, customer_of, advisor,
                                                                         s2020_data, django_assert_num_queries):
    from customers.scope import scope_for
    from surveys.panels import customer_panel

    scope = scope_for(advisor.user)
    empty = customer_of(advisor)
    with django_assert_num_queries(1):  # no responses: nothing to prefetch
        panel = customer_panel(None, empty, scope)
    assert panel["responses"] == [] and panel["open_tasks"] == 0 and panel["profile"] == []
    for day, q6 in ((2, "A"), (3, "C"), (4, "D")):  # "一般" opens a task; the newest, "不满意", keeps it open (0.0)
        services.file_response(actor=ops.user, data={**s2020_data(Q6=q6), "date": f"2026-11-0{day}"})
    with django_assert_num_queries(3):  # responses, their answers, the open follow-ups
        panel = customer_panel(None, customer, scope)
    assert len(panel["responses"]) == 3 and panel["open_tasks"] == 1
    assert [(p["key"], str(p["value"]), p["on"].isoformat()) for p in panel["profile"]] == [
        ("satisfaction", "0 / 100", "2026-11-04"), ("loyalty", "Yes", "2026-11-04")]


def test_escalated_tasks_page_for_the_office_manager(ops, make_staff, s2020_data, client_for, customer_of,
                                                    advisor):
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    data = s2020_data(Q6="D")
    data["date"] = "2026-11-20"
    services.file_response(actor=ops.user, data=data)
    other = {**s2020_data(Q7="A"), "customer_code": customer_of(advisor).customer_code}
    services.file_response(actor=ops.user, data=other)  # a need, filed today: not overdue
    services.escalate_overdue(date(2026, 11, 24))
    page = client_for(manager).get("/surveys/tasks/?status=open&escalated=1")
    assert [t.option.code for t in page.context["page"]] == ["D"]
    assert client_for(manager).get("/surveys/tasks/?status=open").context["page"].paginator.count == 2
