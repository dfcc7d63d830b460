import json

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.scope import scope_for

from . import selectors
from .exports import export_response, filter_pairs
from .filters import AuditEventFilter
from .paging import paged
from .models import JobRun
from .services import audit


def home(request):
    """Each role lands on its workspace: advisors on today's list (crm.workspaces.today; it links to their
    dashboard), managers and compliance on the manager
    home, operations on the survey worklist, anyone else on the customer list."""
    from customers.models import Role

    from .workspaces.views import MANAGER_HOME_ROLES

    scope = scope_for(request.user)
    if scope.is_advisor:
        return redirect("workspaces:today")
    if scope.role in MANAGER_HOME_ROLES:
        return redirect("workspaces:manager")
    if scope.role == Role.OPERATIONS:
        return redirect("surveys:worklist")
    return redirect("customers:list")


def ping(request):
    """A trivial authenticated page: the app's layout around one line, no data of its own. `bench web` divides
    every page's p95 latency by this page's (quality.md); login is required like everywhere else."""
    return render(request, "crm/ping.html")


def job_runs(request):
    scope = scope_for(request.user)
    if not (scope.can_import or scope.is_branch_wide):
        raise PermissionDenied
    from .job_labels import describe

    runs = JobRun.objects.select_related("started_by")[:100]
    return render(request, "crm/job_runs.html", {"runs": [describe(run) for run in runs]})


def audit_log(request):
    """Compliance and branch managers browse and filter the log; it has no edit or delete action."""
    filterset = AuditEventFilter(request.GET, queryset=selectors.audit_events(request.user))
    return render(request, "crm/audit_log.html", {"filter": filterset, **paged(request, filterset.qs)})


def audit_log_export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filterset = AuditEventFilter(request.GET, queryset=selectors.audit_events(request.user))
    rows = [(*row[:5], json.dumps(row[5], ensure_ascii=False, sort_keys=True))
            for row in selectors.audit_export_rows(filterset.qs)]
    audit(request.user, "export", object_type="audit_log", object_id=fmt, rows=len(rows),
          query=request.GET.urlencode())
    headers = [_("When"), _("User"), _("Action"), _("Object type"), _("Object"), _("Detail")]
    return export_response(rows, headers, "audit-log", fmt, title=_("Audit log"), filters=filter_pairs(filterset))
