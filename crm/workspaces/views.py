"""Role workspaces: thin views over crm.workspaces.selectors."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.exports import export_response
from crm.models import KpiPolicy
from crm.services import audit
from customers.filters import CustomerFilter
from customers.models import Customer, Role
from customers.scope import MANAGER_ROLES, scope_for

from . import selectors, services
from .forms import KpiTargetsForm

MANAGER_HOME_ROLES = (*MANAGER_ROLES, Role.COMPLIANCE)


def _advisor_scope(request):
    scope = scope_for(request.user)
    if not (scope.is_advisor or scope.everything):
        raise PermissionDenied
    return scope


def _manager_scope(request):
    scope = scope_for(request.user)
    if not (scope.everything or scope.role in MANAGER_HOME_ROLES):
        raise PermissionDenied
    return scope


def advisor_dashboard(request):
    scope = _advisor_scope(request)
    context = selectors.advisor_dashboard(request.user, scope)
    # the customer list's own filter form, empty: it submits to the list page
    context["customer_filter"] = CustomerFilter(queryset=Customer.objects.none())
    return render(request, "crm/workspace_advisor.html", context)


def manager_home(request):
    scope = _manager_scope(request)
    return render(request, "crm/workspace_manager.html", selectors.manager_home(request.user, scope))


def manager_kpi_export(request, fmt):
    scope = _manager_scope(request)
    kpis = selectors.kpis(scope)
    rows = selectors.kpi_rows(kpis["coverage"], kpis["high_end"], kpis["products"], kpis["targets"])
    audit(request.user, "export", object_type="coverage_kpis", object_id=fmt, rows=len(rows))
    headers = [_("Measure"), _("Office"), _("Code"), _("Name"), _("Base"), _("Count"), _("Percent"),
               _("Target %")]
    return export_response(rows, headers, "coverage-kpis", fmt)


def kpi_targets(request):
    """The coverage-KPI targets and their versions; branch managers save a new version."""
    _manager_scope(request)
    can_edit = services.can_edit_targets(request.user)
    targets, _policy = selectors.active_targets()
    form = KpiTargetsForm(initial=KpiTargetsForm.initial_from(targets))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = KpiTargetsForm(request.POST)
        if form.is_valid():
            try:
                policy = services.save_targets(user=request.user, params=form.params(),
                                               note=form.cleaned_data["note"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Targets v%(v)s are now active.") % {"v": policy.version})
                return redirect("workspaces:kpi-targets")
    versions = KpiPolicy.objects.select_related("created_by").order_by("-version")[:50]
    return render(request, "crm/workspace_targets.html", {"form": form, "can_edit": can_edit,
                                                          "versions": versions})
