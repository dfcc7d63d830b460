"""A channel outage loses no message (issue 21), on real components: a Celery worker consuming from Redis and
writing to PostgreSQL sends a batch of SMS through a stub gateway process; the gateway is killed mid-batch and
started again; every message ends sent, and the gateway sent each exactly once."""
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from crm.celery import app as celery_app
from crm.tests.workers import ROOT, require_worker_setup, start_worker, stop_worker, wait_for
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory
from outreach import services, tasks
from outreach.models import Message

MESSAGES = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway(port, folder):
    proc = subprocess.Popen([sys.executable, "-m", "outreach.tests.sms_gateway", str(port), str(folder)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def lines(path):
    return [line for line in path.read_text().split("\n") if line] if path.exists() else []


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_killing_the_gateway_mid_batch_loses_and_repeats_no_message(reference_data, tmp_path, monkeypatch):
    require_worker_setup()
    port, queue = free_port(), f"e2e-{uuid.uuid4().hex[:8]}"
    gateway = start_gateway(port, tmp_path)
    eager = celery_app.conf.task_always_eager
    worker = start_worker(queue, SMS_GATEWAY_URL=f"http://127.0.0.1:{port}/send", OUTREACH_RETRY_BACKOFF="1",
                          OUTREACH_MAX_RETRIES="12", OUTREACH_BATCH_SIZE="20")
    try:
        advisor = StaffFactory(role=Role.WEALTH_ADVISOR)
        customers = [CustomerFactory(advisor=advisor, office=advisor.office) for _ in range(MESSAGES)]
        # the dispatch's send tasks go to this test's worker, through Redis
        eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
        send = tasks.send_batch.apply_async
        monkeypatch.setattr(tasks.send_batch, "apply_async", lambda *a, **kw: send(*a, queue=queue, **kw))
        assert services.dispatch([{"event_key": "campaign:1", "event_kind": "campaign", "channel": "sms",
                                   "recipient_customer": c, "address": f"139{c.pk:08d}", "body": "您好",
                                   "campaign_id": 1} for c in customers]) == MESSAGES
        # kill the gateway once a third has gone out: the batches in flight meet a closed port
        assert wait_for(lambda: len(lines(tmp_path / "sent.log")) >= MESSAGES // 3, timeout=60)
        gateway.send_signal(signal.SIGKILL)
        gateway.wait()
        down_at = len(lines(tmp_path / "sent.log"))
        time.sleep(3)
        assert Message.objects.filter(status="sent").count() < MESSAGES  # the outage did hit the batch
        gateway = start_gateway(port, tmp_path)
        assert wait_for(lambda: Message.objects.filter(status="sent").count() == MESSAGES, timeout=120), \
            list(Message.objects.exclude(status="sent").values_list("status", "last_error"))[:5]
    finally:
        celery_app.conf.task_always_eager = eager
        gateway.kill()
        print(stop_worker(worker)[-3000:])
    sent = lines(tmp_path / "sent.log")
    assert down_at < MESSAGES and len(sent) == MESSAGES
    assert sorted(sent) == sorted(f"campaign:1|customer:{c.pk}" for c in customers)  # each exactly once
    retried = Message.objects.filter(attempts__gt=1)
    assert retried.exists() and all("ConnectionError" in m.last_error or m.last_error == ""
                                    for m in Message.objects.all())


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_and_an_event_dispatched_twice_send_once(reference_data, monkeypatch):
    """acks_late may deliver a send task again (a worker lost after sending); a caller may dispatch an event
    again: the gateway still gets each message once, the second time with no request at all."""
    from .stubs import StubServer

    require_worker_setup()
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    with StubServer(lambda body: (202, {"status": "accepted"})) as gateway:
        worker = start_worker(queue, SMS_GATEWAY_URL=gateway.url)
        try:
            advisor = StaffFactory(role=Role.WEALTH_ADVISOR)
            customers = [CustomerFactory(advisor=advisor, office=advisor.office) for _ in range(5)]
            rows = [{"event_key": "campaign:2", "event_kind": "campaign", "channel": "sms", "recipient_customer": c,
                     "address": f"139{c.pk:08d}", "body": "您好"} for c in customers]
            monkeypatch.setattr(services, "enqueue_queued", lambda **kw: 0)  # this test queues the tasks itself
            assert services.dispatch(rows) == 5 and services.dispatch(rows) == 0
            ids = list(Message.objects.values_list("pk", flat=True))
            for _ in range(2):
                celery_app.send_task("outreach.tasks.send_batch", args=[ids], queue=queue)
            assert wait_for(lambda: Message.objects.filter(status="sent").count() == 5, timeout=60)
            time.sleep(2)  # the second delivery has had its turn
        finally:
            print(stop_worker(worker)[-2000:])
    refs = [b["client_ref"] for b in gateway.bodies]
    assert sorted(refs) == sorted(f"campaign:2|customer:{c.pk}" for c in customers)
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
