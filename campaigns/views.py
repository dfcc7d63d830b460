"""Campaign pages: the list, a new campaign (with the live count of its segment), a campaign with its approval
and results. Thin: reads from campaigns.selectors, writes through campaigns.services (which check role, scope
and the approval rules again)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.formerrors import report_form_errors
from customers.rights import Write, writes
from customers.scope import member_scope

from . import selectors, services
from .forms import CampaignForm, SendBackForm
from .models import Campaign

PAGE_SIZE = 50


def _viewer(request):
    """Campaign pages are for the roles that run or approve campaigns, and compliance (read)."""
    scope = member_scope(request)
    if scope.is_advisor or not (scope.is_branch_wide or scope.may(Write.EDIT_CAMPAIGNS)):
        raise PermissionDenied
    return scope


def _campaign(request, pk):
    try:
        return services.get_campaign(request.user, pk)
    except services.CampaignNotFound:
        raise Http404 from None


@require_GET
def campaign_list(request):
    scope = _viewer(request)
    qs = selectors.visible_campaigns(scope)
    status = request.GET.get("status")
    if status in Campaign.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/list.html", {
        "page": page, "statuses": Campaign.Status.choices, "status": status,
        "can_edit": scope.may(Write.EDIT_CAMPAIGNS)})


def _save(request, form, campaign=None):
    data = {**form.cleaned_data}
    try:
        if campaign is None:
            campaign = services.create_campaign(request.user, data)
        else:
            campaign = services.update_campaign(request.user, campaign.pk, data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    return campaign


@writes(Write.EDIT_CAMPAIGNS)
def campaign_new(request):
    scope = _viewer(request)
    if not scope.may(Write.EDIT_CAMPAIGNS):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, initial={
        "segment_kind": Campaign.SegmentKind.FILTER, "segment_query": request.GET.get("segment", "")})
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        if campaign is not None:
            messages.success(request, _("Campaign saved as a draft."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": None})


@writes(Write.EDIT_CAMPAIGNS)
def campaign_edit(request, pk):
    _viewer(request)
    campaign = _campaign(request, pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_of(campaign))
    if request.method == "POST" and form.is_valid():
        if _save(request, form, campaign) is not None:
            messages.success(request, _("Campaign saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign})


@require_GET
def segment_count(request):
    """The live count of the create page (JSON): the segment's size and what a send now would do with it."""
    scope = _viewer(request)
    kind = request.GET.get("segment_kind") or Campaign.SegmentKind.FILTER
    product_code = None
    if request.GET.get("product"):
        from products.models import Product

        product_code = Product.objects.filter(pk=request.GET["product"] if request.GET["product"].isdigit()
                                              else None).values_list("code", flat=True).first()
    if kind == Campaign.SegmentKind.PUSH_LIST and not product_code:
        return JsonResponse({"total": 0, "outcomes": {}, "text": _("Choose the product of the push list.")})
    office_id = None if scope.is_branch_wide else scope.office_id
    preview = selectors.segment_preview(request.user, kind, selectors.clean_query(request.GET.get("segment_query")),
                                        product_code, office_id)
    return JsonResponse({**preview, "text": _preview_text(preview)})


def _preview_text(preview):
    out = preview["outcomes"]
    skipped = preview["total"] - out.get("sent", 0)
    return _("%(total)d customers in the segment: %(sent)d would receive it now, %(skipped)d would be skipped "
             "(%(opt_out)d without marketing consent, %(dnc)d do not contact, %(unsuitable)d not suitable, "
             "%(no_address)d without a mobile number).") % {
        "total": preview["total"], "sent": out.get("sent", 0), "skipped": skipped,
        "opt_out": out.get("skipped_opt_out", 0), "dnc": out.get("skipped_do_not_contact", 0),
        "unsuitable": out.get("skipped_unsuitable", 0), "no_address": out.get("skipped_no_address", 0)}


@require_GET
def campaign_detail(request, pk):
    """The campaign, its approval and (once sent) its results; the recipients in the viewer's scope."""
    scope = _viewer(request)
    campaign = _campaign(request, pk)
    results = selectors.results(campaign) if campaign.status in (Campaign.Status.SENDING, Campaign.Status.DONE) \
        else None
    recipients = None
    if campaign.status != Campaign.Status.DRAFT:
        recipients = Paginator(selectors.recipients_page(scope, campaign), PAGE_SIZE).get_page(
            request.GET.get("page"))
    preview = None
    if campaign.status in (Campaign.Status.SUBMITTED, Campaign.Status.DRAFT) and request.GET.get("preview") == "1":
        preview = _preview_text(selectors.segment_preview(
            campaign.created_by, campaign.segment_kind, campaign.segment_query,
            campaign.product.code if campaign.product_id else None, campaign.office_id))
    sample = services.render(campaign.template, {"name": _("Zhang San"), "product": services._product_name(campaign),
                                                 "advisor": _("Li Si"), "office": _("the branch")})
    is_creator = campaign.created_by_id == request.user.pk
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "results": results, "recipients": recipients, "preview": preview, "sample": sample,
        "can_edit": scope.may(Write.EDIT_CAMPAIGNS),
        "can_approve": scope.may(Write.APPROVE_CAMPAIGNS) and not is_creator,
        "is_creator": is_creator, "send_back_form": SendBackForm(),
    })


def _act(request, pk, action, done_message):
    _viewer(request)
    try:
        action(request.user, pk)
    except services.CampaignNotFound:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        if not str(exc):
            raise
        messages.error(request, str(exc))
    else:
        messages.success(request, done_message)
    return redirect("campaigns:detail", pk=pk)


@require_POST
@writes(Write.EDIT_CAMPAIGNS)
def campaign_submit(request, pk):
    return _act(request, pk, services.submit, _("Submitted for approval."))


@require_POST
@writes(Write.APPROVE_CAMPAIGNS)
def campaign_approve(request, pk):
    return _act(request, pk, services.approve, _("Approved: it sends at its time."))


@require_POST
@writes(Write.APPROVE_CAMPAIGNS)
def campaign_send_back(request, pk):
    form = SendBackForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("campaigns:detail", pk=pk)
    return _act(request, pk, lambda user, pk: services.send_back(user, pk, form.cleaned_data["note"]),
                _("Sent back to its author as a draft."))


@require_POST
@writes(Write.EDIT_CAMPAIGNS)
def campaign_cancel(request, pk):
    return _act(request, pk, services.cancel, _("Campaign cancelled."))
