"""Planner pages: the calendar (constant queries, scope, keyboard, Chinese), a task's page and its actions, tasks
from an alert, the feed settings and the today page's block."""
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from customers.models import Event
from planner import services
from planner.models import CalendarFeed, Task

from .conftest import DAY, at

WEEK = "/planner/?view=week&date=2026-12-05"  # Monday 30 Nov – Sunday 6 Dec


def plan(staff, **kw):
    kw.setdefault("title", "回电")
    kw.setdefault("due_at", at(DAY, 10))
    return services.create_task(actor=staff.user, **kw)


def _book(advisor, customer_of, n):
    """n customers, each with a task, a birthday, a payment date and a planned contact in the week."""
    for i in range(n):
        c = customer_of(advisor, birth_date=date(1970, 12, 1 + i % 6), next_contact_on=DAY - timedelta(days=i % 5))
        Event.objects.create(customer=c, date=DAY, kind="rights_issue", amount=1, due_on=DAY - timedelta(days=1))
        plan(advisor, customer=c, due_at=at(DAY - timedelta(days=i % 5), 9 + i % 8))


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_week_runs_the_same_queries_for_one_customer_and_thirty(people, customer_of, client_for,
                                                                    django_assert_max_num_queries):
    small, large = people["a"], people["b"]
    _book(small, customer_of, 1)
    _book(large, customer_of, 30)
    counts = [_count(client_for(s), WEEK) for s in (small, large)]
    assert counts[0] == counts[1]
    client = client_for(large)
    with django_assert_max_num_queries(8):  # session, user, staff; tasks, birthdays, events, planned contacts
        response = client.get(WEEK)
    body = response.content.decode()
    assert body.count('data-kind="task"') == 30 and body.count('data-kind="birthday"') == 30
    assert body.count('data-kind="event"') == 30 and body.count('data-kind="contact"') == 30


def test_the_week_and_the_day_show_the_owners_items_only(people, client_for):
    a, b = people["a"], people["b"]
    mine = plan(a, title="拜访甲", customer=people["mine"], due_at=at(DAY, 14), ends_at=at(DAY, 15))
    plan(a, title="上周的事", due_at=at(DAY - timedelta(days=7), 9))
    plan(b, title="乙的事", customer=people["theirs"], due_at=at(DAY, 10))
    body = client_for(a).get(WEEK).content.decode()
    assert "拜访甲" in body and "甲客户" in body and "14:00–15:00" in body
    assert "上周的事" not in body and "乙的事" not in body and "乙客户" not in body
    assert body.count('data-day="') == 7 and 'data-day="2026-11-30"' in body and 'data-day="2026-12-06"' in body
    day = client_for(a).get("/planner/?view=day&date=2026-12-04").content.decode()
    assert day.count('data-day="') == 1 and "拜访甲" not in day
    assert f'data-task="{mine.pk}"' in client_for(a).get("/planner/?view=day&date=2026-12-05").content.decode()


def test_the_calendar_moves_by_keyboard(people, client_for):
    body = client_for(people["a"]).get(WEEK).content.decode()
    assert 'accesskey="p"' in body and "date=2026-11-28" in body  # a week back
    assert 'accesskey="n"' in body and "date=2026-12-12" in body
    for key in ('accesskey="0"', 'accesskey="d"', 'accesskey="w"', 'accesskey="k"'):
        assert key in body


def test_a_manager_opens_an_advisors_calendar_in_scope_only(people, client_for):
    plan(people["a"], title="甲的安排", customer=people["mine"])
    om = client_for(people["om"])
    assert "甲的安排" in om.get(WEEK + f"&advisor={people['a'].staff_code}").content.decode()
    assert om.get(WEEK + f"&advisor={people['far'].staff_code}").status_code == 404
    # an advisor naming a colleague still sees their own calendar
    assert "甲的安排" not in client_for(people["b"]).get(WEEK + f"&advisor={people['a'].staff_code}").content.decode()


def test_the_calendar_reads_chinese(people, client_for):
    plan(people["a"], title="回电", customer=people["mine"], kind="visit")
    client = client_for(people["a"])
    client.cookies["django_language"] = "zh-hans"
    body = client.get(WEEK).content.decode()
    assert '<html lang="zh-hans"' in body and "今日" in body  # an existing message: the page is in Chinese
    with translation.override("zh-hans"):
        from django.utils.translation import gettext as _, pgettext

        expected = [_("Calendar"), pgettext("calendar", "Previous"), _("New task"), pgettext("task kind", "Other")]
    if any(e in ("Calendar", "New task", "Previous") for e in expected):
        pytest.skip("the planner's msgids are not in locale/ yet (the lead adds them from the report)")
    for text in expected[:3]:
        assert text in body
    for english in ("Calendar", "New task", "Nothing planned", "Previous", "Week"):
        assert f">{english}" not in body


def test_a_task_page_completes_reschedules_and_refuses_another_book(people, client_for):
    a, b = people["a"], people["b"]
    task = plan(a, customer=people["mine"])
    client = client_for(a)
    assert client.get(f"/planner/tasks/{task.pk}/").status_code == 200
    client.post(f"/planner/tasks/{task.pk}/", {"action": "reschedule", "due_at": "2026-12-07T16:30"})
    task.refresh_from_db()
    assert task.due_at == at(date(2026, 12, 7), 16, 30)
    client.post(f"/planner/tasks/{task.pk}/", {"action": "complete"})
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    other = client_for(b)
    assert other.get(f"/planner/tasks/{task.pk}/").status_code == 404
    assert other.post(f"/planner/tasks/{task.pk}/", {"action": "cancel"}).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.DONE


def test_a_new_task_by_hand_with_a_customer_code_of_ones_book_only(people, client_for):
    client = client_for(people["a"])
    form = client.get("/planner/tasks/new/?customer=A0000001").content.decode()
    assert 'value="A0000001"' in form
    assert 'value="B0000001"' not in client.get("/planner/tasks/new/?customer=B0000001").content.decode()
    refused = client.post("/planner/tasks/new/", {"customer_code": "B0000001", "kind": "call_back", "title": "x",
                                                  "due_at": "2026-12-07T10:00"})
    assert refused.status_code == 200 and not Task.objects.exists()
    made = client.post("/planner/tasks/new/", {"customer_code": "A0000001", "kind": "meeting", "title": "签约",
                                               "due_at": "2026-12-07T10:00", "ends_at": "2026-12-07T11:00",
                                               "location": "营业部"})
    task = Task.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/planner/tasks/{task.pk}/"
    assert (task.customer, task.ends_at, task.owner) == (people["mine"], at(date(2026, 12, 7), 11), people["a"])


def test_a_task_from_an_alert_page_in_scope_only(people, client_for):
    from alerts.models import Alert

    alert = Alert.objects.create(customer=people["mine"], rule="large_outflow", level="red", owner=people["a"],
                                 evidence={}, opened_at=timezone.now(), due_at=timezone.now() + timedelta(hours=4),
                                 first_fired_on=DAY, last_fired_on=DAY)
    url = f"/planner/alerts/{alert.pk}/task/"
    assert client_for(people["b"]).get(url).status_code == 404
    assert client_for(people["b"]).post(url, {"kind": "call_back", "due_at": "2026-12-07T10:00"}).status_code == 404
    client = client_for(people["a"])
    assert "甲客户" in client.get(url).content.decode()
    client.post(url, {"kind": "call_back", "due_at": "2026-12-07T10:00"})
    task = Task.objects.get()
    assert (task.source, task.source_id, task.customer) == ("alert", alert.pk, people["mine"])


def test_the_feed_page_shows_the_address_once_then_revokes_it(people, client_for):
    client = client_for(people["a"])
    client.post("/planner/feed/", {"action": "new"})
    first = client.get("/planner/feed/").content.decode()
    assert "/api/planner/feed/" in first
    assert "/api/planner/feed/" not in client.get("/planner/feed/").content.decode()
    client.post("/planner/feed/", {"action": "revoke"})
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    assert client_for(people["compliance"]).post("/planner/feed/", {"action": "new"}).status_code == 403


def test_todays_list_shows_tasks_due_today_and_overdue(people, client_for):
    a = people["a"]
    today = timezone.localdate()
    plan(a, title="昨天该打的电话", due_at=at(today - timedelta(days=1), 9))
    plan(a, title="今天的会", due_at=at(today, 23, 0))
    plan(a, title="明天的事", due_at=at(today + timedelta(days=1), 9))
    plan(people["b"], title="乙今天的事", due_at=at(today, 9))
    body = client_for(a).get("/workspace/today/").content.decode()
    assert 'id="today-tasks"' in body and "1 overdue" in body
    assert "昨天该打的电话" in body and "今天的会" in body
    assert "明天的事" not in body and "乙今天的事" not in body


def test_the_calendar_at_the_ends_of_time_shows_today_instead(people, client_for):
    client = client_for(people["a"])
    for value in ("9999-12-31", "0001-01-01", "2026-02-30", "x"):
        response = client.get(f"/planner/?view=week&date={value}")
        assert response.status_code == 200 and 'data-day="' in response.content.decode()


@pytest.mark.parametrize("due", ["0001-01-01T00:00", "9999-12-31T23:59", "2050-01-01T09:00"])
def test_a_date_far_from_today_is_refused_on_the_form(people, client_for, due):
    response = client_for(people["a"]).post("/planner/tasks/new/", {"kind": "call_back", "title": "x",
                                                                    "due_at": due})
    assert response.status_code == 200 and not Task.objects.exists()


def test_a_manager_sees_an_advisors_calendar_within_the_managers_own_scope(people, client_for):
    from customers.tests.factories import CustomerFactory, office

    a = people["a"]
    elsewhere = CustomerFactory(advisor=a, office=office("XS"), name="外部门客户", birth_date=date(1980, 12, 2))
    plan(a, title="外部门拜访", customer=elsewhere)
    url = WEEK + f"&advisor={a.staff_code}"
    own = client_for(a).get(WEEK).content.decode()
    assert "外部门客户" in own and "外部门拜访" in own
    seen = client_for(people["om"]).get(url).content.decode()
    assert "外部门客户" not in seen and "外部门拜访" not in seen
