"""Customer pages. Every queryset comes from selectors, which apply the user's scope."""
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.exports import MONEY, export_response, filter_pairs
from crm.formerrors import report_form_errors
from crm.paging import page_read_before, paged
from crm.panels import customer_panels
from crm.redirects import safe_next
from crm.services import audit

from .. import selectors, selectors_360, services, tasks
from ..filters import CustomerFilter
from ..forms import AssignAdvisorForm, ImportUploadForm, InteractionForm, StarOverrideForm
from ..models import ADVISOR_ROLES, Customer, ImportBatch, Role
from ..rights import Write, writes
from ..scope import mask, member_scope

EXPORT_LIMIT = 50_000


def customer_list(request):
    scope = member_scope(request)
    filterset = CustomerFilter(request.GET, queryset=selectors.visible_customers_by_code(request.user),
                               request=request)
    key = _book_page_key(request, scope)
    cached = cache.get(key) if key else None
    if cached is not None:
        pages = page_read_before(request, *cached)
    else:
        rows = selectors.list_rows(filterset.qs)
        # an advisor's book is small (capped by the capacity policy): its page carries its count along
        pages = paged(request, rows, counted=selectors.list_count_queryset(request.user, filterset),
                      total_with_rows=scope.is_advisor and not scope.everything)
        page = pages["page"]
        page.object_list = selectors.name_list_rows(page.object_list)
        if key:
            cache.set(key, (page.object_list, page.paginator.count, page.number), settings.CUSTOMER_LIST_CACHE_SECONDS)
    return render(request, "customers/list.html", {"filter": filterset, **pages})


def _book_page_key(request, scope):
    """An advisor's page of their own book: its book's mark and the page's whole query. Advisors come back to
    the same pages all day (the list, a customer, back to the list)."""
    mark = selectors.own_book_mark(request.user, scope) if settings.CUSTOMER_LIST_CACHE_SECONDS else None
    if mark is None:
        return None
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    return f"customer-list:{mark}:{hashlib.sha256(query.encode()).hexdigest()}"


def customer_export(request, fmt):
    member_scope(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filterset = CustomerFilter(request.GET, queryset=selectors.customer_list(request.user), request=request)
    rows = filterset.qs.values_list(
        "customer_code", "name", "kind", "office__code", "advisor__staff_code", "investment_advisor__staff_code",
        "risk_level", "tier__total_assets", "tier__star", "tier__lifecycle_stage", "tier__quadrant", "tier__clv",
    )[:EXPORT_LIMIT]
    rows = list(rows)
    audit(request.user, "export", object_type="customers", object_id=fmt, rows=len(rows), query=request.GET.urlencode())
    headers = [_("Customer code"), _("Name"), _("Kind"), _("Office"), _("Advisor"), _("Investment advisor"),
               _("Risk level"), _("Total assets"), _("Star"), _("Stage"), _("Quadrant"), _("CLV")]
    return export_response(rows, headers, "customers", fmt, formats={7: MONEY, 11: MONEY}, title=_("Customers"),
                           filters=filter_pairs(filterset))


def _get_customer(request, code):
    try:
        return selectors.customer_detail(request.user, code)
    except Customer.DoesNotExist:
        raise Http404 from None  # out of scope looks exactly like absent


def customer_detail(request, code):
    scope = member_scope(request)
    customer = _get_customer(request, code)
    assign_form = None
    if scope.can_assign:
        advisors = scope.staff_queryset().filter(role__in=[Role.WEALTH_ADVISOR, Role.INSTITUTIONAL_ADVISOR])
        assign_form = AssignAdvisorForm(advisors=advisors, initial={"advisor": customer.advisor_id})
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            **selectors_360.customer_page(customer),
            "phone_masked": mask(customer.phone),
            "id_masked": mask(customer.id_number),
            "can_reveal_phone": scope.can_reveal("phone"),
            "can_reveal_id": scope.can_reveal("id_number"),
            "interaction_form": InteractionForm() if scope.may(Write.LOG_CONTACT) else None,
            "assign_form": assign_form,
            "override_form": StarOverrideForm() if scope.can_assign else None,
            "panels": customer_panels(request, customer, scope),
        },
    )


@require_POST
@writes(Write.REVEAL_PHONE)  # an ID number needs REVEAL_ID too (services.reveal_pii)
def reveal(request, code, field):
    member_scope(request)
    customer = _get_customer(request, code)
    if field not in ("phone", "id_number"):
        raise Http404
    value = services.reveal_pii(customer=customer, actor=request.user, field=field)
    return JsonResponse({"field": field, "value": value})


@require_POST
@writes(Write.LOG_CONTACT)
def log_interaction(request, code):
    member_scope(request)
    customer = _get_customer(request, code)
    form = InteractionForm(request.POST)
    if form.is_valid():
        services.log_interaction(customer=customer, actor=request.user, next_step=form.next_step,
                                 **form.cleaned_data)
        messages.success(request, _("Contact logged."))
    else:
        report_form_errors(request, form)
    return redirect(safe_next(request, "customers:detail", code=customer.customer_code))  # e.g. today's list


@require_POST
@writes(Write.ASSIGN)
def assign(request, code):
    scope = member_scope(request)
    customer = _get_customer(request, code)
    advisors = scope.staff_queryset().filter(role__in=[r for r in ADVISOR_ROLES if r != Role.INVESTMENT_ADVISOR])
    form = AssignAdvisorForm(request.POST, advisors=advisors)
    if not scope.can_assign:
        raise PermissionDenied
    if form.is_valid():
        try:
            services.assign_advisor(customer=customer, advisor=form.cleaned_data["advisor"], actor=request.user)
            messages.success(request, _("Advisor changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose an advisor of your office."))
    return redirect("customers:detail", code=customer.customer_code)


@writes(Write.UPLOAD_IMPORT)
def import_upload(request):
    scope = member_scope(request)
    if not scope.can_import:
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_import_batch(
                dataset=form.cleaned_data["dataset"], uploaded=form.cleaned_data["file"], user=request.user,
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except ValidationError as exc:  # e.g. a staff file from anyone but a branch manager
            form.add_error("dataset", exc)
        else:
            try:
                tasks.enqueue_import_batch(batch.pk)
            except tasks.QueueUnavailable:
                messages.warning(request, _("The job queue is unreachable; the file is saved and will be checked "
                                            "when it is back."))
            return redirect("customers:import-batch", pk=batch.pk)
    recent = ImportBatch.objects.filter(uploaded_by=request.user).defer("content")[:10]
    return render(request, "customers/import_upload.html", {"form": form, "recent": recent})


def import_batch(request, pk):
    scope = member_scope(request)
    if not scope.can_import:
        raise PermissionDenied
    qs = ImportBatch.objects.defer("content")
    if not scope.is_branch_wide:
        qs = qs.filter(uploaded_by=request.user)
    batch = get_object_or_404(qs, pk=pk)
    return render(request, "customers/import_batch.html", {"batch": batch})
