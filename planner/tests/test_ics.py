"""The ICS feed: valid iCalendar (parsed with the icalendar library), the owner's scope only, revocable."""
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from customers.models import Event
from planner import services
from planner.models import CalendarFeed

from .conftest import DAY, at


@pytest.fixture
def planned(people, freeze_day):
    a, b, mine, theirs = people["a"], people["b"], people["mine"], people["theirs"]
    mine.birth_date, mine.next_contact_on = date(1970, 12, 8), DAY + timedelta(days=10)
    mine.save(update_fields=["birth_date", "next_contact_on"])
    theirs.birth_date, theirs.next_contact_on = date(1980, 12, 8), DAY + timedelta(days=10)
    theirs.save(update_fields=["birth_date", "next_contact_on"])
    Event.objects.create(customer=mine, date=DAY, kind="ipo_win", amount=1000, due_on=DAY + timedelta(days=1))
    Event.objects.create(customer=theirs, date=DAY, kind="ipo_win", amount=1000, due_on=DAY + timedelta(days=1))
    services.create_task(actor=a.user, title="上门拜访", customer=mine, kind="visit", due_at=at(DAY, 14),
                         ends_at=at(DAY, 15), location="芙蓉路")
    services.create_task(actor=b.user, title="B的任务", customer=theirs, due_at=at(DAY, 9))
    return people


@pytest.fixture
def freeze_day(monkeypatch):
    """The feed's window is read around this day, not the clock's."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: DAY)


def _feed(client, token):
    return client.get(f"/api/planner/feed/{token}.ics")


def test_the_feed_parses_and_holds_the_owners_items_only(planned, client):
    token = services.new_feed(actor=planned["a"].user)
    response = _feed(client, token)  # no login: the token is the credential
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}
    mine = planned["mine"]
    assert set(events) == {f"task-{planned['mine'].planner_tasks.get().pk}", f"birthday-{mine.pk}-2026",
                           f"event-{Event.objects.get(customer=mine).pk}", f"contact-{mine.pk}-2026-12-15"}
    visit = events[f"task-{mine.planner_tasks.get().pk}"]
    assert visit.decoded("dtstart") == at(DAY, 14) and visit.decoded("dtend") == at(DAY, 15)
    assert str(visit["location"]) == "芙蓉路" and "甲客户" in str(visit["summary"])
    birthday = events[f"birthday-{mine.pk}-2026"]
    assert birthday.decoded("dtstart") == date(2026, 12, 8)  # an all-day item
    body = response.content.decode()
    for foreign in ("乙客户", "B0000001", "B的任务", "13812345678", "430102199001011234"):
        assert foreign not in body


def test_a_new_feed_revokes_the_old_and_revoke_stops_it(planned, client):
    a = planned["a"].user
    first = services.new_feed(actor=a)
    second = services.new_feed(actor=a)
    assert _feed(client, first).status_code == 404 and _feed(client, second).status_code == 200
    assert CalendarFeed.objects.filter(user=a, revoked_at__isnull=True).count() == 1
    assert services.revoke_feed(actor=a) == 1
    assert _feed(client, second).status_code == 404
    assert _feed(client, "not-a-token").status_code == 404


def test_the_token_is_not_stored_and_a_deactivated_owner_feeds_nothing(planned, client):
    staff = planned["a"]
    token = services.new_feed(actor=staff.user)
    assert not CalendarFeed.objects.filter(token_hash=token).exists() and len(token) >= 40
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert _feed(client, token).status_code == 404


def test_compliance_gets_no_feed(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.new_feed(actor=people["compliance"].user)
