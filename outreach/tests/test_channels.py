"""Each channel against a local stub: what it sends, and how the answers map to sent / retry later / failed."""
import socket

import pytest

from customers.models import Role
from outreach import ratelimit, services, tasks
from outreach.models import Message

from .stubs import StubServer

pytestmark = pytest.mark.django_db


def queue(channel, recipients, address="13900001111", key="campaign:7"):
    services.dispatch([{"event_key": key, "event_kind": "campaign", "channel": channel, "recipient_customer": c,
                        "address": address, "subject": "理财提醒", "body": f"尊敬的{c.name}，您好", "campaign_id": 7}
                       for c in recipients])
    return list(Message.objects.order_by("id").values_list("pk", flat=True))


@pytest.fixture
def customers(make_staff, customer_of):
    advisor = make_staff(Role.WEALTH_ADVISOR)
    return [customer_of(advisor) for _ in range(3)]


def test_wecom_posts_a_text_message_to_the_group_robot(settings, make_staff):
    advisor = make_staff(Role.WEALTH_ADVISOR)
    with StubServer() as robot:
        settings.OUTREACH_WECOM_WEBHOOK_URL = robot.url
        services.dispatch([{"event_key": "red_alert:5", "event_kind": "red_alert", "channel": "wecom",
                            "recipient_staff": advisor, "address": "13900001111", "subject": "红色预警",
                            "body": "客户 张三 大额资金流出"}])
        outcome = services.send_messages(Message.objects.values_list("pk", flat=True))
    assert robot.bodies == [{"msgtype": "text", "text": {"content": "**红色预警**\n客户 张三 大额资金流出",
                                                         "mentioned_mobile_list": ["13900001111"]}}]
    assert len(outcome.sent) == 1 and Message.objects.get().status == "sent"


def test_wecom_frequency_limit_retries_and_a_bad_robot_key_fails(settings, customers):
    ids = queue("wecom", customers[:1], address="")
    with StubServer(lambda body: (200, {"errcode": 45009, "errmsg": "api freq out of limit"})) as robot:
        settings.OUTREACH_WECOM_WEBHOOK_URL = robot.url
        assert services.send_messages(ids).retry == ids
    m = Message.objects.get()
    assert (m.status, m.attempts, m.last_error) == ("queued", 1, "errcode 45009: api freq out of limit")
    with StubServer(lambda body: (200, {"errcode": 93000, "errmsg": "invalid webhook url"})) as robot:
        settings.OUTREACH_WECOM_WEBHOOK_URL = robot.url
        assert services.send_messages(ids).failed == ids
    assert Message.objects.get().status == "failed"


def test_sms_follows_the_gateway_contract(settings, customers):
    ids = queue("sms", customers)
    with StubServer(lambda body: (202, {"status": "accepted", "id": body["client_ref"]})) as gateway:
        settings.OUTREACH_SMS_GATEWAY_URL, settings.OUTREACH_SMS_GATEWAY_TOKEN = gateway.url, "s3cret"
        outcome = services.send_messages(ids)
    assert outcome.sent == ids
    headers, first = gateway.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert first == {"client_ref": f"campaign:7|customer:{customers[0].pk}", "to": "13900001111",
                     "text": f"尊敬的{customers[0].name}，您好", "sender": "BRANCH"}
    assert [b["client_ref"] for b in gateway.bodies] == [f"campaign:7|customer:{c.pk}" for c in customers]


def test_a_gateway_that_is_down_stops_the_batch_and_queues_it_again(settings, customers):
    ids = queue("sms", customers)
    answers = iter([(202, {"status": "accepted"}), (503, {"error": "maintenance"})])
    with StubServer(lambda body: next(answers)) as gateway:
        settings.OUTREACH_SMS_GATEWAY_URL = gateway.url
        outcome = services.send_messages(ids)
    assert outcome.sent == ids[:1] and outcome.retry == ids[1:]
    assert len(gateway.requests) == 2  # the third is not tried against a gateway that just said 503
    statuses = list(Message.objects.order_by("id").values_list("status", "attempts"))
    assert statuses == [("sent", 1), ("queued", 1), ("queued", 0)]


def test_a_refused_number_fails_alone_and_the_batch_goes_on(settings, customers):
    ids = queue("sms", customers)
    answers = iter([(202, {"status": "accepted"}), (422, {"error": "invalid number"}), (202, {"status": "duplicate"})])
    with StubServer(lambda body: next(answers)) as gateway:
        settings.OUTREACH_SMS_GATEWAY_URL = gateway.url
        outcome = services.send_messages(ids)
    assert (outcome.sent, outcome.failed) == ([ids[0], ids[2]], [ids[1]])
    assert Message.objects.get(pk=ids[1]).last_error.startswith("HTTP 422")


def test_an_unreachable_gateway_is_retried_then_failed_when_the_retries_are_spent(settings, customers):
    ids = queue("sms", customers[:2])
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        settings.OUTREACH_SMS_GATEWAY_URL = f"http://127.0.0.1:{s.getsockname()[1]}/send"
    settings.OUTREACH_MAX_RETRIES = 0
    assert tasks.send_batch.apply(args=[ids]).get() == (0, 0, 2)
    rows = list(Message.objects.values_list("status", "last_error"))
    assert [r[0] for r in rows] == ["failed", "failed"] and "ConnectionError" in rows[0][1]


def test_email_channel_refuses_a_message_without_an_address(customers):
    ids = queue("email", customers[:1], address="")
    assert services.send_messages(ids).failed == ids
    assert Message.objects.get().last_error == "no e-mail address"


def test_rate_limit_waits_for_the_next_window(settings):
    settings.OUTREACH_RATE_LIMITS = {"sms": (2, 1)}
    now = [100.25]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 2))
        now[0] += seconds

    waits = [ratelimit.acquire("sms", sleep=sleep, clock=lambda: now[0]) for _ in range(5)]
    assert [round(w, 2) for w in waits] == [0, 0, 0.75, 0, 1.0]
    assert ratelimit.acquire("in_app") == 0


def test_while_a_batch_waits_for_its_retry_the_sweep_leaves_it_alone(settings, customers):
    from datetime import timedelta

    from django.utils import timezone

    ids = queue("sms", customers[:2])
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=10))  # old enough for the sweep
    with StubServer(lambda body: (503, {"error": "maintenance"})) as gateway:
        settings.OUTREACH_SMS_GATEWAY_URL = gateway.url
        outcome = services.send_messages(ids)
        services.hold(outcome.retry, seconds=30)
        assert services.sweep() == 0 and len(gateway.requests) == 1  # held: nothing queued, nothing tried
        Message.objects.update(send_after=timezone.now() - timedelta(seconds=1))  # the hold is over
        settings.OUTREACH_MAX_RETRIES = 0  # the sweep's task (eager here) gives up at once
        assert services.sweep() == 2
    assert len(gateway.requests) == 2  # the sweep's task tried again, and stopped at the first 503
    assert set(Message.objects.values_list("status", flat=True)) == {"failed"}
