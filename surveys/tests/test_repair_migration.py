"""Migration 0003 repairs what the old filing let through, so 0004's constraints can be added on a live database."""
from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import AuditEvent
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, office
from surveys import selectors
from surveys.models import Answer, FollowUpTask, PlanItem, Questionnaire, SamplingPlan, SurveyResponse

BEFORE = [("surveys", "0002_questionnaires_and_policy")]
AFTER = [("surveys", "0004_filing_once_constraints")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.usefixtures("reference_data")
@pytest.mark.django_db(transaction=True)
def test_existing_double_filings_are_repaired_before_the_constraints():
    _migrate(BEFORE)
    cs = office("CS")
    advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs)
    customer, other = (CustomerFactory(advisor=advisor, office=cs) for _ in range(2))
    version = selectors.active_version("S2020")
    q6 = version.questions.get(code="Q6")
    plan = SamplingPlan.objects.create(month=date(2026, 11, 1), office=cs, status="released")
    item = PlanItem.objects.create(plan=plan, customer=customer, questionnaire=Questionnaire.objects.get(code="S2020"),
                                   reason="stratified", outcome="completed", attempts=4)

    def response(who, day, outcome="completed", **kw):
        r = SurveyResponse.objects.create(version=version, customer=who, channel="phone", outcome=outcome,
                                          surveyed_on=date(2026, 11, day), **kw)
        if outcome == "completed":
            Answer.objects.create(response=r, question=q6, option=q6.options.get(code="C"), text=f"r{r.pk}")
        return r

    kept = response(customer, 2, plan_item=item)
    copy = response(customer, 2, plan_item=item)  # the double filing of one item, same day and channel
    later = response(customer, 3, plan_item=item)  # the item completed again another day
    misfiled = response(other, 3, plan_item=item)  # another customer's answers on the item
    attempts = [response(customer, 1, outcome="no_answer") for _ in range(2)]  # may repeat
    task = FollowUpTask.objects.create(response=copy, customer=customer, question=q6, option=q6.options.get(code="C"),
                                       kind="dissatisfied", category="service", priority=2, opened_on=date(2026, 11, 2),
                                       due_on=date(2026, 11, 3), note="called back")

    _migrate(AFTER)

    assert sorted(SurveyResponse.objects.values_list("pk", flat=True)) == sorted(
        [kept.pk, later.pk, misfiled.pk] + [a.pk for a in attempts])
    assert list(SurveyResponse.objects.filter(plan_item=item).values_list("pk", flat=True)) == [kept.pk]
    task.refresh_from_db()
    assert task.response_id == kept.pk and task.note == "called back"  # the work noted on the copy is kept
    removed = AuditEvent.objects.get(action="survey.duplicate.removed")
    assert removed.object_id == str(copy.pk) and removed.detail["kept"] == kept.pk
    assert removed.detail["answers"] == [["Q6", "C", f"r{copy.pk}"]]
    item.refresh_from_db()
    assert (item.outcome, item.attempts) == ("completed", 1)
