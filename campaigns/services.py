"""Writes of the campaigns app and their rules: who may draft, submit, approve (a manager, never the creator),
cancel; the recipients frozen at approval and re-checked at send (opt-outs, suitability); the send itself
through outreach.services.dispatch. Every step is audited (crm audit log)."""
import string
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.services import audit
from customers.rights import Write
from customers.scope import scope_for

from . import selectors
from .models import Campaign, CampaignRecipient

Status = Campaign.Status
Outcome = CampaignRecipient.Outcome
# Placeholders of a message, English or Chinese: {name} / {姓名} …
PLACEHOLDERS = {"name": "name", "姓名": "name", "product": "product", "产品": "product",
                "advisor": "advisor", "客户经理": "advisor", "office": "office", "营业部": "office"}
FREEZE_BATCH = 5000


class CampaignNotFound(Exception):
    """Absent, or outside the actor's scope (reads like absent)."""


# -- templates ------------------------------------------------------------------

def template_fields(template):
    """The placeholders a message template uses; ValidationError for an unknown one or a stray brace."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValidationError({"template": _("A brace is not closed: write placeholders as {name}.")}) from None
    fields = set()
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            raise ValidationError({"template": _("Unknown placeholder {%(field)s}: use {name}, {product}, "
                                                 "{advisor} or {office}.") % {"field": field}})
        fields.add(PLACEHOLDERS[field])
    return fields


def render(template, values):
    """The message of one customer: every placeholder replaced (values by canonical name)."""
    return template.format_map({alias: values.get(name, "") for alias, name in PLACEHOLDERS.items()})


# -- drafting -------------------------------------------------------------------

def _scope(actor, action):
    scope = scope_for(actor)
    if not scope.may(action):
        raise PermissionDenied(str(action))
    return scope


def get_campaign(actor, campaign_id, *, for_update=False):
    qs = selectors.visible_campaigns(scope_for(actor))
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=campaign_id)
    except Campaign.DoesNotExist:
        raise CampaignNotFound(campaign_id) from None


# A send time before this is a typing error, not a schedule (and before 1900 the zone's old offsets show).
EARLIEST_SEND = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)


def _clean(data):
    """Validate a draft's fields (a dict as the form or API gives them); returns the model's values."""
    errors = {}
    product = data.get("product")
    kind = data.get("segment_kind") or Campaign.SegmentKind.FILTER
    if kind == Campaign.SegmentKind.PUSH_LIST and product is None:
        errors["product"] = [_("A push list is a product's: choose the product.")]
    if product is not None and not product.versions.filter(is_current=True, retired=False).exists():
        errors["product"] = [_("This product is retired.")]
    try:
        fields = template_fields(data.get("template") or "")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        fields = set()
    if "product" in fields and product is None:
        errors.setdefault("template", []).append(_("The message names {product} but the campaign has no product."))
    if not (data.get("template") or "").strip():
        errors.setdefault("template", []).append(_("Write the message."))
    at = data.get("scheduled_at")
    if at is not None and not (EARLIEST_SEND <= at <= timezone.now() + timedelta(days=366)):
        errors["scheduled_at"] = [_("Choose a time within the coming year.")]
    if errors:
        raise ValidationError(errors)
    return {"name": data["name"], "channel": data.get("channel") or Campaign.Channel.SMS,
            "template": data["template"].strip(), "segment_kind": kind,
            "segment_query": selectors.clean_query(data.get("segment_query", "")) if kind == "filter" else "",
            "product": product, "scheduled_at": data["scheduled_at"]}


def create_campaign(actor, data):
    """A draft. An office role's campaign reaches its office's customers; a branch manager's the branch."""
    scope = _scope(actor, Write.EDIT_CAMPAIGNS)
    values = _clean(data)
    office_id = None if scope.is_branch_wide else scope.office_id
    with transaction.atomic():
        campaign = Campaign.objects.create(created_by=actor, office_id=office_id, **values)
        audit(actor, "campaign.create", campaign, name=campaign.name)
    return campaign


def update_campaign(actor, campaign_id, data):
    _scope(actor, Write.EDIT_CAMPAIGNS)
    values = _clean(data)
    with transaction.atomic():
        campaign = get_campaign(actor, campaign_id, for_update=True)
        if campaign.status != Status.DRAFT:
            raise ValidationError(_("Only a draft can be changed."))
        for key, value in values.items():
            setattr(campaign, key, value)
        campaign.save()
        audit(actor, "campaign.edit", campaign, name=campaign.name)
    return campaign


def submit(actor, campaign_id):
    _scope(actor, Write.EDIT_CAMPAIGNS)
    with transaction.atomic():
        campaign = get_campaign(actor, campaign_id, for_update=True)
        if campaign.status != Status.DRAFT:
            raise ValidationError(_("Only a draft can be submitted."))
        campaign.status, campaign.submitted_at = Status.SUBMITTED, timezone.now()
        campaign.save(update_fields=["status", "submitted_at"])
        audit(actor, "campaign.submit", campaign)
    return campaign


def send_back(actor, campaign_id, note=""):
    """The approver returns a submitted campaign to its draft (with why)."""
    _scope(actor, Write.APPROVE_CAMPAIGNS)
    with transaction.atomic():
        campaign = get_campaign(actor, campaign_id, for_update=True)
        if campaign.status != Status.SUBMITTED:
            raise ValidationError(_("Only a submitted campaign can be sent back."))
        campaign.status = Status.DRAFT
        campaign.save(update_fields=["status"])
        audit(actor, "campaign.send_back", campaign, note=note[:200])
    return campaign


def approve(actor, campaign_id):
    """A manager other than the creator approves: the segment's customers are frozen as the recipients (the
    creator's view of them), each re-checked when the campaign sends. Due already: sending is queued."""
    _scope(actor, Write.APPROVE_CAMPAIGNS)
    with transaction.atomic():
        campaign = get_campaign(actor, campaign_id, for_update=True)
        if campaign.status != Status.SUBMITTED:
            raise ValidationError(_("Only a submitted campaign can be approved."))
        if campaign.created_by_id == actor.pk:
            raise PermissionDenied(_("A campaign is approved by a manager other than its creator."))
        frame = selectors.segment_frame(
            campaign.created_by, campaign.segment_kind, campaign.segment_query,
            campaign.product.code if campaign.product_id else None, campaign.office_id)
        ids = frame["id"].astype("int64").tolist()
        CampaignRecipient.objects.bulk_create(
            (CampaignRecipient(campaign=campaign, customer_id=pk) for pk in ids), batch_size=FREEZE_BATCH,
            ignore_conflicts=True)
        campaign.status, campaign.approved_by, campaign.approved_at = Status.APPROVED, actor, timezone.now()
        campaign.save(update_fields=["status", "approved_by", "approved_at"])
        audit(actor, "campaign.approve", campaign, recipients=len(ids))
        if campaign.scheduled_at <= timezone.now():
            _queue_send(campaign.pk)
    return campaign


def cancel(actor, campaign_id):
    """Until it sends: its author's side (edit right) or an approver."""
    scope = scope_for(actor)
    if not (scope.may(Write.EDIT_CAMPAIGNS) or scope.may(Write.APPROVE_CAMPAIGNS)):
        raise PermissionDenied(str(Write.EDIT_CAMPAIGNS))
    with transaction.atomic():
        campaign = get_campaign(actor, campaign_id, for_update=True)
        if campaign.status not in (Status.DRAFT, Status.SUBMITTED, Status.APPROVED):
            raise ValidationError(_("A campaign that has started sending cannot be cancelled."))
        campaign.status = Status.CANCELLED
        campaign.save(update_fields=["status"])
        CampaignRecipient.objects.filter(campaign=campaign, outcome=Outcome.PENDING).delete()
        audit(actor, "campaign.cancel", campaign)
    return campaign


def _queue_send(campaign_id):
    from . import tasks

    transaction.on_commit(lambda: tasks.send_campaign.delay(campaign_id))


# -- sending --------------------------------------------------------------------

def due_campaigns(now=None):
    """Ids of approved campaigns whose time has come (and of sends a lost worker left half done)."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=30)
    return list(Campaign.objects.filter(status=Status.APPROVED, scheduled_at__lte=now).values_list("pk", flat=True)
                ) + list(Campaign.objects.filter(status=Status.SENDING, sent_at__lt=stale).values_list("pk", flat=True))


def send_campaign(campaign_id, now=None):
    """Send an approved campaign whose time has come. Idempotent: the recipients are re-checked (consent,
    do-not-contact, closed, suitability of the product now, a mobile number), their outcomes written set-based,
    and the messages handed to outreach.services.dispatch, whose keys (campaign, customer, channel) never send
    a customer the same campaign twice — a second run, or a run after a lost worker, sends only what is left.
    Returns the outcome counts, or None when there was nothing to do."""
    from outreach.services import dispatch

    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("product", "office").get(
            pk=campaign_id)
        if campaign.status not in (Status.APPROVED, Status.SENDING) or campaign.scheduled_at > now:
            return None
        campaign.status, campaign.sent_at = Status.SENDING, campaign.sent_at or now
        campaign.save(update_fields=["status", "sent_at"])
    product_code = campaign.product.code if campaign.product_id else None
    customers = campaign_customers(campaign)
    frame = selectors.check_frame(customers, product_code)
    _write_outcomes(campaign, frame)
    reach = frame[frame["outcome"] == Outcome.SENT.value]
    product_name = _product_name(campaign)
    messages = ({
        "event_key": f"campaign:{campaign.pk}", "event_kind": "campaign", "channel": campaign.channel,
        "recipient_customer": int(row.id), "address": row.phone.strip(), "subject": campaign.name,
        "body": render(campaign.template, {"name": row.name, "product": product_name,
                                           "advisor": row.advisor_name or row.office_name,
                                           "office": row.office_name}),
        "campaign_id": campaign.pk,
    } for row in reach.itertuples(index=False))
    with transaction.atomic():
        created = dispatch(messages)
        _link_messages(campaign)
        counts = selectors.outcome_counts(frame)
        Campaign.objects.filter(pk=campaign.pk).update(status=Status.DONE, finished_at=timezone.now())
        audit(None, "campaign.send", campaign, dispatched=created, **counts)
    return counts


def campaign_customers(campaign):
    from customers.models import Customer

    return Customer.objects.filter(pk__in=CampaignRecipient.objects.filter(campaign=campaign)
                                   .values("customer_id"))


def _write_outcomes(campaign, frame):
    """One UPDATE per outcome and slice of ids (set-based; never per customer)."""
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    for outcome, group in frame.groupby("outcome"):
        ids = group["id"].astype("int64").tolist()
        for start in range(0, len(ids), FREEZE_BATCH):
            recipients.filter(customer_id__in=ids[start:start + FREEZE_BATCH]).update(outcome=outcome)


def _link_messages(campaign):
    """Each sent recipient's outreach Message id: one UPDATE whose subquery finds the message by its unique key
    (event, recipient, channel), an index lookup per row (by campaign id alone it would scan the campaign's
    messages for every row: 190 s for 21,000 recipients)."""
    from django.db.models import CharField, OuterRef, Subquery, Value
    from django.db.models.functions import Cast, Concat

    from outreach.models import Message

    message = Message.objects.filter(
        event_key=f"campaign:{campaign.pk}", channel=campaign.channel,
        recipient_key=Concat(Value("customer:"), Cast(OuterRef("customer_id"), CharField()),
                             output_field=CharField()))
    CampaignRecipient.objects.filter(campaign=campaign, outcome=Outcome.SENT).update(
        message_id=Subquery(message.values("pk")[:1]))


def _product_name(campaign):
    if campaign.product_id is None:
        return ""
    version = campaign.product.versions.filter(is_current=True).first()
    return version.name_zh if version else campaign.product.code
