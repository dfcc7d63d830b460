"""Campaign pages and API: who sees and does what, the live count, the pages in Chinese and English, constant
queries, and an end-to-end run through the pages (create, submit, approve by another manager, send, results)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, CampaignRecipient
from outreach.models import Message

from .conftest import TEMPLATE

pytestmark = pytest.mark.django_db


def form_data(**changes):
    from products.models import Product

    data = {"name": "一星客户通知", "segment_kind": "filter", "segment_query": "star=2", "product": "",
            "channel": "sms", "template": "尊敬的{name}，您好。回T退订",
            "scheduled_at": (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")}
    if changes.pop("fund", False):
        data.update(segment_kind="push_list", product=Product.objects.get(code="PUBLIC_FUND").pk, template=TEMPLATE)
    return {**data, **changes}


def test_pages_end_to_end(people, make_customer, client_for, django_capture_on_commit_callbacks, settings):
    settings.OUTREACH_CHANNELS = {"sms": "campaigns.tests.stub_channel.Accepting"}
    make_customer(customer_code="C1")
    make_customer(customer_code="C2", consent=False)
    ops, om = client_for(people["ops"]), client_for(people["om"])
    response = ops.post("/campaigns/new/", form_data())
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert ops.post(f"/campaigns/{campaign.pk}/submit/").status_code == 302
    ops.post(f"/campaigns/{campaign.pk}/approve/")  # the author's own: refused by the table (ops) anyway
    campaign.refresh_from_db()
    assert campaign.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        om.post(f"/campaigns/{campaign.pk}/approve/")
    campaign.refresh_from_db()
    assert campaign.status == "done"  # due already: sent on approval (eager in tests)
    assert dict(CampaignRecipient.objects.values_list("customer__customer_code", "outcome")) == {
        "C1": "sent", "C2": "skipped_opt_out"}
    message = Message.objects.get(campaign_id=campaign.pk)
    assert message.status == "sent"
    page = om.get(f"/campaigns/{campaign.pk}/")
    text = page.content.decode()
    assert "Results" in text and "Skipped: no marketing consent" in text and "C1" in text


def test_manager_cannot_approve_own_campaign_on_the_page(people, client_for, draft_data):
    campaign = services.create_campaign(people["om"].user, draft_data())
    services.submit(people["om"].user, campaign.pk)
    client = client_for(people["om"])
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert f"/campaigns/{campaign.pk}/approve/" not in page.content.decode()
    response = client.post(f"/campaigns/{campaign.pk}/approve/", follow=True)
    assert "approved by a manager other than its creator" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "submitted"


@pytest.mark.parametrize("url", ["/campaigns/", "/campaigns/new/", "/campaigns/count/?segment_query=star%3D2"])
def test_advisors_have_no_campaign_pages(people, client_for, url):
    client = client_for(people["advisor"])
    assert client.get(url).status_code == 403
    assert client.post("/campaigns/new/", form_data()).status_code == 403
    assert not Campaign.objects.exists()


def test_another_offices_campaign_is_not_found(people, client_for, draft_data):
    campaign = services.create_campaign(people["ops"].user, draft_data())
    services.submit(people["ops"].user, campaign.pk)
    client = client_for(people["om_xs"])
    for url in ("", "edit/"):
        assert client.get(f"/campaigns/{campaign.pk}/{url}").status_code == 404
    for url in ("approve/", "cancel/", "send-back/"):
        assert client.post(f"/campaigns/{campaign.pk}/{url}").status_code == 404
    assert client.get(f"/api/campaigns/campaigns/{campaign.pk}/").status_code == 404
    assert client.post(f"/api/campaigns/campaigns/{campaign.pk}/approve/").status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == "submitted"


def test_live_count(people, make_customer, client_for):
    make_customer(customer_code="C1")
    make_customer(customer_code="C2", dnc=True)
    make_customer(customer_code="C3", star="1")
    make_customer(customer_code="C4", office_code="XS")  # outside the office
    data = client_for(people["ops"]).get("/campaigns/count/", {"segment_query": "star=2"}).json()
    assert data["total"] == 2 and data["outcomes"]["sent"] == 1 and data["outcomes"]["skipped_do_not_contact"] == 1
    assert data["text"].startswith("2 customers in the segment: 1 would receive it now")


@pytest.mark.parametrize("lang, words", [("zh-hans", ("<th>状态</th>", "营销活动", "新建营销活动", "待审批")),
                                         ("en", ("<th>Status</th>", "Campaigns", "New campaign", "Awaiting approval"))])
def test_list_and_form_in_both_languages(people, client_for, draft_data, lang, words):
    campaign = services.create_campaign(people["ops"].user, draft_data())
    services.submit(people["ops"].user, campaign.pk)
    client = client_for(people["ops"])
    client.cookies["django_language"] = lang
    listing = client.get("/campaigns/").content.decode()
    form = client.get("/campaigns/new/").content.decode()
    assert words[0] in listing and words[1] in listing and words[3] in listing and words[2] in form
    assert "push_list" not in listing.replace('value="push_list"', "")  # labels, never raw values


def test_pages_run_constant_queries(people, make_customer, client_for, draft_data, django_assert_max_num_queries):
    for i in range(3):
        make_customer(customer_code=f"C{i}")
    campaign = services.create_campaign(people["ops"].user, draft_data())
    services.submit(people["ops"].user, campaign.pk)
    services.approve(people["om"].user, campaign.pk)
    services.send_campaign(campaign.pk)
    for i in range(20):
        services.create_campaign(people["ops"].user, draft_data(name=f"活动{i}"))
    for i in range(3, 30):
        make_customer(customer_code=f"C{i}")
    client = client_for(people["om"])
    with django_assert_max_num_queries(14):
        assert client.get("/campaigns/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200


def test_api_create_submit_approve_results(people, make_customer, client_for):
    make_customer(customer_code="C1")
    ops, om, adv = client_for(people["ops"]), client_for(people["om"]), client_for(people["advisor"])
    body = {"name": "API", "segment_kind": "push_list", "product": "PUBLIC_FUND", "channel": "sms",
            "template": TEMPLATE, "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat()}
    assert adv.post("/api/campaigns/campaigns/", body, content_type="application/json").status_code == 403
    created = ops.post("/api/campaigns/campaigns/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["office"] == "CS"
    bad = ops.post("/api/campaigns/campaigns/", {**body, "template": "{客户}"}, content_type="application/json")
    assert bad.status_code == 400 and "template" in bad.json()
    assert ops.post(f"/api/campaigns/campaigns/{pk}/submit/").json()["status"] == "submitted"
    assert ops.post(f"/api/campaigns/campaigns/{pk}/approve/").status_code == 403
    approved = om.post(f"/api/campaigns/campaigns/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["approved_by"] == people["om"].user.username
    services.send_campaign(pk, now=timezone.now() + timedelta(days=1, minutes=1))
    results = om.get(f"/api/campaigns/campaigns/{pk}/results/").json()
    assert results["recipients"]["sent"] == 1 and results["messages"]["waiting"] == 1
    assert adv.get(f"/api/campaigns/campaigns/{pk}/").status_code in (403, 404)
    preview = ops.get("/api/campaigns/campaigns/preview/", {"segment_query": "star=2"}).json()
    assert preview["total"] == 1
