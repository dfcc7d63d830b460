"""/api/planner/tasks/: list within scope, create (by hand, as a contact's next step), complete, reschedule,
cancel; another book's task reads as absent."""
import pytest

from customers.services import log_interaction
from planner import services
from planner.models import Task

from .conftest import DAY, at

URL = "/api/planner/tasks/"


def plan(staff, **kw):
    kw.setdefault("title", "回电")
    kw.setdefault("due_at", at(DAY, 10))
    return services.create_task(actor=staff.user, **kw)


def test_the_list_holds_the_callers_scope_only(people, client_for):
    mine = plan(people["a"], customer=people["mine"])
    plan(people["b"], customer=people["theirs"])
    rows = client_for(people["a"]).get(URL).json()["results"]
    assert [(r["id"], r["customer"], r["owner"]) for r in rows] == [
        (mine.pk, "A0000001", people["a"].staff_code)]
    assert len(client_for(people["om"]).get(URL).json()["results"]) == 2
    assert client_for(people["a"]).get(f"{URL}?status=done").json()["results"] == []


def test_create_by_hand_and_as_a_next_step(people, client_for):
    client = client_for(people["a"])
    made = client.post(URL, {"customer": "A0000001", "kind": "visit", "title": "上门",
                             "due_at": "2026-12-07T10:00:00+08:00", "ends_at": "2026-12-07T11:00:00+08:00"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    assert (made.json()["kind"], made.json()["customer"], made.json()["source"]) == ("visit", "A0000001", "person")
    contact = log_interaction(customer=people["mine"], actor=people["a"].user, channel="phone", summary="聊")
    step = client.post(URL, {"interaction": contact.pk, "kind": "call_back", "notes": "周一回电",
                             "due_at": "2026-12-07T09:00:00+08:00"}, content_type="application/json")
    assert step.status_code == 201 and (step.json()["source"], step.json()["source_id"]) == (
        "interaction", contact.pk)
    assert client.post(URL, {"customer": "B0000001", "title": "x", "due_at": "2026-12-07T09:00:00+08:00"},
                       content_type="application/json").status_code == 404
    foreign = log_interaction(customer=people["theirs"], actor=people["b"].user, channel="phone", summary="x")
    assert client.post(URL, {"interaction": foreign.pk, "due_at": "2026-12-07T09:00:00+08:00"},
                       content_type="application/json").status_code == 404
    assert Task.objects.count() == 2


def test_complete_reschedule_cancel_and_another_books_task(people, client_for):
    task = plan(people["a"], customer=people["mine"], ends_at=at(DAY, 11))
    client = client_for(people["a"])
    moved = client.post(f"{URL}{task.pk}/reschedule/", {"due_at": "2026-12-08T14:00:00+08:00"},
                        content_type="application/json").json()
    assert (moved["due_at"], moved["ends_at"]) == ("2026-12-08T14:00:00+08:00", "2026-12-08T15:00:00+08:00")
    other = client_for(people["b"])
    assert other.get(f"{URL}{task.pk}/").status_code == 404
    for action in ("complete", "cancel"):
        assert other.post(f"{URL}{task.pk}/{action}/", {}).status_code == 404
    assert client.post(f"{URL}{task.pk}/complete/", {"note": "ok"}).json()["status"] == "done"
    assert client.post(f"{URL}{task.pk}/cancel/", {}).status_code == 400  # no longer open
    assert client_for(people["compliance"]).post(URL, {"title": "x", "due_at": "2026-12-07T09:00:00+08:00"},
                                                 content_type="application/json").status_code == 403


@pytest.mark.parametrize("body", [{"title": "x"}, {"due_at": "2026-12-07T09:00:00+08:00"},
                                  {"title": "x", "due_at": "yesterday"}, {"title": "x", "due_at": "0001-01-01T00:00"},
                                  {"title": "x", "due_at": "9999-12-31T23:59"}])
def test_bad_bodies_are_400(people, client_for, body):
    assert client_for(people["a"]).post(URL, body, content_type="application/json").status_code == 400
    assert not Task.objects.exists()
