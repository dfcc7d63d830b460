"""Outreach pages: one's own messages and notification preferences; the failed messages a manager answers for,
with a retry. Querysets come from selectors (which apply the scope); writes go through services."""
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.paging import paged
from customers.rights import Write, writes
from customers.scope import member_scope

from . import access, selectors, services
from .forms import PreferenceForm

ROW_RELATED = ("recipient_staff", "recipient_customer")


def _rows(page):
    for m in page:
        m.shown_address = selectors.masked(m.address)
    return page


def my_messages(request):
    scope = member_scope(request)
    qs = selectors.own_messages(scope)
    context = paged(request, qs)
    _rows(context["page"])
    return render(request, "outreach/messages.html", {**context, "scope": scope})


def failed(request):
    scope = member_scope(request)
    if not access.sees_failed(scope):
        raise PermissionDenied
    qs = selectors.failed_messages(scope).select_related(*ROW_RELATED)
    context = paged(request, qs, counted=selectors.failed_messages(scope))
    _rows(context["page"])
    return render(request, "outreach/failed.html", {**context, "scope": scope,
                                                    "can_retry": access.may_retry(scope)})


@require_POST
@writes(Write.RETRY_MESSAGES)
def retry(request):
    member_scope(request)
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:1000]
    if ids:  # retry_failed keeps the ones in the manager's scope
        n = services.retry_failed(ids, request.user)
        flash.success(request, ngettext("%(n)d message queued again.", "%(n)d messages queued again.", n) % {"n": n})
    else:
        flash.error(request, _("Choose the failed messages to send again."))
    return redirect("outreach:failed")


@writes(Write.EDIT_OWN_NOTIFICATION_PREFS)
def preferences(request):
    scope = member_scope(request)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.save_preferences(request.user, **form.cleaned_data)
            flash.success(request, _("Your notification preferences are saved."))
            return redirect("outreach:preferences")
    else:
        form = PreferenceForm(initial=selectors.preference_initial(request.user.pk))
    return render(request, "outreach/preferences.html", {"form": form, "scope": scope})
