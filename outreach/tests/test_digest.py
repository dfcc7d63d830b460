"""The morning digest and the pushes, on the hand-worked book of crm/tests/test_today.py (its ranking A, B, D, C
worked out there from the list's formula): content, one message per advisor and day, Chinese by default."""
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert
from crm.tests.test_today import DAY, advisor, at, book  # noqa: F401 (fixtures)
from customers.models import Role
from outreach import digest, pushes
from outreach.models import Message

pytestmark = pytest.mark.django_db
OVERDUE = [{"title": "回访 A", "customer__name": "A", "due_at": at(DAY - timedelta(days=2), 10)},
           {"title": "递交材料", "customer__name": None, "due_at": at(DAY - timedelta(days=1), 15)}]


@pytest.fixture
def planner(monkeypatch, advisor):  # noqa: F811
    """The planner's per-owner rows (its selectors' contract), two overdue tasks for the advisor."""
    monkeypatch.setattr(digest, "planner_rows", lambda day: ({advisor.pk: OVERDUE}, {}))


def test_the_digest_lists_the_day_in_the_lists_order(advisor, book, planner, make_staff):  # noqa: F811
    idle = make_staff(Role.WEALTH_ADVISOR)  # nothing to say: no message
    digests = digest.build_digests(DAY)
    mine = digests[advisor.pk]
    assert [c.customer_code for c in mine.cards] == ["C90000001", "C90000002", "C90000004", "C90000003"]
    assert [a["code"] for a in mine.red_alerts] == ["C90000001"] and digests[idle.pk].empty
    [row] = digest.digest_messages(DAY, digests)
    assert row["recipient_staff"] == advisor.pk and row["channel"] == "email"
    assert row["address"] == f"{advisor.username}@branch.example"
    assert row["subject"] == "Morning digest 2026-12-04: 4 on today's list, 2 overdue tasks, 1 new red alerts"
    body = row["body"]
    assert "- A (C90000001): Closing / transfer application · due 12-04 09:00" in body
    assert body.index("1. A (C90000001)") < body.index("2. B (C90000002)") < body.index("3. D (C90000004)") \
        < body.index("4. C (C90000003)")
    assert "- 回访 A · A · due 12-02 10:00" in body and "- 递交材料 · due 12-03 15:00" in body


def test_send_digest_sends_once_per_advisor_and_day(advisor, book, planner, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digest", "--date", "2026-12-04", stdout=open("/dev/null", "w"))
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.send_digests(DAY)["created"] == 0
    assert [m.to for m in mail.outbox] == [[f"{advisor.username}@branch.example"]]
    assert Message.objects.get().status == "sent"


def test_the_digest_is_written_in_the_branchs_language(settings, advisor, book, planner):  # noqa: F811
    settings.LANGUAGE_CODE = "zh-hans"  # the branch's default; the tests' own language is English
    [row] = digest.digest_messages(DAY, digest.build_digests(DAY))
    assert "- A (C90000001): 转销户申请" in row["body"]  # the rule's label from the catalogue
    assert "4. C (C90000003) — " in row["body"] and "Closing / transfer application" not in row["body"]


def test_red_alerts_and_escalations_are_pushed_once(advisor, book, make_staff):  # noqa: F811
    manager = make_staff(Role.OFFICE_MANAGER)
    now = timezone.make_aware(datetime.combine(DAY, time(10)))
    red = Alert.objects.get(rule="closing_application")
    Alert.objects.filter(pk=red.pk).update(manager=manager)
    late = Alert.objects.get(customer__customer_code="C90000003", rule="large_outflow")  # opened 3 days ago
    Alert.objects.filter(pk=late.pk).update(level="red", due_at=at(DAY, 9), escalated_at=now, manager=manager,
                                            opened_at=at(DAY - timedelta(days=3)))
    assert pushes.push_alerts(now=now) == 3
    assert pushes.push_alerts(now=now) == 0
    got = sorted(Message.objects.values_list("event_key", "recipient_staff_id"))
    assert got == sorted([(f"red_alert:{red.pk}", advisor.pk), (f"red_alert:{red.pk}", manager.pk),
                          (f"escalation:{late.pk}", manager.pk)])
    escalation = Message.objects.get(event_kind="escalation")
    assert escalation.subject == "Escalated: C (C90000003), Large outflow"
    assert "was not acknowledged by 12-04 09:00" in escalation.body
    # a day later the same alerts are not news
    assert pushes.push_alerts(now=now + timedelta(days=2)) == 0


def test_the_digest_reads_a_fixed_number_of_queries_whatever_the_advisors(make_staff, customer_of, planner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.tests.test_today import alert as make_alert
    from crm.tests.test_today import tier

    def advisors_with_work(n):
        for _ in range(n):
            someone = make_staff(Role.WEALTH_ADVISOR)
            c = customer_of(someone)
            tier(c, clv=10_000)
            make_alert(c, "large_outflow", "red", due=at(DAY, 9))

    def queries():
        Message.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            digest.send_digests(DAY)
        return len(ctx.captured_queries)

    advisors_with_work(2)
    few = queries()
    advisors_with_work(6)
    many = queries()
    assert Message.objects.count() == 9 and many == few  # 8 with alerts, 1 with the planner's overdue tasks


def test_the_planners_tasks_reach_the_digest(advisor, book):  # noqa: F811
    """Through planner.selectors (no stand-in): open tasks overdue and due on the day; done ones left out."""
    from planner.models import Task

    c = book["A"]
    Task.objects.create(owner=advisor, customer=c, title="回访 A", due_at=at(DAY - timedelta(days=2), 10))
    Task.objects.create(owner=advisor, title="交材料", due_at=at(DAY, 15))
    Task.objects.create(owner=advisor, title="已办", due_at=at(DAY - timedelta(days=1)), status="done")
    mine = digest.build_digests(DAY)[advisor.pk]
    assert [t["title"] for t in mine.overdue] == ["回访 A"] and [t["title"] for t in mine.due_today] == ["交材料"]
    [row] = digest.digest_messages(DAY, {advisor.pk: mine})
    assert "1 overdue tasks" in row["subject"]
    assert "- 回访 A · A · due 12-02 10:00" in row["body"] and "- 15:00 交材料" in row["body"]
