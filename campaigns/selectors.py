"""Reads of the campaigns app: which campaigns a user sees, a segment's customers and its live count, the
send-time check of every recipient (set-based: one read of the customers and their suitability facts), and the
results of a campaign (aggregates, constant queries)."""
import numpy as np
import pandas as pd
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict

from customers.models import Customer, Interaction, Snapshot
from customers.scope import scope_for

from .models import Campaign, CampaignRecipient

Outcome = CampaignRecipient.Outcome
READ_FILTERS = ("q", "office", "advisor", "kind", "risk_level", "star", "stp_subtype", "lifecycle_stage",
                "quadrant", "min_assets", "alert")  # the customer list's filters (its sort and paging left out)


def visible_campaigns(scope):
    """Campaigns a scope sees: branch roles all, an office role its office's; advisors none (campaigns serve the
    customers no advisor serves one by one, and reach beyond an advisor's book)."""
    qs = Campaign.objects.select_related("product", "office", "created_by", "approved_by")
    if scope.is_branch_wide:
        return qs
    if scope.staff is None or scope.is_advisor:
        return qs.none()
    return qs.filter(office_id=scope.office_id)


def clean_query(querystring):
    """The customer list's filters of a querystring, in a stable order (what a campaign stores)."""
    data = QueryDict(querystring or "")
    kept = QueryDict(mutable=True)
    for key in READ_FILTERS:
        value = data.get(key, "").strip()
        if value:
            kept[key] = value
    return kept.urlencode()


def segment_customers(user, segment_kind, segment_query="", office_id=None):
    """The customers (a queryset) a segment draws from as `user` sees them, open accounts only: the customer
    list's filters, or for a product's push list everyone in scope (the push list is the suitable ones among
    them: segment_frame)."""
    from customers.filters import CustomerFilter

    customers = scope_for(user).customers().filter(closed_on__isnull=True)
    if office_id:
        customers = customers.filter(office_id=office_id)
    if segment_kind == Campaign.SegmentKind.PUSH_LIST:
        return customers
    return CustomerFilter(QueryDict(segment_query or ""), queryset=customers, request=None).qs.order_by()


def segment_frame(user, segment_kind, segment_query="", product_code=None, office_id=None, ctx=None):
    """check_frame of a segment: for a push list only the customers the product suits (the rule of
    products.selectors.push_list: products.batch.suitable on the same facts, overrides included); a push list
    without a product is empty. One read, never a list of ids sent back to the database."""
    if segment_kind == Campaign.SegmentKind.PUSH_LIST and not product_code:
        return check_frame(Customer.objects.none())
    frame = check_frame(segment_customers(user, segment_kind, segment_query, office_id), product_code, ctx)
    if segment_kind == Campaign.SegmentKind.PUSH_LIST:
        frame = frame[frame["suitable"]]
    return frame


def check_frame(customers, product_code=None, ctx=None):
    """One row per customer of `customers` with the outcome a send would give now: do-not-contact, no marketing
    consent, a closed account, the product no longer suitable (products' set-based rules, overrides included),
    no mobile number — in that order — else sent. Columns: id, name, phone, advisor_name, office_name, outcome,
    suitable (whether the product suits the customer, whatever else applies)."""
    from products import batch
    from products import selectors as products

    extra = (("mobile", F("phone")), ("consent", F("marketing_consent")), ("dnc", F("do_not_contact")),
             ("advisor_name", Coalesce(F("advisor__name"), F("investment_advisor__name"))),
             ("office_name", F("office__name_zh")))
    frame = products.facts_frame(customers, extra=extra)
    frame = frame.rename(columns={"mobile": "phone"})
    for column in ("phone", "advisor_name", "office_name"):
        frame[column] = frame[column].fillna("").astype(str)
    outcome = pd.Series(Outcome.SENT.value, index=frame.index, dtype=object)
    suitable = pd.Series(True, index=frame.index)
    if product_code:
        ctx = ctx or products.match_context()
        terms = products.terms_of(ctx, product_code)
        if terms is None:  # retired since: suitable for nobody
            suitable[:] = False
        elif len(frame):
            keep = batch.suitable(frame, terms, cutoff=ctx.cutoff,
                                  overrides=products.overrides_frame(product_code, ctx.today), exclude_closed=False)
            suitable = frame.index.isin(keep.index)
    checks = [  # the last that applies wins: written from the weakest reason to the strongest
        (frame["phone"].str.strip() == "", Outcome.SKIPPED_NO_ADDRESS),
        (~np.asarray(suitable, dtype=bool), Outcome.SKIPPED_UNSUITABLE),
        (frame["closed_on"].notna(), Outcome.SKIPPED_CLOSED),
        (~_truthy(frame["consent"]), Outcome.SKIPPED_OPT_OUT),
        (_truthy(frame["dnc"]), Outcome.SKIPPED_DO_NOT_CONTACT),
    ]
    for mask, value in checks:
        outcome = outcome.mask(np.asarray(mask, dtype=bool), value.value)
    frame["outcome"] = outcome
    frame["suitable"] = np.asarray(suitable, dtype=bool)
    return frame[["id", "name", "phone", "advisor_name", "office_name", "outcome", "suitable"]]


def _truthy(series):
    """Booleans as read (True/1 from SQLite, "t" from PostgreSQL's COPY)."""
    return series.isin([True, 1, "t", "true", "True", "1"])


def outcome_counts(frame):
    """{outcome: n} of a check_frame, every outcome present."""
    counts = frame["outcome"].value_counts().to_dict() if len(frame) else {}
    return {o.value: int(counts.get(o.value, 0)) for o in Outcome if o != Outcome.PENDING}


def segment_preview(user, segment_kind, segment_query="", product_code=None, office_id=None):
    """The live count of the create page: the segment's size and what a send now would do with it."""
    counts = outcome_counts(segment_frame(user, segment_kind, segment_query, product_code, office_id))
    return {"total": sum(counts.values()), "outcomes": counts}


def recipient_counts(campaign):
    """{outcome: n} of a campaign's recipients (one query)."""
    rows = CampaignRecipient.objects.filter(campaign=campaign).values("outcome").annotate(n=Count("pk"))
    found = {r["outcome"]: r["n"] for r in rows}
    return {o.value: found.get(o.value, 0) for o in Outcome}


def message_counts(campaign):
    """What the channel did with the campaign's messages (outreach.Message statuses, one query): sent (handed to
    the gateway, delivered included), delivered (when the channel reports it), failed, waiting (queued, sending,
    held for quiet hours)."""
    from outreach.models import Message

    rows = Message.objects.filter(campaign_id=campaign.pk).values("status").annotate(n=Count("pk")).order_by()
    found = {r["status"]: r["n"] for r in rows}
    delivered = found.get("delivered", 0)
    return {"sent": found.get("sent", 0) + delivered, "delivered": delivered, "failed": found.get("failed", 0),
            "waiting": found.get("queued", 0) + found.get("sending", 0), "suppressed": found.get("suppressed", 0)}


def responses(campaign):
    """Customers reached (outcome sent) who afterwards contacted the branch (an interaction after the send) or
    bought the product (their holding of its class grew between the last snapshot up to the send day and the
    latest one after it: the files hold class totals, not purchases). Two counting queries."""
    if campaign.sent_at is None:
        return {"contacted": 0, "bought": None}
    reached = CampaignRecipient.objects.filter(campaign=campaign, outcome=Outcome.SENT)
    contacted = reached.filter(Exists(Interaction.objects.filter(customer_id=OuterRef("customer_id"),
                                                                  at__gt=campaign.sent_at))).count()
    column = _holding_column(campaign)
    if not column:
        return {"contacted": contacted, "bought": None}
    day = campaign.sent_at.date()
    before = Subquery(Snapshot.objects.filter(customer_id=OuterRef("customer_id"), date__lte=day)
                      .order_by("-date").values(column)[:1])
    after = Subquery(Snapshot.objects.filter(customer_id=OuterRef("customer_id"), date__gt=day)
                     .order_by("-date").values(column)[:1])
    bought = reached.annotate(before=Coalesce(before, 0, output_field=Snapshot._meta.get_field(column)),
                              after=after).filter(after__gt=F("before")).count()
    return {"contacted": contacted, "bought": bought}


def _holding_column(campaign):
    from products.selectors import HOLDING_COLUMNS

    if campaign.product_id is None:
        return None
    version = campaign.product.versions.filter(is_current=True).first()
    return HOLDING_COLUMNS.get(version.holding_class) if version else None


def results(campaign):
    return {"recipients": recipient_counts(campaign), "messages": message_counts(campaign),
            "responses": responses(campaign)}


def recipients_page(scope, campaign):
    """The campaign's recipients whose customer the viewer sees (a queryset to page)."""
    return scope.filter(CampaignRecipient.objects.filter(campaign=campaign), "customer__").select_related(
        "customer").order_by("customer__customer_code")

