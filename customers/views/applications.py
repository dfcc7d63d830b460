"""Closing / transfer-out application pages (operations staff): the list with filters and export, filing,
accept and withdraw. Reads and writes go through customers.applications (scope and rules live there)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.exports import DATE, export_response, filter_pairs
from crm.formerrors import report_form_errors
from crm.paging import paged
from crm.redirects import safe_next
from crm.services import audit

from .. import applications
from ..filters import ApplicationFilter
from ..forms import ApplicationForm, ApplicationTransitionForm
from ..models import Application
from ..rights import Write, writes
from ..scope import member_scope

__all__ = ["application_export", "application_list", "application_new", "application_transition"]

EXPORT_LIMIT = 50_000




def _handler(request):
    scope = member_scope(request)
    if not applications.can_handle(request.user):
        raise PermissionDenied
    return scope


def _filtered(request):
    return ApplicationFilter(request.GET, queryset=applications.application_list(request.user))


def application_list(request):
    member_scope(request)
    filterset = _filtered(request)
    return render(request, "customers/applications.html", {
        "filter": filterset, **paged(request, filterset.qs), "can_handle": applications.can_handle(request.user),
    })


def application_export(request, fmt):
    member_scope(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(applications.export_rows(_filtered(request).qs, EXPORT_LIMIT))
    audit(request.user, "export", object_type="applications", object_id=fmt, rows=len(rows),
          query=request.GET.urlencode())
    headers = [_("Application"), _("Customer code"), _("Name"), _("Office"), _("Kind"), _("Status"), _("Filed on")]
    return export_response(rows, headers, "applications", fmt, formats={6: DATE},
                           title=_("Closing and transfer applications"), filters=filter_pairs(_filtered(request)))


@writes(Write.HANDLE_APPLICATION)
def application_new(request):
    _handler(request)
    initial = {"customer_code": request.GET.get("customer", "")[:20], "filed_on": timezone.localdate(),
               "kind": Application.Kind.CLOSE}
    form = ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = applications.file_application(
                actor=request.user, customer_code=data["customer_code"], kind=data["kind"],
                filed_on=data["filed_on"], note=data["note"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Application #%(id)s filed for %(code)s.") % {
                "id": application.pk, "code": application.customer.customer_code})
            return redirect(f"{reverse('customers:applications')}?status=filed")
    return render(request, "customers/applications_form.html", {"form": form})


@require_POST
@writes(Write.HANDLE_APPLICATION)
def application_transition(request, pk):
    try:
        applications.application_detail(request.user, pk)
    except Application.DoesNotExist:
        raise Http404 from None  # out of scope: 404 before the form is even read
    target = safe_next(request, "customers:applications")
    form = ApplicationTransitionForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect(target)
    to = form.cleaned_data["to"]
    try:
        applications.transition_application(application_id=pk, actor=request.user, to=to,
                                            note=form.cleaned_data["note"])
    except applications.ApplicationNotFound:
        raise Http404 from None
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            messages.error(request, " ".join(errors))
        return redirect(target)
    messages.success(request, _("Application #%(id)s is now %(status)s.") % {
        "id": pk, "status": Application.Status(to).label})
    return redirect(target)
