"""Survey pages. Querysets come from selectors (scoped); writes go through services."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.exports import DATE, INT, NUMBER1, PCT100_2, Table, export_response, filter_pairs, tables_response
from crm.services import audit
from customers.rights import Write, writes
from customers.scope import member_scope

from . import selectors, services
from .filters import ResponseFilter
from .forms import AddItemForm, CloseTaskForm, FilingForm, GeneratePlanForm, ManagerCloseForm, UploadForm
from .models import FollowUpTask, PlanItem, Questionnaire, QuestionnaireVersion, SurveyResponse

EXPORT_LIMIT = 50_000


def _filer(request):
    scope = member_scope(request)
    if not selectors.can_file(scope):
        raise PermissionDenied
    return scope


def _planner(request):
    scope = member_scope(request)
    if not selectors.can_plan(scope):
        raise PermissionDenied
    return scope


def _query(request, drop=("page", "export", "format")):
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


def response_list(request):
    scope = member_scope(request)
    filterset = ResponseFilter(request.GET, queryset=selectors.responses_for(request.user))
    qs = filterset.qs
    if request.GET.get("export") == "responses" and request.GET.get("format") in ("csv", "xlsx"):
        rows = list(qs.values_list("pk", "version__questionnaire__code", "customer__customer_code",
                                   "customer__office__code", "channel", "outcome", "surveyed_on",
                                   "interviewer__staff_code", "service_person__staff_code")[:EXPORT_LIMIT])
        audit(request.user, "export", object_type="surveys.responses", object_id=request.GET["format"],
              rows=len(rows), query=request.GET.urlencode())
        headers = [_("ID"), _("Questionnaire"), _("Customer code"), _("Office"), _("Channel"), _("Outcome"),
                   _("Date"), _("Interviewer"), _("Evaluated service person")]
        return export_response(rows, headers, "survey_responses", request.GET["format"], formats={6: DATE},
                               title=_("Survey responses"), filters=filter_pairs(filterset))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "surveys/responses.html", {
        "filter": filterset, "page": page, "query": _query(request), "can_file": selectors.can_file(scope),
        "questionnaires": selectors.questionnaires()})


def response_detail(request, pk):
    member_scope(request)
    try:
        response = selectors.response_detail(request.user, pk)
    except SurveyResponse.DoesNotExist:  # out of scope looks exactly like absent
        raise Http404 from None
    return render(request, "surveys/response.html", {"response": response,
                                                      "tasks": response.tasks.select_related("owner")})


@writes(Write.FILE_SURVEY)
def file_response(request, code):
    scope = _filer(request)
    try:
        version = selectors.active_version(code)
    except QuestionnaireVersion.DoesNotExist:
        raise Http404 from None
    item = None
    item_id = request.GET.get("item") or request.POST.get("item")
    if item_id:
        # an item out of scope (or unknown) is a 404, never a filing quietly made without it
        item = (selectors.callable_items(request.user).select_related("customer", "questionnaire")
                .filter(pk=item_id).first() if item_id.isdigit() else None)
        if item is None:
            raise Http404
    staff = scope.staff_queryset().filter(is_active=True).order_by("staff_code")
    initial = {"customer_code": request.GET.get("customer", item.customer.customer_code if item else ""),
               "interviewer": scope.staff.staff_code if scope.staff else "", "date": timezone.localdate()}
    form = FilingForm(request.POST or None, version=version, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.file_response(actor=request.user, data=form.to_data(), source="form", plan_item=item)
        except services.SurveyInvalid as exc:
            for e in exc.errors:
                form.add_error(form.field_for(e["field"]), e["message"])
        else:
            messages.success(request, _("Survey response #%(id)s filed.") % {"id": response.pk})
            if item:
                return redirect(_worklist_url(item.plan.month))
            return redirect(f"{request.path}?customer=")
    return render(request, "surveys/file.html", {"form": form, "version": version, "item": item,
                                                 "questionnaires": selectors.questionnaires()})


@writes(Write.FILE_SURVEY)
def upload(request):
    _filer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors, filed = None, None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            filed = services.file_csv(actor=request.user, raw=uploaded.read(), filename=uploaded.name)
        except services.SurveyInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(n)d responses filed; %(already)d rows were filed before and not "
                                        "filed again.") % {"n": len(filed), "already": filed.already_filed})
            return redirect("surveys:upload")
    return render(request, "surveys/upload.html", {"form": form, "errors": errors,
                                                   "columns": services.CSV_BASE_COLUMNS})


# --- plans and worklist -----------------------------------------------------------------------------

@writes(Write.PLAN_SURVEYS)
def plans(request):
    scope = _planner(request)
    form = GeneratePlanForm(request.POST or None, initial={"month": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        office_ids = None if scope.is_branch_wide else [scope.office_id]
        written = services.generate_plans(month=form.cleaned_data["month"], actor=request.user,
                                          office_ids=office_ids)
        messages.success(request, _("Plans generated: %(n)d customers.") % {"n": sum(written.values())})
        return redirect("surveys:plans")
    return render(request, "surveys/plans.html", {"plans": selectors.plans_for(request.user)[:48], "form": form})


@writes(Write.PLAN_SURVEYS)
def plan_detail(request, pk):
    _planner(request)
    plan = selectors.plans_for(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    items = selectors.plan_items(plan, request.user)
    add_form = AddItemForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "release":
                services.release_plan(actor=request.user, plan_id=plan.pk)
                messages.success(request, _("Plan released."))
            elif action == "remove":
                services.remove_plan_item(actor=request.user, plan_id=plan.pk, item_id=request.POST.get("item"))
            elif action == "questionnaire":
                services.change_item_questionnaire(actor=request.user, plan_id=plan.pk,
                                                   item_id=request.POST.get("item"),
                                                   questionnaire_code=request.POST.get("questionnaire", ""))
            elif action == "add" and add_form.is_valid():
                services.add_plan_item(actor=request.user, plan_id=plan.pk,
                                       customer_code=add_form.cleaned_data["customer_code"],
                                       questionnaire_code=add_form.cleaned_data["questionnaire"])
            return redirect("surveys:plan", pk=plan.pk)
        except services.SurveyInvalid as exc:
            for e in exc.errors:
                messages.error(request, e["message"])
    if request.GET.get("export") == "plan" and request.GET.get("format") in ("csv", "xlsx"):
        rows = list(items.values_list("customer__customer_code", "customer__name", "questionnaire__code", "reason",
                                      "sampled_for__staff_code", "star", "stage", "outcome"))
        audit(request.user, "export", plan, rows=len(rows))
        headers = [_("Customer code"), _("Name"), _("Questionnaire"), _("Reason"), _("Advisor"), _("Star"),
                   _("Stage"), _("Outcome")]
        return export_response(rows, headers, f"plan_{plan.month:%Y%m}_{plan.office.code}", request.GET["format"],
                               title=_("Sampling plan"), filters=[
                                   (_("Month"), f"{plan.month:%Y-%m}"), (_("Office"), str(plan.office)),
                                   (_("Status"), str(plan.get_status_display()))])
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    return render(request, "surveys/plan.html", {
        "plan": plan, "page": page, "add_form": add_form, "codes": ("S2020", "P", "N", "E", "W"),
        "reasons": PlanItem.Reason})


def worklist(request):
    """Operations' landing page: one month's callback sample (default: the latest released month, this month's
    once it is released), with the other released months to pick from. Operations and managers see the
    sampled customers' phones (audited once per plan: services.reveal_worklist_phones). `?recorded=<response>`:
    the attempt just recorded, confirmed above the list with its undo (the page without JavaScript)."""
    scope = _filer(request)
    months = selectors.worklist_months(request.user)
    month = selectors.worklist_month(months, _month_of(request.GET.get("month")))
    items = selectors.worklist(request.user, month)
    fmt = request.GET.get("format")
    if request.GET.get("export") == "worklist" and fmt in ("csv", "xlsx"):
        rows = [(i.plan.month, i.plan.office.code, i.customer.customer_code, i.customer.name,
                 str(i.get_reason_display()), i.questionnaire.code, i.attempts, str(i.get_outcome_display()))
                for i in items[:EXPORT_LIMIT]]
        audit(request.user, "export", object_type="surveys.worklist", object_id=fmt, rows=len(rows))
        return export_response(rows, [_("Month"), _("Office"), _("Customer code"), _("Name"), _("Reason"),
                                      _("Questionnaire"), _("Attempts"), _("Last outcome")], "callback-worklist", fmt,
                               formats={0: "month"}, title=_("Callback worklist"),
                               filters=[(_("Month"), f"{month:%Y-%m}" if month else "—")])
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    phones = services.reveal_worklist_phones(actor=request.user, month=month)
    recorded = selectors.undoable_attempt(request.user, request.GET.get("recorded"), services.UNDO_SECONDS,
                                          timezone.now())
    return render(request, "surveys/worklist.html", {
        "page": page, "month": month, "months": months, "phones": phones, "recorded": recorded,
        "undo_seconds": services.UNDO_SECONDS, "can_plan": selectors.can_plan(scope),
        "query": f"month={month:%Y-%m}" if month else ""})


def _month_of(value):
    """The first day of a month written YYYY-MM, else None."""
    try:
        return date.fromisoformat(f"{value}-01") if value and len(value) == 7 else None
    except ValueError:
        return None


def _worklist_url(month, **params):
    url = reverse("surveys:worklist")
    query = urlencode({**({"month": f"{month:%Y-%m}"} if month else {}), **params})
    return f"{url}?{query}" if query else url


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@writes(Write.FILE_SURVEY)
def attempt(request, pk):
    """One key of the worklist (hung up, no answer, refused). The page's script posts it and gets JSON back (the
    row is updated in place, with a confirmation and an undo); without script the worklist shows the same
    confirmation, the row found by its anchor."""
    _filer(request)
    month = _month_of(request.POST.get("month"))
    try:
        response = services.record_attempt(actor=request.user, item_id=pk, outcome=request.POST.get("outcome", ""))
    except services.SurveyInvalid as exc:
        message = "; ".join(e["message"] for e in exc.errors)
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect(_worklist_url(month))
    item = response.plan_item
    item.refresh_from_db(fields=["attempts"])
    if _wants_json(request):
        outcome = str(response.get_outcome_display())
        return JsonResponse({
            "ok": True, "item": item.pk, "response": response.pk, "outcome": response.outcome,
            "outcome_label": outcome, "attempts": item.attempts,
            "message": _("Recorded: %(outcome)s (%(customer)s)") % {"outcome": outcome,
                                                                   "customer": item.customer.customer_code},
            "undo_url": reverse("surveys:attempt-undo", args=[response.pk]), "undo_seconds": services.UNDO_SECONDS})
    return redirect(_worklist_url(item.plan.month, recorded=response.pk) + f"#item-{item.pk}")


@require_POST
@writes(Write.FILE_SURVEY)
def undo_attempt(request, pk):
    """Take back a one-key outcome just recorded (services.undo_attempt: audited, within a short window)."""
    _filer(request)
    month = _month_of(request.POST.get("month"))
    try:
        item = services.undo_attempt(actor=request.user, response_id=pk)
    except services.SurveyInvalid as exc:
        message = "; ".join(e["message"] for e in exc.errors)
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect(_worklist_url(month))
    label = str(item.get_outcome_display()) if item.outcome else "—"
    message = _("Undone: the attempt is taken back.")
    if _wants_json(request):
        return JsonResponse({"ok": True, "item": item.pk, "outcome": item.outcome, "outcome_label": label,
                             "attempts": item.attempts, "message": message})
    messages.success(request, message)
    return redirect(_worklist_url(item.plan.month) + f"#item-{item.pk}")


# --- follow-up tasks --------------------------------------------------------------------------------

def task_list(request):
    scope = member_scope(request)
    tasks = selectors.tasks_for(request.user)
    state = request.GET.get("status", "open")
    if state == "open":
        tasks = tasks.filter(status__in=["open", "resurvey"])
    elif state in FollowUpTask.State.values:
        tasks = tasks.filter(status=state)
    if request.GET.get("mine") and scope.staff:
        tasks = tasks.filter(owner=scope.staff)
    if request.GET.get("escalated") and scope.staff:
        tasks = tasks.filter(escalated_to=scope.staff)
    fmt = request.GET.get("format")
    if request.GET.get("export") == "tasks" and fmt in ("csv", "xlsx"):
        rows = [(t.pk, t.priority, str(t.get_kind_display()), str(t.get_category_display()), t.customer.customer_code,
                 t.customer.name, t.owner.name if t.owner else "", t.due_on, str(t.get_status_display()),
                 t.escalated_to.name if t.escalated_to else "") for t in tasks[:EXPORT_LIMIT]]
        audit(request.user, "export", object_type="surveys.tasks", object_id=fmt, rows=len(rows))
        shown = [(_("Status"), dict(FollowUpTask.State.choices).get(state, _("open") if state == "open" else state))]
        shown += [(_("Mine"), _("Yes"))] if request.GET.get("mine") else []
        shown += [(_("Escalated to me"), _("Yes"))] if request.GET.get("escalated") else []
        return export_response(rows, ["#", _("Priority"), _("Kind"), _("Category"), _("Customer code"), _("Name"),
                                      _("Owner"), _("Due"), _("Status"), _("Escalated to")], "follow-up-tasks", fmt,
                               formats={7: DATE}, title=_("Follow-up tasks"), filters=[(str(k), str(v))
                                                                                   for k, v in shown])
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "surveys/tasks.html", {"page": page, "state": state, "today": timezone.localdate(),
                                                  "states": FollowUpTask.State.choices, "query": _query(request),
                                                  "is_manager": selectors.is_manager(scope)})


@writes(Write.CLOSE_SURVEY_TASK)  # a manager's close with a reason needs MANAGER_CLOSE_SURVEY_TASK too
def task_detail(request, pk):
    scope = member_scope(request)
    task = selectors.tasks_for(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    close_form = CloseTaskForm(request.POST or None, prefix="close")
    manager_form = ManagerCloseForm(request.POST or None, prefix="mgr")
    if request.method == "POST":
        try:
            if "close-note" in request.POST and close_form.is_valid():
                services.close_task(actor=request.user, task_id=task.pk, note=close_form.cleaned_data["note"])
                return redirect("surveys:task", pk=task.pk)
            if "mgr-reason" in request.POST and manager_form.is_valid():
                services.manager_close_task(actor=request.user, task_id=task.pk,
                                            reason=manager_form.cleaned_data["reason"])
                return redirect("surveys:task", pk=task.pk)
        except services.SurveyInvalid as exc:
            for e in exc.errors:
                messages.error(request, e["message"])
    return render(request, "surveys/task.html", {
        "task": task, "close_form": close_form, "manager_form": manager_form,
        "is_manager": selectors.is_manager(scope), "can_file": selectors.can_file(scope),
        "can_close": scope.may(Write.CLOSE_SURVEY_TASK), "today": timezone.localdate()})


# --- reports ----------------------------------------------------------------------------------------

def report(request, code):
    member_scope(request)
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise Http404
    filterset = ResponseFilter(request.GET, queryset=selectors.responses_for(request.user))
    responses = filterset.qs
    version, table = selectors.option_table(responses, code)
    rate = selectors.response_rate(responses, code)
    of_code = responses.filter(version__questionnaire__code=code)
    by = "person" if request.GET.get("by") == "person" else "office"
    months, index_rows = selectors.satisfaction_index(of_code, by)
    sla = selectors.sla_figures(selectors.tasks_for(request.user).filter(response__in=of_code.values("pk")))
    export = request.GET.get("export")
    fmt = request.GET.get("format")
    if export in ("answers", "index", "sla") and fmt in ("csv", "xlsx"):
        audit(request.user, "export", object_type="surveys.report", object_id=f"{code}:{export}", fmt=fmt,
              query=request.GET.urlencode())
        pages = [
            Table(_("Answers by question"), [_("Question"), _("Text"), _("Option"), _("Label"), _("Count"),
                                            _("Percent")],
                  [[q["code"], q["text"], o["code"], o["label"], o["count"], o["percent"]]
                   for q in table for o in q["options"]], {4: INT, 5: PCT100_2}, "answers"),
            Table(_("Satisfaction index"), [_("Group"), *months], [[label, *values] for label, values in index_rows],
                  {i: NUMBER1 for i in range(1, len(months) + 1)}, "index"),
            Table(_("Follow-up tasks"), [_("Category / owner"), _("Open"), _("Overdue"), _("Total")],
                  sla["by_category"] + sla["by_owner"], {1: INT, 2: INT, 3: INT}, "sla"),
        ]
        names = {"answers": f"survey_{code}", "index": f"satisfaction_{code}", "sla": f"sla_{code}"}
        filters = [(_("Questionnaire"), str(questionnaire)), *filter_pairs(filterset)]
        if export == "index":
            filters.append((_("By"), _("Evaluated service person") if by == "person" else _("Office")))
        return tables_response(pages, f"survey_report_{code}", fmt, title=_("Survey report"), filters=filters,
                               only=export, csv_filename=names[export])
    chart = {"labels": months, "datasets": [{"label": label, "data": values} for label, values in index_rows[:12]]}
    return render(request, "surveys/report.html", {
        "questionnaire": questionnaire, "version": version, "table": table, "rate": rate, "filter": filterset,
        "months": months, "index_rows": index_rows, "by": by, "sla": sla, "chart": chart,
        "query": _query(request), "questionnaires": selectors.questionnaires()})
