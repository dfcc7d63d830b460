"""Task lifecycle and scope: who may plan, see, complete, reschedule and cancel what."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from planner import selectors, services
from planner.models import Task

from .conftest import DAY, at


def plan(actor, **kw):
    kw.setdefault("title", "回电")
    kw.setdefault("due_at", at(DAY, 10))
    return services.create_task(actor=actor.user, **kw)


def test_an_advisor_plans_completes_and_sees_the_task_leave_the_open_list(people):
    a, mine = people["a"], people["mine"]
    task = plan(a, customer=mine, kind=Task.Kind.VISIT)
    assert (task.owner, task.customer, task.status, task.source) == (a, mine, Task.Status.OPEN, Task.Source.PERSON)
    assert list(selectors.open_tasks(owner_ids=[a.pk])) == [task]
    done = services.complete_task(actor=a.user, task_id=task.pk, note="谈妥")
    assert done.status == Task.Status.DONE and done.completed_at is not None and "谈妥" in done.notes
    assert list(selectors.open_tasks(owner_ids=[a.pk])) == []
    with pytest.raises(ValidationError):  # a closed task stays closed
        services.cancel_task(actor=a.user, task_id=task.pk)


def test_reschedule_keeps_an_appointments_length_and_cancel_closes_it(people):
    a = people["a"]
    meeting = plan(a, due_at=at(DAY, 14), ends_at=at(DAY, 15, 30), location="营业部")
    moved = services.reschedule(actor=a.user, task_id=meeting.pk, due_at=at(DAY + timedelta(days=2), 9))
    assert (moved.due_at, moved.ends_at) == (at(DAY + timedelta(days=2), 9), at(DAY + timedelta(days=2), 10, 30))
    assert services.cancel_task(actor=a.user, task_id=meeting.pk).status == Task.Status.CANCELLED


def test_an_appointment_cannot_end_before_it_starts_nor_a_task_go_without_a_title(people):
    a = people["a"]
    with pytest.raises(ValidationError):
        plan(a, due_at=at(DAY, 14), ends_at=at(DAY, 13))
    with pytest.raises(ValidationError):
        plan(a, title="  ")
    with pytest.raises(ValidationError):
        plan(a, title="x" * 201)


def test_another_books_customer_is_refused_and_another_books_task_is_neither_seen_nor_changed(people):
    a, b = people["a"], people["b"]
    with pytest.raises(PermissionDenied):
        plan(a, customer=people["theirs"])
    with pytest.raises(PermissionDenied):  # an advisor plans for themself only
        plan(a, owner=b)
    theirs = plan(b, customer=people["theirs"])
    assert not selectors.visible_tasks(a.user).filter(pk=theirs.pk).exists()
    for change in (lambda: services.complete_task(actor=a.user, task_id=theirs.pk),
                   lambda: services.cancel_task(actor=a.user, task_id=theirs.pk),
                   lambda: services.reschedule(actor=a.user, task_id=theirs.pk, due_at=at(DAY, 8))):
        with pytest.raises(services.TaskNotFound):
            change()
    theirs.refresh_from_db()
    assert (theirs.status, theirs.due_at) == (Task.Status.OPEN, at(DAY, 10))


def test_an_office_manager_plans_for_an_advisor_of_the_office_and_closes_it_but_not_across_offices(people):
    om, a = people["om"], people["a"]
    task = plan(om, owner=a, customer=people["mine"])
    assert task.owner == a and selectors.visible_tasks(a.user).filter(pk=task.pk).exists()
    with pytest.raises(PermissionDenied):  # the customer must be in the owner's book too
        plan(om, owner=a, customer=people["theirs"])
    with pytest.raises(PermissionDenied):
        plan(om, owner=people["far"])
    services.complete_task(actor=om.user, task_id=task.pk)
    far_task = plan(people["far"], customer=people["distant"])
    assert not selectors.visible_tasks(om.user).filter(pk=far_task.pk).exists()
    with pytest.raises(services.TaskNotFound):
        services.complete_task(actor=om.user, task_id=far_task.pk)


def test_operations_see_the_offices_tasks_but_change_only_their_own_and_compliance_plans_nothing(people):
    ops, a = people["ops"], people["a"]
    task = plan(a, customer=people["mine"])
    assert selectors.visible_tasks(ops.user).filter(pk=task.pk).exists()
    with pytest.raises(PermissionDenied):
        services.complete_task(actor=ops.user, task_id=task.pk)
    with pytest.raises(PermissionDenied):
        plan(people["compliance"])


def test_a_task_about_a_customer_who_left_the_book_leaves_the_old_advisors_view(people):
    a, b, mine = people["a"], people["b"], people["mine"]
    task = plan(a, customer=mine)
    mine.advisor = b
    mine.save(update_fields=["advisor"])
    assert not selectors.visible_tasks(a.user).filter(pk=task.pk).exists()


def test_the_digest_reads_overdue_and_due_today_per_owner(people):
    a, b = people["a"], people["b"]
    late = plan(a, due_at=at(DAY - timedelta(days=1), 16))
    early, later = plan(a, due_at=at(DAY, 0)), plan(a, due_at=at(DAY, 23, 59))
    plan(a, due_at=at(DAY + timedelta(days=1), 0))  # tomorrow: neither
    other = plan(b, due_at=at(DAY, 9))
    done = plan(b, due_at=at(DAY - timedelta(days=3), 9))
    services.complete_task(actor=b.user, task_id=done.pk)
    overdue = selectors.overdue_tasks_by_owner(DAY)
    assert {k: [r["id"] for r in v] for k, v in overdue.items()} == {a.pk: [late.pk]}
    due = selectors.due_today_by_owner(DAY)
    assert {k: [r["id"] for r in v] for k, v in due.items()} == {a.pk: [early.pk, later.pk], b.pk: [other.pk]}


def test_a_task_from_an_alert_goes_to_its_owner_once(people):
    from alerts.models import Alert

    a, om = people["a"], people["om"]
    alert = Alert.objects.create(customer=people["mine"], rule="large_outflow", level="red", owner=a,
                                 evidence={}, opened_at=at(DAY, 8), due_at=at(DAY, 12), first_fired_on=DAY,
                                 last_fired_on=DAY)
    task = services.task_from_alert(alert.pk, actor=om.user, due_at=at(DAY, 11))
    assert (task.owner, task.customer, task.source, task.source_id) == (a, people["mine"], "alert", alert.pk)
    assert services.task_from_alert(alert.pk, actor=a.user) == task  # a second click: the same open task
    assert Task.objects.count() == 1
    with pytest.raises(PermissionDenied):  # another book's alert
        services.task_from_alert(alert.pk, actor=people["b"].user)


def test_a_task_from_a_survey_follow_up_is_due_on_its_day_at_nine(people):
    from surveys.models import FollowUpTask, Questionnaire, SurveyResponse

    a = people["a"]
    version = Questionnaire.objects.get(code="S2020").versions.order_by("-pk").first()
    response = SurveyResponse.objects.create(version=version, customer=people["mine"], channel="phone",
                                             outcome="completed", surveyed_on=DAY)
    question = version.questions.order_by("pk").first()
    followup = FollowUpTask.objects.create(response=response, customer=people["mine"], question=question,
                                           option=question.options.order_by("pk").first(), kind="dissatisfied",
                                           category="service", priority=1, owner=a, opened_on=DAY,
                                           due_on=DAY + timedelta(days=3), detail="嫌服务慢")
    task = services.task_from_survey_followup(followup.pk, actor=a.user)
    assert (task.due_at, task.source, task.source_id, task.notes) == (
        at(DAY + timedelta(days=3), 9), "survey", followup.pk, "嫌服务慢")
    with pytest.raises(PermissionDenied):
        services.task_from_survey_followup(followup.pk, actor=people["b"].user)


def test_a_contacts_next_step_is_a_task_about_the_same_customer(people):
    from customers.services import log_interaction

    a = people["a"]
    contact = log_interaction(customer=people["mine"], actor=a.user, channel="phone", summary="聊了产品")
    task = services.task_from_interaction(contact, actor=a.user, kind="meeting", due_at=at(DAY, 15),
                                          note="带合同来\n其他")
    assert (task.title, task.kind, task.customer, task.source, task.source_id) == (
        "带合同来", "meeting", people["mine"], "interaction", contact.pk)


def test_an_appointment_moved_to_the_end_of_the_calendar_is_refused_not_a_crash(people):
    from datetime import datetime

    from django.utils import timezone

    a = people["a"]
    meeting = plan(a, due_at=at(DAY, 14), ends_at=at(DAY, 15))
    with pytest.raises(ValidationError):
        services.reschedule(actor=a.user, task_id=meeting.pk,
                            due_at=timezone.make_aware(datetime(9999, 12, 31, 23, 30)))
