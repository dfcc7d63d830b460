"""Role workspaces: thin views over crm.workspaces.selectors."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from crm.exports import export_response
from crm.services import audit
from customers.models import Role
from customers.scope import MANAGER_ROLES, scope_for

from . import selectors

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
    return render(request, "crm/workspace_advisor.html", selectors.advisor_dashboard(request.user, scope))


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
