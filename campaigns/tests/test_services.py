"""The campaign's rules: who drafts and approves, the recipients frozen at approval and re-checked at send (opt-outs,
do-not-contact, suitability, a mobile number), the messages handed to outreach, the audit, and the results."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign, CampaignRecipient
from crm.models import AuditEvent
from customers.models import Customer, Interaction, Snapshot
from outreach.models import Message

from .conftest import TEMPLATE

pytestmark = pytest.mark.django_db


def approved(people, draft_data, **changes):
    campaign = services.create_campaign(people["ops"].user, draft_data(**changes))
    services.submit(people["ops"].user, campaign.pk)
    return services.approve(people["om"].user, campaign.pk)


def outcomes(campaign):
    return dict(CampaignRecipient.objects.filter(campaign=campaign).values_list("customer__customer_code",
                                                                              "outcome"))


def test_opt_outs_and_a_product_made_unsuitable_after_approval_are_not_sent(people, make_customer, draft_data):
    reached = make_customer(customer_code="C1", advisor=people["advisor"])
    make_customer(customer_code="C2", consent=False)
    make_customer(customer_code="C3", dnc=True)
    make_customer(customer_code="C4", phone="")
    turns = make_customer(customer_code="C5")
    make_customer(customer_code="C6", risk="C3")  # R4 fund, C3 customer: never on the push list
    make_customer(customer_code="C7", office_code="XS")  # another office: outside the author's scope
    make_customer(customer_code="C8", star="1")  # the fund is not offered to 1★ (eligibility matrix)
    campaign = approved(people, draft_data)
    assert set(outcomes(campaign)) == {"C1", "C2", "C3", "C4", "C5"}  # the push list at approval
    assert set(outcomes(campaign).values()) == {"pending"}

    Customer.objects.filter(pk=turns.pk).update(risk_level="C3")  # reassessed between approval and send
    counts = services.send_campaign(campaign.pk)

    assert outcomes(campaign) == {"C1": "sent", "C2": "skipped_opt_out", "C3": "skipped_do_not_contact",
                                  "C4": "skipped_no_address", "C5": "skipped_unsuitable"}
    assert counts["sent"] == 1 and counts["skipped_unsuitable"] == 1
    message = Message.objects.get(campaign_id=campaign.pk)
    assert message.recipient_customer_id == reached.pk and message.address == "13812345678"
    assert message.channel == "sms" and message.event_kind == "campaign"
    assert message.body == f"尊敬的{reached.name}：公募基金产品已上线，详询顾问丙。回T退订"
    assert CampaignRecipient.objects.get(campaign=campaign, customer=reached).message_id == message.pk
    campaign.refresh_from_db()
    assert campaign.status == "done" and campaign.sent_at is not None
    send = AuditEvent.objects.get(action="campaign.send", object_id=str(campaign.pk))
    assert send.detail["sent"] == 1 and send.detail["skipped_opt_out"] == 1 and send.detail["dispatched"] == 1


def test_consent_withdrawn_after_approval_is_honoured(people, make_customer, draft_data):
    c = make_customer(customer_code="C1")
    campaign = approved(people, draft_data)
    Customer.objects.filter(pk=c.pk).update(do_not_contact=True)
    services.send_campaign(campaign.pk)
    assert outcomes(campaign) == {"C1": "skipped_do_not_contact"}
    assert not Message.objects.filter(campaign_id=campaign.pk).exists()


def test_a_second_send_sends_nothing_again(people, make_customer, draft_data):
    make_customer(customer_code="C1")
    make_customer(customer_code="C2")
    campaign = approved(people, draft_data)
    services.send_campaign(campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")  # as if the worker was lost after dispatch
    services.send_campaign(campaign.pk)
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 2


def test_filter_segment_with_a_product_checks_suitability_at_send(people, make_customer, draft_data):
    make_customer(customer_code="C1", star="2")
    make_customer(customer_code="C2", star="2", risk="C3")  # in the segment, but the R4 fund does not suit
    make_customer(customer_code="C3", star="3")  # not in the segment (star=2)
    campaign = approved(people, draft_data, segment_kind="filter", segment_query="star=2&page=3")
    assert campaign.segment_query == "star=2"  # the list's filters only, not its paging
    services.send_campaign(campaign.pk)
    assert outcomes(campaign) == {"C1": "sent", "C2": "skipped_unsuitable"}


def test_not_sent_before_its_time_and_not_after_cancel(people, make_customer, draft_data):
    make_customer(customer_code="C1")
    later = approved(people, draft_data, scheduled_at=timezone.now() + timedelta(hours=2))
    assert services.send_campaign(later.pk) is None
    assert later.pk not in services.due_campaigns()
    assert later.pk in services.due_campaigns(now=timezone.now() + timedelta(hours=3))
    services.cancel(people["ops"].user, later.pk)
    assert services.send_campaign(later.pk, now=timezone.now() + timedelta(hours=3)) is None
    assert not CampaignRecipient.objects.filter(campaign=later).exists()
    assert not Message.objects.filter(campaign_id=later.pk).exists()


def test_approval_rules(people, draft_data):
    with pytest.raises(PermissionDenied):
        services.create_campaign(people["advisor"].user, draft_data())  # advisors do not run campaigns
    campaign = services.create_campaign(people["om"].user, draft_data())
    with pytest.raises(ValidationError):
        services.approve(people["bm"].user, campaign.pk)  # not submitted yet
    services.submit(people["om"].user, campaign.pk)
    with pytest.raises(PermissionDenied):
        services.approve(people["om"].user, campaign.pk)  # its creator
    with pytest.raises(PermissionDenied):
        services.approve(people["ops"].user, campaign.pk)  # operations may draft, not approve
    with pytest.raises(services.CampaignNotFound):
        services.approve(people["om_xs"].user, campaign.pk)  # another office's manager
    with pytest.raises(PermissionDenied):
        services.approve(people["comp"].user, campaign.pk)  # compliance reads
    campaign = services.approve(people["bm"].user, campaign.pk)
    assert campaign.status == "approved" and campaign.approved_by == people["bm"].user
    actions = list(AuditEvent.objects.filter(object_id=str(campaign.pk), object_type="campaigns.campaign")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["campaign.create", "campaign.submit", "campaign.approve"]


def test_send_back_returns_a_draft(people, draft_data):
    campaign = services.create_campaign(people["ops"].user, draft_data())
    services.submit(people["ops"].user, campaign.pk)
    services.send_back(people["om"].user, campaign.pk, "文案需修改")
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert AuditEvent.objects.get(action="campaign.send_back").detail["note"] == "文案需修改"


@pytest.mark.parametrize("template, field", [
    ("尊敬的{客户}", "template"),  # unknown placeholder
    ("尊敬的{name", "template"),  # unclosed brace
    ("{name:>10}", "template"),  # a format spec is not a placeholder
    ("", "template"),
])
def test_template_placeholders_are_checked(people, draft_data, template, field):
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(people["ops"].user, draft_data(template=template))
    assert field in exc.value.message_dict


def test_product_placeholder_needs_a_product_and_a_push_list_needs_one(people, draft_data):
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(people["ops"].user, draft_data(segment_kind="filter", product=None))
    assert "template" in exc.value.message_dict  # {产品} without a product
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(people["ops"].user, draft_data(product=None, template="{name}"))
    assert "product" in exc.value.message_dict


def test_render_english_and_chinese_placeholders():
    assert services.render("{name}/{姓名} {product}/{产品} {advisor}/{客户经理} {office}/{营业部}",
                           {"name": "张三", "product": "基金", "advisor": "李四", "office": "长沙"}) == \
        "张三/张三 基金/基金 李四/李四 长沙/长沙"


def test_advisor_placeholder_falls_back_to_the_office(people, make_customer, draft_data):
    make_customer(customer_code="C1")  # no advisor: served by channel
    campaign = approved(people, draft_data, template="详询{advisor}")
    services.send_campaign(campaign.pk)
    office_name = people["ops"].office.name_zh
    assert Message.objects.get(campaign_id=campaign.pk).body == f"详询{office_name}"


def test_results_count_messages_contacts_and_purchases(people, make_customer, draft_data):
    """Reached: C1, C2, C3. By hand: C1's message sent, C2's failed, C3's still queued; C1 called the branch after
    the send (C2 only before it); C1's fund holding grew 0 -> 5,000, C2's fell 8,000 -> 3,000: one bought."""
    now = timezone.now()
    sent_at = now - timedelta(days=10)
    c1, c2, c3 = (make_customer(customer_code=code) for code in ("C1", "C2", "C3"))
    make_customer(customer_code="C4", consent=False)
    campaign = approved(people, draft_data, scheduled_at=now - timedelta(days=20))
    services.send_campaign(campaign.pk, now=sent_at)
    Message.objects.filter(campaign_id=campaign.pk, recipient_customer=c1).update(status="sent")
    Message.objects.filter(campaign_id=campaign.pk, recipient_customer=c2).update(status="failed")
    Interaction.objects.create(customer=c1, at=sent_at + timedelta(days=2), channel="phone", summary="询问基金")
    Interaction.objects.create(customer=c2, at=sent_at - timedelta(days=2), channel="phone", summary="before")
    day = sent_at.date()
    for customer, before, after in ((c1, 0, 5000), (c2, 8000, 3000)):
        for date, fund in ((day - timedelta(days=3), before), (day + timedelta(days=4), after)):
            Snapshot.objects.create(customer=customer, date=date, total_assets=Decimal(fund + 100),
                                    securities_value=0, equity_fund_value=fund, fixed_income_value=0,
                                    reits_trust_value=0, other_product_value=0, cash=100, margin_debt=0)
    campaign.refresh_from_db()
    results = selectors.results(campaign)
    assert results["recipients"]["sent"] == 3 and results["recipients"]["skipped_opt_out"] == 1
    assert results["messages"] == {"sent": 1, "delivered": 0, "failed": 1, "waiting": 1, "suppressed": 0}
    assert results["responses"] == {"contacted": 1, "bought": 1}


def test_segment_preview_counts_what_a_send_would_do(people, make_customer):
    make_customer(customer_code="C1")
    make_customer(customer_code="C2", consent=False)
    make_customer(customer_code="C3", dnc=True, consent=False)  # do-not-contact wins over no consent
    make_customer(customer_code="C4", star="3")
    preview = selectors.segment_preview(people["ops"].user, "filter", "star=2", "PUBLIC_FUND", None)
    assert preview["total"] == 3
    assert preview["outcomes"]["sent"] == 1 and preview["outcomes"]["skipped_opt_out"] == 1
    assert preview["outcomes"]["skipped_do_not_contact"] == 1


def test_office_roles_see_their_office_campaigns_only(people, draft_data):
    from customers.scope import scope_for

    mine = services.create_campaign(people["ops"].user, draft_data())
    branch = services.create_campaign(people["bm"].user, draft_data())
    assert mine.office_id == people["ops"].office_id and branch.office_id is None
    assert list(selectors.visible_campaigns(scope_for(people["om"].user))) == [mine]
    assert not selectors.visible_campaigns(scope_for(people["om_xs"].user)).exists()
    assert not selectors.visible_campaigns(scope_for(people["advisor"].user)).exists()
    assert set(selectors.visible_campaigns(scope_for(people["comp"].user))) == {mine, branch}


def test_template_is_stored_as_written(people, draft_data):
    campaign = services.create_campaign(people["ops"].user, draft_data())
    assert campaign.template == TEMPLATE
