"""Pages and API: each user sees their own messages only, managers the failed ones of their office (or branch),
retry and preferences are writes of the right roles; constant queries; addresses masked."""
import pytest
from django.core import mail

from customers.models import Role
from outreach import services
from outreach.models import Message, NotificationPreference

pytestmark = pytest.mark.django_db


def message_for(staff, key="red_alert:1", status="queued", address=None, **extra):
    services.dispatch([{"event_key": key, "event_kind": "red_alert", "channel": "email", "recipient_staff": staff,
                        "address": address or f"{staff.username}@branch.example", "subject": f"预警 {key}",
                        "body": "正文", **extra}])
    m = Message.objects.get(event_key=key, recipient_staff=staff)
    Message.objects.filter(pk=m.pk).update(status=status, last_error="HTTP 503" if status == "failed" else "")
    return m


def test_an_advisor_sees_only_their_own_messages(make_staff, client_for, django_assert_max_num_queries):
    me, colleague = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR)
    for i in range(5):
        message_for(me, f"red_alert:{i}")
    message_for(colleague, "red_alert:99")
    client = client_for(me)
    client.get("/outreach/")  # warm the session
    with django_assert_max_num_queries(12):
        html = client.get("/outreach/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("预警 red_alert:") == 5 and "red_alert:99" not in html
    assert f"{me.username}@branch.example" not in html and f"{me.username[:2]}***@branch.example" in html
    api = client.get("/api/outreach/messages/").json()
    rows = api["results"] if isinstance(api, dict) else api
    assert sorted(r["subject"] for r in rows) == [f"预警 red_alert:{i}" for i in range(5)]
    assert client.get("/outreach/failed/").status_code == 403
    assert client.get("/api/outreach/messages/failed/").status_code == 403


def test_an_office_manager_sees_and_retries_the_failed_messages_of_their_office(
        make_staff, client_for, django_capture_on_commit_callbacks):
    cs, hy = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR, "HY")
    mine = message_for(cs, "red_alert:1", status="failed")
    message_for(cs, "red_alert:2", status="sent")
    theirs = message_for(hy, "red_alert:3", status="failed")
    manager = make_staff(Role.OFFICE_MANAGER)
    client = client_for(manager)
    html = client.get("/outreach/failed/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'value="{mine.pk}"' in html and f'value="{theirs.pk}"' not in html and "HTTP 503" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/outreach/failed/retry/", {"ids": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    assert dict(Message.objects.values_list("pk", "status")) == {mine.pk: "sent", theirs.pk: "failed",
                                                                 mine.pk + 1: "sent"}
    assert [m.to for m in mail.outbox] == [[f"{cs.username}@branch.example"]]
    api = client.post("/api/outreach/messages/retry/", {"ids": [theirs.pk]}, content_type="application/json")
    assert api.status_code == 200 and api.json() == {"queued": 0}


def test_branch_manager_sees_every_failed_message_and_compliance_reads_without_retrying(make_staff, client_for):
    cs, hy = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR, "HY")
    a, b = message_for(cs, "red_alert:1", status="failed"), message_for(hy, "red_alert:2", status="failed")
    rows = client_for(make_staff(Role.BRANCH_MANAGER)).get("/api/outreach/messages/failed/").json()["results"]
    assert sorted(r["id"] for r in rows) == [a.pk, b.pk]
    compliance = client_for(make_staff(Role.COMPLIANCE))
    html = compliance.get("/outreach/failed/").content.decode()
    assert "HTTP 503" in html and 'name="ids"' not in html
    assert compliance.post("/outreach/failed/retry/", {"ids": [a.pk]}).status_code == 403
    assert compliance.post("/api/outreach/messages/retry/", {"ids": [a.pk]},
                           content_type="application/json").status_code == 403
    assert set(Message.objects.values_list("status", flat=True)) == {"failed"}


def test_failed_page_queries_do_not_grow_with_rows(make_staff, client_for, django_assert_max_num_queries):
    advisors = [make_staff(Role.WEALTH_ADVISOR) for _ in range(3)]
    for i in range(30):
        message_for(advisors[i % 3], f"red_alert:{i}", status="failed")
    client = client_for(make_staff(Role.BRANCH_MANAGER))
    client.get("/outreach/failed/")
    with django_assert_max_num_queries(12):
        assert client.get("/outreach/failed/").status_code == 200


def test_preferences_are_ones_own_and_validated(make_staff, client_for):
    advisor = make_staff(Role.WEALTH_ADVISOR)
    client = client_for(advisor)
    assert client.get("/outreach/preferences/").status_code == 200
    bad = client.post("/outreach/preferences/", {"events": ["digest"], "channel": "sms", "phone": "",
                                                 "quiet_start": "22:00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and not NotificationPreference.objects.exists()
    assert "SMS needs a mobile number." in bad.content.decode()
    ok = client.post("/outreach/preferences/", {"events": ["digest", "red_alert"], "channel": "sms",
                                                "phone": "13900001111", "quiet_start": "22:00", "quiet_end": "07:00"})
    assert ok.status_code == 302
    pref = NotificationPreference.objects.get(user=advisor.user)
    assert (pref.events, pref.channel, pref.phone, str(pref.quiet_start)) == (["digest", "red_alert"], "sms",
                                                                              "13900001111", "22:00:00")
    assert client_for(make_staff(Role.COMPLIANCE)).post("/outreach/preferences/", {"channel": "email"}).status_code == 403
