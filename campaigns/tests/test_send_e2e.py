"""A campaign end to end on real components (issue 21): approved in this process, sent by a Celery worker consuming
from Redis and writing to PostgreSQL, through the stub SMS gateway process of outreach's outage test, which is
killed mid-campaign and started again. Every consenting customer gets the message exactly once; the opted-out and
do-not-contact customers never reach the gateway; the results count what happened."""
import signal
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import selectors, services, tasks
from campaigns.models import Campaign, CampaignRecipient
from crm.celery import app as celery_app
from crm.tests.workers import require_worker_setup, start_worker, stop_worker, wait_for
from outreach.models import Message
from outreach.tests.test_outage_e2e import free_port, lines, start_gateway

CONSENTING, OPTED_OUT, DO_NOT_CONTACT = 45, 5, 3


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore:task_always_eager")
@pytest.mark.django_db(transaction=True)
def test_campaign_sends_once_to_each_consenting_customer_through_an_outage(reference_data, tmp_path, people,
                                                                          make_customer, draft_data, monkeypatch):
    require_worker_setup()
    port, queue = free_port(), f"e2e-camp-{uuid.uuid4().hex[:8]}"
    gateway = start_gateway(port, tmp_path)
    worker = start_worker(queue, SMS_GATEWAY_URL=f"http://127.0.0.1:{port}/send", OUTREACH_RETRY_BACKOFF="1",
                          OUTREACH_MAX_RETRIES="12", OUTREACH_BATCH_SIZE="15")
    try:
        reached = [make_customer(customer_code=f"R{i:03d}") for i in range(CONSENTING)]
        for i in range(OPTED_OUT):
            make_customer(customer_code=f"O{i:03d}", consent=False)
        for i in range(DO_NOT_CONTACT):
            make_customer(customer_code=f"D{i:03d}", dnc=True)
        campaign = services.create_campaign(people["ops"].user, draft_data(
            scheduled_at=timezone.now() + timedelta(hours=1)))  # not due at approval: nothing queued yet
        services.submit(people["ops"].user, campaign.pk)
        services.approve(people["om"].user, campaign.pk)
        Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
        monkeypatch.setitem(celery_app.conf, "task_always_eager", False)  # to the worker, through Redis
        tasks.send_campaign.apply_async((campaign.pk,), queue=queue)  # as the beat sweep would

        assert wait_for(lambda: len(lines(tmp_path / "sent.log")) >= CONSENTING // 3, timeout=90)
        gateway.send_signal(signal.SIGKILL)
        gateway.wait()
        down_at = len(lines(tmp_path / "sent.log"))
        time.sleep(3)
        assert Message.objects.filter(campaign_id=campaign.pk, status="sent").count() < CONSENTING
        gateway = start_gateway(port, tmp_path)
        assert wait_for(lambda: Message.objects.filter(campaign_id=campaign.pk, status="sent").count()
                        == CONSENTING, timeout=150), \
            list(Message.objects.exclude(status="sent").values_list("status", "last_error"))[:5]
    finally:
        gateway.kill()
        print(stop_worker(worker)[-3000:])
    sent = lines(tmp_path / "sent.log")
    assert down_at < CONSENTING
    assert sorted(sent) == sorted(f"campaign:{campaign.pk}|customer:{c.pk}" for c in reached)  # each once
    campaign.refresh_from_db()
    assert campaign.status == "done"
    results = selectors.results(campaign)
    assert results["recipients"]["sent"] == CONSENTING
    assert results["recipients"]["skipped_opt_out"] == OPTED_OUT
    assert results["recipients"]["skipped_do_not_contact"] == DO_NOT_CONTACT
    assert results["messages"]["sent"] == CONSENTING and results["messages"]["failed"] == 0
    assert not CampaignRecipient.objects.filter(campaign=campaign, outcome="sent", message_id__isnull=True).exists()
