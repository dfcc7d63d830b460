"""Role workspaces: thin views over crm.workspaces.selectors."""
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm.exports import INT, PCT100, Table, export_response, tables_response
from crm.models import KpiPolicy
from crm.services import audit
from customers import selectors as customer_selectors
from customers.filters import CustomerFilter
from customers.models import ADVISOR_ROLES, Customer, Interaction
from customers.rights import Write, writes
from customers.scope import scope_for
from planner.selectors import today_block

from . import selectors, services, tables, today
from .selectors import MANAGER_HOME_ROLES  # noqa: F401 (crm.views.home reads it here)
from .forms import KpiTargetsForm, TodayPolicyForm



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


def _dashboard_key(request, scope):
    """The advisor dashboard's cache key: the viewer's own book's mark (customers.selectors.own_book_mark),
    language and date. None (no caching) unless the viewer is an advisor seeing their own book: a superuser's
    dashboard covers the whole branch, which no single book mark follows."""
    mark = customer_selectors.own_book_mark(request.user, scope)
    if mark is None:
        return None
    return f"advisor-dashboard:{mark}:{get_language()}:{selectors.today().isoformat()}"


def _table_export(request, tables_of, context_of, name, title):
    """`?export=<table id>&format=csv|xlsx`: CSV, that table of the page (crm.workspaces.tables); XLSX, the
    page's workbook (a sheet per table, opening on that one). Audited; None when the request asks for no
    export."""
    table = request.GET.get("export")
    if table is None:
        return None
    fmt = request.GET.get("format", "csv")
    all_tables = tables_of(context_of())
    if table not in all_tables or fmt not in ("csv", "xlsx"):
        raise Http404
    audit(request.user, "export", object_type=name, object_id=f"{table}.{fmt}",
          rows=len(all_tables[table][1]) if fmt == "csv" else sum(len(rows) for _h, rows in all_tables.values()))
    sheets = [Table(str(tables.TITLES.get(key, key)), headers, rows, tables.FORMATS.get(key, {}), key)
              for key, (headers, rows) in all_tables.items()]
    return tables_response(sheets, name, fmt, title=title, only=table)


def advisor_dashboard(request):
    """The dashboard's content is computed once and served from the cache until the book changes, the day
    ends or the next alert falls overdue, whichever comes first: advisors come back to it all day."""
    scope = _advisor_scope(request)
    export = _table_export(request, tables.advisor_tables,
                           lambda: selectors.advisor_dashboard(request.user, scope), "advisor-dashboard",
                           _("Advisor dashboard"))
    if export is not None:
        return export
    key = _dashboard_key(request, scope)
    body = cache.get(key) if key else None
    if body is None:
        context = selectors.advisor_dashboard(request.user, scope)
        # the customer list's own filter form, empty: it submits to the list page
        context["customer_filter"] = CustomerFilter(queryset=Customer.objects.none())
        body = render_to_string("crm/_advisor_dashboard.html", context, request)
        if key:
            cache.set(key, str(body), selectors.dashboard_fresh_for(context))
    return render(request, "crm/workspace_advisor.html", {"body": mark_safe(body)})  # noqa: S308 (rendered above)


def manager_home(request):
    scope = _manager_scope(request)
    export = _table_export(request, tables.manager_tables, lambda: selectors.manager_home(request.user, scope),
                           "manager-home", _("Manager home"))
    if export is not None:
        return export
    return render(request, "crm/workspace_manager.html", selectors.manager_home(request.user, scope))


def manager_kpi_export(request, fmt):
    scope = _manager_scope(request)
    kpis = selectors.kpis(scope)
    rows = selectors.kpi_rows(kpis["coverage"], kpis["high_end"], kpis["products"], kpis["targets"])
    audit(request.user, "export", object_type="coverage_kpis", object_id=fmt, rows=len(rows))
    headers = [_("Measure"), _("Office"), pgettext("advisor or office", "Code"), _("Name"), _("Base"), _("Count"), _("Percent"),
               _("Target %")]
    return export_response(rows, headers, "coverage-kpis", fmt, formats={4: INT, 5: INT, 6: PCT100, 7: PCT100},
                           title=_("Coverage KPIs"))


@writes(Write.EDIT_KPI_TARGETS)
def kpi_targets(request):
    """The coverage-KPI targets and their versions; branch managers save a new version."""
    _manager_scope(request)
    can_edit = services.can_edit_targets(request.user)
    targets, _policy = selectors.active_targets()
    form = KpiTargetsForm(initial=KpiTargetsForm.initial_from(targets), editable=can_edit)
    if request.method == "POST":
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


def today_page(request):
    """Today's list: one card per customer, ranked, sized to the advisor's daily capacity (crm.workspaces.today)."""
    try:
        scope, advisor = today.list_target(request.user, request.GET.get("advisor"))
    except today.AdvisorRequired:
        advisors = (scope_for(request.user).staff_queryset().filter(role__in=ADVISOR_ROLES, is_active=True)
                    .order_by("office__code", "name"))
        return render(request, "crm/workspace_today.html", {"advisors": advisors, "result": None})
    result = today.list_for(request.user, scope, advisor)
    return render(request, "crm/workspace_today.html", {
        "result": result, "own": scope.is_advisor, "channels": Interaction.Channel.choices,
        "later_shown": today.LATER_SHOWN, "tasks": today_block(advisor, result["date"], viewer=request.user)})


@writes(Write.EDIT_TODAY_POLICY)
def today_policy(request):
    """The today list's policy and its versions: managers read it, branch managers save a new version."""
    from crm.models import TodayPolicy

    _manager_scope(request)
    can_edit = services.can_edit_today_policy(request.user)
    current = today.active_params()
    form = TodayPolicyForm(initial_params=current, editable=can_edit)
    if request.method == "POST":
        form = TodayPolicyForm(request.POST, initial_params=current)
        if form.is_valid():
            try:
                policy = services.save_today_policy(user=request.user, params=form.params(),
                                                    note=form.cleaned_data["note"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Today list policy v%(v)s is now active.") % {"v": policy.version})
                return redirect("workspaces:today-policy")
    versions = TodayPolicy.objects.select_related("created_by").order_by("-version")[:50]
    return render(request, "crm/workspace_today_policy.html", {"form": form, "can_edit": can_edit,
                                                                "versions": versions})
