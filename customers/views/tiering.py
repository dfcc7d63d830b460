"""Tiering pages for managers: policy versions and preview, run now with progress, tier reports."""
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST

from crm.exports import MONEY, PCT, frame_table, tables_response
from crm.formerrors import report_form_errors
from crm.models import JobRun
from crm.services import audit

from .. import selectors, services, tasks
from ..forms import StarOverrideForm, TieringPolicyForm
from ..models import Customer, TieringPolicy
from ..rights import Write, require, writes
from ..scope import scope_for
from ..tiering import reports
from ..tiering.explain import SUBTYPE_NAMES, stage_label, star_label
from ..tiering.param_labels import LABELS as PARAM_LABELS
from ..tiering.rules import INSTITUTION_STARS, RETAIL_STARS, STAGES
from ..tiering.params import TieringParams

__all__ = ["tiering_home", "policy_new", "policy_detail", "policy_activate", "run_now", "tier_report",
           "star_override", "notifications"]


def _manager(request):
    scope = scope_for(request.user)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    return scope


def _policy_editor(request):
    """The tiering policy's editor (customers.rights): the only one who sees the new-version form."""
    scope = scope_for(request.user)
    require(scope, Write.EDIT_TIERING_POLICY)
    return scope


def tiering_home(request):
    scope = _manager(request)
    runs = JobRun.objects.filter(job__in=["reclassify", "tiering_preview"]).select_related("started_by")[:15]
    return render(request, "customers/tiering_home.html", {
        "policies": TieringPolicy.objects.select_related("created_by", "activated_by")[:30],
        "runs": runs, "running": any(r.status == JobRun.Status.RUNNING for r in runs),
        "can_edit": scope.may(Write.EDIT_TIERING_POLICY), "can_run": scope.may(Write.RUN_RECLASSIFICATION),
    })


@writes(Write.EDIT_TIERING_POLICY)
def policy_new(request):
    _policy_editor(request)
    base = TieringPolicy.objects.filter(version=request.GET.get("from")).first() or \
        TieringPolicy.objects.filter(status=TieringPolicy.Status.ACTIVE).first()
    initial = TieringParams.from_json(base.params) if base else TieringParams()
    form = TieringPolicyForm(request.POST or None, initial_params=initial)
    if request.method == "POST" and form.is_valid():
        from ..tiering.policy import create_draft

        try:
            draft = create_draft(params=form.cleaned_data["params"], user=request.user,
                                 note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            _start_preview(request, draft)
            return redirect("customers:tiering-policy", version=draft.version)
    return render(request, "customers/tiering_policy_form.html", {"form": form, "base": base})


def _start_preview(request, draft):
    try:
        tasks.tiering_preview.apply_async(args=[draft.version, request.user.pk], retry=False)
    except tasks.BrokerError:
        messages.warning(request, _("The job queue is unreachable; the preview will be computed later."))


@writes(Write.EDIT_TIERING_POLICY)  # POST: compute a draft's preview
def policy_detail(request, version):
    scope = _manager(request)
    policy = get_object_or_404(TieringPolicy, version=version)
    if request.method == "POST":
        _start_preview(request, policy)
        return redirect("customers:tiering-policy", version=version)
    active = TieringPolicy.objects.filter(status=TieringPolicy.Status.ACTIVE).first()
    changed = []
    if active and active.pk != policy.pk:
        changed = PARAM_LABELS.changes(active.params, policy.params)
    preview = JobRun.objects.filter(job="tiering_preview", params__policy_version=version).first()
    tables = _preview_tables(preview) if preview and preview.status == JobRun.Status.SUCCEEDED else []
    return render(request, "customers/tiering_policy.html", {
        "policy": policy, "active": active, "changed": changed, "preview": preview, "tables": tables,
        "groups": PARAM_LABELS.grouped(policy.params), "can_edit": scope.may(Write.EDIT_TIERING_POLICY),
    })


PREVIEW_FIELDS = (  # the preview's matrices in reading order, each with its title and its categories' order
    ("star", gettext_lazy("Value star"), ("1", "2", "3", "4", "5", "platinum", "diamond", "prestige", "—")),
    ("lifecycle_stage", gettext_lazy("Lifecycle stage"), (*STAGES, "—")),
    ("quadrant", gettext_lazy("Value quadrant"), ("A", "B", "C", "D", "—")),
    ("stp_subtype", gettext_lazy("STP sub-type"), ("I", "II", "III", "IV", "V", "VI", "—")),
)
QUADRANT_NAMES = {"A": gettext_lazy("A ordinary"), "B": gettext_lazy("B important"), "C": gettext_lazy("C core"),
                  "D": gettext_lazy("D high-value core")}


def _category_label(field, value):
    if value in ("—", "", None):
        return str(gettext_lazy("none"))
    if field == "star":
        return star_label(value)
    if field == "lifecycle_stage":
        return str(stage_label(value))
    if field == "quadrant":
        return str(QUADRANT_NAMES.get(value, value))
    if field == "stp_subtype" and value in SUBTYPE_NAMES:
        return f"{value} {_(SUBTYPE_NAMES[value])}"
    return str(value)


def _preview_tables(preview):
    """The preview's migration matrices as the reader sees them: per field, the customers in each category under
    the active version and under this one side by side with the difference, and the matrix of who goes where
    (rows: active, columns: this version; the diagonal stays put), categories in their natural order and named."""
    out = []
    matrices, moved = preview.counts.get("matrices", {}), preview.counts.get("moved", {})
    for field, title, order in PREVIEW_FIELDS:
        m = matrices.get(field)
        if not m:
            continue
        cells = {(r, c): v for r, row in zip(m["rows"], m["cells"]) for c, v in zip(m["columns"], row)}
        present = set(m["rows"]) | set(m["columns"])
        keys = [k for k in order if k in present] + sorted(present - set(order))
        before = {k: sum(v for (r, _c), v in cells.items() if r == k) for k in keys}
        after = {k: sum(v for (_r, c), v in cells.items() if c == k) for k in keys}
        out.append({
            "field": field, "title": title, "moved": moved.get(field, 0), "total": sum(before.values()),
            "summary": [{"label": _category_label(field, k), "before": before[k], "after": after[k],
                         "change": after[k] - before[k]} for k in keys],
            "columns": [_category_label(field, k) for k in keys],
            "rows": [{"label": _category_label(field, r),
                      "cells": [{"value": cells.get((r, c), 0), "stays": r == c} for c in keys]} for r in keys],
        })
    return out


@require_POST
@writes(Write.EDIT_TIERING_POLICY)
def policy_activate(request, version):
    from ..tiering.policy import activate

    policy = activate(policy=get_object_or_404(TieringPolicy, version=version), user=request.user)
    messages.success(request, _("Version %(v)d is now active; the next run uses it.") % {"v": policy.version})
    return redirect("customers:tiering")


@require_POST
@writes(Write.RUN_RECLASSIFICATION)
def run_now(request):
    try:
        tasks.enqueue_reclassification(user=request.user)
        messages.success(request, _("The reclassification has started."))
    except tasks.QueueUnavailable:
        messages.error(request, _("The job queue is unreachable, so the run could not start. Try again later."))
    return redirect("customers:tiering")


def _parse_day(value, default):
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def tier_report(request):
    scope = _manager(request)
    office_id = None if scope.is_branch_wide else scope.office_id
    dates = reports.run_dates()
    day = _parse_day(request.GET.get("date"), dates[0] if dates else None)
    if day is None:
        return render(request, "customers/tier_report.html", {"report": None, "dates": dates})
    day_from = _parse_day(request.GET.get("from"), dates[1] if len(dates) > 1 else day)
    field = request.GET.get("field") if request.GET.get("field") in ("star", "lifecycle_stage", "stp_subtype",
                                                                      "quadrant") else "star"
    report, moves = reports.report_page(day, day_from, field, office_id)
    by_star = report["by_star"]
    retail = by_star.index.isin(RETAIL_STARS)  # shares are of each kind: two tables, each adding up to 100 %
    tables = {
        "by_star": by_star[retail], "by_star_institutional": by_star[~retail],
        "by_office": report["by_office"], "quadrants": report["quadrants"].to_frame(),
        "subtypes": report["subtypes"].to_frame(), "stages": report["stages"].to_frame(),
        "funnel": report["conversion"],
        "legacy_vs_value": report["legacy_vs_value"], "migration": moves,
    }
    export = request.GET.get("export")
    if export:
        if export not in tables or request.GET.get("format") not in ("csv", "xlsx"):
            raise Http404
        fmt = request.GET["format"]
        audit(request.user, "export", object_type="tier_report", object_id=export, date=day.isoformat(), fmt=fmt)
        labels = {**EXPORT_LABELS, **COLUMN_LABELS}
        kinds = {**{c: PCT for c in PERCENT_COLUMNS}, **{c: MONEY for c in MONEY_COLUMNS}}
        sheets = [frame_table(frame, EXPORT_TITLES.get(name, name), name, labels, kinds, _row_label)
                  for name, frame in tables.items()]
        filters = [(_("Date"), day.isoformat()), (_("Compared with"), day_from.isoformat()),
                   (_("Migration by"), str(EXPORT_LABELS.get(field, field)))]
        return tables_response(sheets, f"tier-report-{day}", fmt, title=_("Tier report"), filters=filters,
                               only=export, csv_filename=f"{export}-{day}")
    by_star = by_star[retail]
    charts = {
        "stars": {"labels": [_row_label(i) for i in by_star.index],
                  "customers": [round(v * 100, 1) for v in by_star.get("customer_share", [])],
                  "cev": [round(v * 100, 1) for v in by_star.get("cev_share", [])]},
        "stages": {"labels": [_row_label(i) for i in report["stages"].index],
                   "values": [int(v) for v in report["stages"]]},
        "quadrants": {"labels": list(report["quadrants"].index), "values": [int(v) for v in report["quadrants"]]},
    }
    return render(request, "customers/tier_report.html", {
        "report": report, "dates": dates, "day": day, "day_from": day_from, "field": field,
        "tables": {name: _table(frame) for name, frame in tables.items()}, "charts": charts,
        "query": request.GET.urlencode(),
    })


PERCENT_COLUMNS = ("customer_share", "cev_share", "conversion")
MONEY_COLUMNS = ("cev", "clv", "total_assets", "assets", "aum")
EXPORT_LABELS = {  # the frames' index names and the migration field, for the export's headers and filters
    "star": gettext_lazy("Star"), "office": gettext_lazy("Office"), "office_code": gettext_lazy("Office"),
    "quadrant": gettext_lazy("Quadrant"), "stp_subtype": gettext_lazy("Sub-type"),
    "lifecycle_stage": gettext_lazy("Stage"), "stage": gettext_lazy("Stage"), "index": "",
    "total_assets": gettext_lazy("Total assets"), "clv": "CLV",
}
EXPORT_TITLES = {
    "by_star": gettext_lazy("By star"), "by_star_institutional": gettext_lazy("By star (institutional)"),
    "by_office": gettext_lazy("By office"), "quadrants": gettext_lazy("By quadrant"), "subtypes": gettext_lazy("By sub-type"),
    "stages": gettext_lazy("By lifecycle stage"), "funnel": gettext_lazy("Lifecycle funnel"),
    "legacy_vs_value": gettext_lazy("Legacy grade vs value star"), "migration": gettext_lazy("Migration"),
}
COLUMN_LABELS = {  # frame columns as the reader sees them (the exports keep the plain names)
    "customers": gettext_lazy("Customers"), "count": gettext_lazy("Customers"), "cev": "CEV",
    "customer_share": gettext_lazy("% of customers"), "cev_share": gettext_lazy("% of CEV"),
    "reached": gettext_lazy("Reached it"), "conversion": gettext_lazy("Conversion from the stage before"),
}


def _table(frame):
    """A frame as header + rows of (label, cells) for the templates; shares shown as percentages."""
    frame = frame.copy()
    for column in PERCENT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda v: "—" if v is None or v != v else f"{v * 100:.1f}%")
    return {"columns": [str(COLUMN_LABELS[c]) if c in COLUMN_LABELS else _row_label(c) for c in frame.columns],
            "rows": [(_row_label(i), list(r)) for i, r in zip(frame.index, frame.itertuples(index=False))]}


def _row_label(value):
    """A row or column of a report table in the reader's words: stages and stars named (潜在期, 5★, 铂金),
    quadrants and sub-types as the study's letters."""
    from ..tiering.explain import star_label as name_star

    if value in STAGES:
        return str(stage_label(value))
    if value in RETAIL_STARS or value in INSTITUTION_STARS:
        return str(name_star(value))
    return str(value)


@require_POST
@writes(Write.OVERRIDE_STAR)
def star_override(request, code):
    try:
        customer = selectors.customer_detail(request.user, code)
    except Customer.DoesNotExist:
        raise Http404 from None
    form = StarOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_star(customer=customer, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Star pinned; the next run applies it."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        report_form_errors(request, form)
    return redirect("customers:detail", code=customer.customer_code)


@writes(Write.READ_OWN_NOTIFICATIONS)  # POST: mark them read
def notifications(request):
    """The signed-in staff member's notifications (tier changes of their customers), newest first."""
    scope = scope_for(request.user)
    if scope.staff is None:
        raise PermissionDenied
    items = list(selectors.notifications_for(scope.staff)[:200])
    if request.method == "POST":
        services.mark_notifications_read(staff=scope.staff)
        return redirect("customers:notifications")
    return render(request, "customers/notifications.html", {"items": items})
