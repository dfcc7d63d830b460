"""Alert pages: the inbox, an alert with its evidence and history, quick actions, measures, thresholds.
Every queryset comes from selectors, which apply the user's scope."""
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from crm.exports import MONEY, PCT, export_response, filter_pairs, frame_table, tables_response
from crm.formerrors import report_form_errors
from crm.paging import paged
from crm.services import audit
from crm.redirects import safe_next
from customers.rights import Write, writes
from customers.scope import member_scope

from . import reports, selectors, services
from .filters import AlertFilter
from .forms import PolicyForm, SnoozeForm, TransitionForm
from .models import Alert, DismissReason, Outcome, Status
from .param_labels import LABELS as PARAM_LABELS
from .params import CHURN_RULES, AlertParams

EXPORT_LIMIT = 50_000
SURVEY_ROLES = ("operations", "office_manager", "branch_manager")




def _manager(request):
    scope = member_scope(request)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    return scope


def _filtered(request):
    data = request.GET.copy()
    data.setdefault("status", "active")  # the inbox opens on the work still to do
    return AlertFilter(data, queryset=selectors.alert_list(request.user))


def inbox(request):
    scope = member_scope(request)
    filterset = _filtered(request)
    return render(request, "alerts/inbox.html", {
        "filter": filterset, **paged(request, filterset.qs), "now": timezone.now(), "today": timezone.localdate(),
        "can_transition": services.can_transition(request.user), "scope": scope,
    })


def export(request, fmt):
    member_scope(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(_filtered(request).qs.values_list(
        "id", "customer__customer_code", "customer__office__code", "rule", "level", "status", "owner__staff_code",
        "opened_at", "due_at", "acknowledged_at", "closed_at", "outcome", "funds_returned", "evidence",
    )[:EXPORT_LIMIT])
    rows = [(*r[:7], *[v.isoformat() if v else "" for v in r[7:11]], r[11], r[12], str(r[13])) for r in rows]
    audit(request.user, "export", object_type="alerts", object_id=fmt, rows=len(rows), query=request.GET.urlencode())
    headers = [_("Alert"), _("Customer code"), _("Office"), _("Rule"), _("Level"), _("Status"), _("Owner"),
               _("Opened"), _("Due"), _("Acknowledged"), _("Closed"), _("Outcome"), _("Funds returned"),
               _("Evidence")]
    return export_response(rows, headers, "alerts", fmt, formats={12: MONEY}, title=_("Alerts"),
                           filters=filter_pairs(_filtered(request)))


def _get(request, pk):
    try:
        return selectors.alert_detail(request.user, pk)
    except Alert.DoesNotExist:
        raise Http404 from None  # out of scope looks exactly like absent


def detail(request, pk):
    scope = member_scope(request)
    alert = _get(request, pk)
    return render(request, "alerts/detail.html", {
        "alert": alert, "history": selectors.history(alert), "form": TransitionForm(),
        "overdue": selectors.is_overdue(alert), "next_statuses": services.TRANSITIONS[alert.status],
        "can_transition": services.can_transition(request.user), "outcomes": Outcome.choices,
        "channels": TransitionForm.base_fields["channel"].choices[1:], "dismiss_reasons": DismissReason.choices,
        "snoozed": alert.is_snoozed(timezone.localdate()), "snooze_max": selectors.active_params().snooze_max_days,
        # for churn warnings the operations staff can file questionnaire W (the surveys app's filing page)
        "survey_w": alert.rule in CHURN_RULES and (scope.everything or scope.role in SURVEY_ROLES),
    })


def _post_step(request, pk, form_class, step, done):
    """A workflow POST: the form, then `step(cleaned data)` in services; its errors become messages by field
    label, `done(cleaned data)` the success message; back to `next` or the alert."""
    _get(request, pk)  # out of scope: 404 before the form is even read
    form = form_class(request.POST)
    target = safe_next(request, "alerts:detail", pk)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect(target)
    data = form.cleaned_data
    try:
        step(data)
    except services.AlertNotFound:
        raise Http404 from None
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect(target)
    messages.success(request, done(data))
    return redirect(target)


@require_POST
@writes(Write.TRANSITION_ALERT)
def transition(request, pk):
    return _post_step(
        request, pk, TransitionForm,
        lambda data: services.transition(
            alert_id=pk, actor=request.user, to=data["to"], note=data["note"], outcome=data["outcome"],
            amount=data["amount"], channel=data["channel"], summary=data["summary"],
            dismiss_reason=data["dismiss_reason"]),
        lambda data: _("Alert #%(id)s is now %(status)s.") % {"id": pk, "status": Status(data["to"]).label})


@require_POST
@writes(Write.TRANSITION_ALERT)
def snooze(request, pk):
    """Snooze the alert (or, from today's list, the whole card) until a date."""
    return _post_step(
        request, pk, SnoozeForm,
        lambda data: services.snooze(alert_id=pk, actor=request.user, until=data["until"], note=data["note"],
                                     whole_card=data["whole_card"]),
        lambda data: _("Alert #%(id)s is snoozed until %(until)s.") % {"id": pk, "until": data["until"].isoformat()})


EXPORTABLE = ("by_rule", "by_office", "by_advisor", "timing", "outcomes", "precision")
MEASURE_TITLES = {"by_rule": gettext_lazy("By rule"), "by_office": gettext_lazy("By office"),
                  "by_advisor": gettext_lazy("By advisor"),
                  "timing": gettext_lazy("Hours to acknowledge and to resolve"),
                  "outcomes": gettext_lazy("Outcomes"), "precision": gettext_lazy("Precision")}
MEASURE_LABELS = {  # the measure frames' columns and index names, for the export's headers
    "rule_label": gettext_lazy("Rule"), "rule": gettext_lazy("Rule"), "customer__office__code": gettext_lazy("Office"),
    "row_0": gettext_lazy("Advisor"), "total": gettext_lazy("Total"), "count": gettext_lazy("Count"),
    "outcome": gettext_lazy("Outcome"), "index": "",
    "hours_to_ack_median": gettext_lazy("Hours to acknowledge, median"),
    "hours_to_ack_mean": gettext_lazy("Hours to acknowledge, mean"),
    "hours_to_resolve_median": gettext_lazy("Hours to resolve, median"),
    "hours_to_resolve_mean": gettext_lazy("Hours to resolve, mean"),
    "warned": gettext_lazy("Warned"), "churned": gettext_lazy("Churned"), "not_a_risk": gettext_lazy("Not a risk"),
    "pending": gettext_lazy("Pending"), "precision": gettext_lazy("Precision"),
}


def measures(request):
    scope = _manager(request)
    today = timezone.localdate()
    date_to = selectors.as_date(request.GET.get("to"), today)
    date_from = selectors.as_date(request.GET.get("from"), date_to - timedelta(days=180))
    params = selectors.active_params()
    result = reports.measures(selectors.visible_alerts(request.user), scope.customers(), date_from, date_to,
                              params.precision_days)
    tables = result["tables"]
    name = request.GET.get("export")
    if name:
        if name not in EXPORTABLE or name not in tables or request.GET.get("format") not in ("csv", "xlsx"):
            raise Http404
        fmt = request.GET["format"]
        audit(request.user, "export", object_type="alert_measures", object_id=name, fmt=fmt,
              date_from=date_from.isoformat(), date_to=date_to.isoformat())
        labels = {**{k: v for k, v in Status.choices}, **MEASURE_LABELS}
        sheets = [frame_table(tables[n], MEASURE_TITLES[n], n, labels, {"precision": PCT})
                  for n in EXPORTABLE if n in tables]
        filters = [(pgettext("date range", "From"), date_from.isoformat()),
                   (pgettext("date range", "To"), date_to.isoformat())]
        return tables_response(sheets, f"alert-measures-{date_from}-{date_to}", fmt, title=_("Alert measures"),
                               filters=filters, only=name, csv_filename=f"alert-{name}-{date_from}-{date_to}")
    by_rule = tables.get("by_rule")
    chart = {"labels": [str(i) for i in by_rule.index] if by_rule is not None else [],
             "series": {str(c): [int(v) for v in by_rule[c]] for c in by_rule.columns if c != "total"}
             if by_rule is not None else {}}
    outcomes = tables.get("outcomes")
    chart["outcomes"] = {"labels": [str(i) for i in outcomes.index], "values": [int(v) for v in outcomes["count"]]} \
        if outcomes is not None else {"labels": [], "values": []}
    return render(request, "alerts/measures.html", {
        "result": result, "date_from": date_from, "date_to": date_to, "chart": chart,
        "tables": {n: _table(tables[n]) for n in EXPORTABLE if n in tables},
        "query": request.GET.urlencode(), "precision_days": params.precision_days,
        "can_edit_policy": scope.may(Write.EDIT_ALERT_POLICY),
    })


def _measure_label(value):
    """A measures table's column or row key in the reader's words (statuses, outcomes, the measures' own
    columns, the same words as the exports' MEASURE_LABELS); rule labels and office codes come named already."""
    from django.utils.translation import gettext_lazy

    columns = {
        "count": gettext_lazy("Count"), "total": gettext_lazy("Total"), "warned": gettext_lazy("Warned"),
        "churned": gettext_lazy("Churned"), "not_a_risk": gettext_lazy("Not a risk"),
        "pending": gettext_lazy("Pending"), "precision": gettext_lazy("Precision"),
        "hours_to_ack_median": gettext_lazy("Hours to acknowledge, median"),
        "hours_to_ack_mean": gettext_lazy("Hours to acknowledge, mean"),
        "hours_to_resolve_median": gettext_lazy("Hours to resolve, median"),
        "hours_to_resolve_mean": gettext_lazy("Hours to resolve, mean"),
    }
    if value in columns:
        return str(columns[value])
    if value in Status.values:
        return str(Status(value).label)
    return str(value)


def _table(frame):
    return {"columns": [_measure_label(c) for c in frame.columns],
            "rows": [(_measure_label(i), list(r)) for i, r in zip(frame.index, frame.itertuples(index=False))]}


@writes(Write.EDIT_ALERT_POLICY)
def policy(request):
    """The alert thresholds as a labelled form (managers read it; branch managers save a new version) and the
    versions with what each changed against the one before."""
    scope = _manager(request)
    can_edit = scope.may(Write.EDIT_ALERT_POLICY)
    active = selectors.active_policy()
    form = PolicyForm(request.POST or None, initial_params=AlertParams.from_json(active.params), editable=can_edit)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_policy_version(params=form.cleaned_data["params"], user=request.user,
                                                     note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Alert thresholds version %(v)s is now in force.") % {"v": created.version})
            return redirect("alerts:policy")
    versions = selectors.policy_versions()
    return render(request, "alerts/policy.html", {
        "form": form, "active": active, "can_edit": can_edit,
        "versions": [{"policy": v, "changes": PARAM_LABELS.changes(older.params, v.params) if older else []}
                     for v, older in zip(versions, [*versions[1:], None])]})


@require_POST
@writes(Write.RUN_ALERT_SCAN)
def run_now(request):
    """Branch managers: run the scan now on a worker (the queue being down is reported, not an error page)."""
    from kombu.exceptions import OperationalError as BrokerError

    from . import tasks

    try:
        tasks.scan_alerts.apply_async(retry=False)
    except BrokerError:
        messages.warning(request, _("The job queue is unreachable; the scan will run tonight as scheduled."))
    else:
        messages.success(request, _("The alert scan has been queued; see Job runs for its progress."))
    return redirect("alerts:measures")
