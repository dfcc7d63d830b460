"""dispatch and sending through the e-mail channel (Django's outbox): idempotency, preferences, quiet hours."""
from datetime import datetime, time

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import Role
from outreach import selectors, services
from outreach.models import Message, NotificationPreference

pytestmark = pytest.mark.django_db


def at(hour, minute=0, day=5):
    return timezone.make_aware(datetime(2026, 12, day, hour, minute))


def digest_for(staff, event_key="digest:2026-12-05", kind="digest"):
    return {"event_key": event_key, "event_kind": kind, "channel": "email", "recipient_staff": staff,
            "address": f"{staff.username}@branch.example", "subject": "晨报", "body": "今日名单 3 位客户"}


def test_dispatch_is_idempotent_and_sends_each_message_once(make_staff, django_capture_on_commit_callbacks):
    a, b = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.dispatch([digest_for(a), digest_for(b), digest_for(a)]) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([f"{a.username}@branch.example",
                                                            f"{b.username}@branch.example"])
    assert mail.outbox[0].subject == "晨报"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.dispatch([digest_for(a), digest_for(b)]) == 0
    assert len(mail.outbox) == 2
    # a second delivery of the same send task finds nothing left to send
    outcome = services.send_messages(list(Message.objects.values_list("pk", flat=True)))
    assert outcome.sent == [] and len(mail.outbox) == 2
    assert set(Message.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert all(m.sent_at is not None for m in Message.objects.all())


def test_an_event_turned_off_is_logged_as_suppressed_and_never_sent(make_staff, django_capture_on_commit_callbacks):
    a = make_staff(Role.WEALTH_ADVISOR)
    NotificationPreference.objects.create(user=a.user, events=["red_alert"], channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch([digest_for(a), digest_for(a, "red_alert:7", "red_alert")])
    assert dict(Message.objects.values_list("event_kind", "status")) == {"digest": "suppressed", "red_alert": "sent"}
    assert [m.subject for m in mail.outbox] == ["晨报"]  # the red alert's


def test_quiet_hours_hold_a_message_until_they_end(make_staff):
    a = make_staff(Role.WEALTH_ADVISOR)
    NotificationPreference.objects.create(user=a.user, events=["digest"], quiet_start=time(22), quiet_end=time(7))
    services.dispatch([digest_for(a)], now=at(23, 30))
    message = Message.objects.get()
    assert message.send_after == at(7, day=6)  # past midnight: the next morning
    assert services.send_messages([message.pk], now=at(23, 45)).sent == []  # still quiet
    assert services.send_messages([message.pk], now=at(7, 0, day=6)).sent == [message.pk]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("now, until", [(at(6, 59), at(7)), (at(7), None), (at(21, 59), None), (at(22), at(7, day=6))])
def test_quiet_window_across_midnight(now, until):
    pref = selectors.Preference(quiet_start=time(22), quiet_end=time(7))
    assert pref.quiet_until(now) == until


def test_quiet_window_within_a_day():
    pref = selectors.Preference(quiet_start=time(12), quiet_end=time(14))
    assert pref.quiet_until(at(11, 59)) is None
    assert pref.quiet_until(at(13)) == at(14)


def test_routes_follow_preferences_with_e_mail_as_the_fallback(make_staff):
    plain, texter, no_phone, with_email = (make_staff(Role.WEALTH_ADVISOR) for _ in range(4))
    NotificationPreference.objects.create(user=texter.user, events=["digest"], channel="sms", phone="13900001111")
    NotificationPreference.objects.create(user=no_phone.user, events=["digest"], channel="sms")
    with_email.user.email = "li.hua@example.com"
    with_email.user.save()
    routes = selectors.staff_routes([plain.pk, texter.pk, no_phone.pk, with_email.pk])
    assert (routes[plain.pk].channel, routes[plain.pk].address) == ("email", f"{plain.username}@branch.example")
    assert (routes[texter.pk].channel, routes[texter.pk].address) == ("sms", "13900001111")
    assert (routes[no_phone.pk].channel, routes[no_phone.pk].address) == ("email", f"{no_phone.username}@branch.example")
    assert routes[with_email.pk].address == "li.hua@example.com"


def test_retry_failed_is_a_managers_and_stays_in_their_office(make_staff, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    cs_advisor, other_advisor = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR, "HY")
    services.dispatch([digest_for(cs_advisor), digest_for(other_advisor)])
    Message.objects.update(status="failed", last_error="HTTP 503")
    cs_manager = make_staff(Role.OFFICE_MANAGER)
    ids = list(Message.objects.values_list("pk", flat=True))
    with pytest.raises(PermissionDenied):
        services.retry_failed(ids, cs_advisor.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_failed(ids, cs_manager.user) == 1
    assert dict(Message.objects.values_list("recipient_staff_id", "status")) == {cs_advisor.pk: "sent",
                                                                                 other_advisor.pk: "failed"}
    assert [m.to for m in mail.outbox] == [[f"{cs_advisor.username}@branch.example"]]
