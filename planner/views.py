"""Planner pages: the calendar (day / week), a task, a new task (by hand, from an alert, from a survey follow-up),
the calendar-feed settings and the feed itself. Thin: reads from planner.selectors, writes through services."""
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.formerrors import report_form_errors
from customers.models import ADVISOR_ROLES
from customers.rights import Write, writes
from customers.scope import member_scope

from . import ics, selectors, services
from .forms import FromSourceForm, TaskActionForm, TaskForm
from .models import Task

VIEWS = ("week", "day")


def _target_staff(request, scope):
    """Whose calendar: one's own; a manager (or anyone branch-wide) may name a colleague in scope by staff code
    (?advisor=…; out of scope: 404). None when the viewer has no staff row and named nobody."""
    code = request.GET.get("advisor")
    if code and (scope.everything or scope.role not in ADVISOR_ROLES):
        staff = scope.staff_queryset().filter(staff_code=code, is_active=True).first()
        if staff is None:
            raise Http404
        return staff
    return scope.staff


def _day(value, default):
    """The asked day, or `default` when unreadable or at the calendar's ends (a week around it must exist)."""
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if date.min + timedelta(days=14) <= day <= date.max - timedelta(days=14) else default


def calendar(request):
    """The calendar of a week (Monday first) or a day: tasks, appointments, birthdays, payment dates and planned
    contacts, each day a column (a row on a phone). Keyboard: p / n previous and next, 0 today, d / w day and
    week, k a new task."""
    scope = member_scope(request)
    staff = _target_staff(request, scope)
    today = timezone.localdate()
    day = _day(request.GET.get("date"), today)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "week"
    start = day - timedelta(days=day.weekday()) if view == "week" else day
    days = [start + timedelta(days=i) for i in range(7 if view == "week" else 1)]
    step = timedelta(days=len(days))
    columns = []
    if staff is not None:
        viewer = None if staff == scope.staff else request.user
        items = selectors.calendar_items(staff, days[0], days[-1] + timedelta(days=1), viewer=viewer)
        by_day = {d: [] for d in days}
        for item in items:
            by_day.setdefault(item.day, []).append(item)
        columns = [{"day": d, "items": by_day[d], "is_today": d == today} for d in days]
    chooser = None
    if staff is None or request.GET.get("advisor"):
        chooser = scope.staff_queryset().filter(is_active=True).order_by("office__code", "name")
    return render(request, "planner/calendar.html", {
        "staff": staff, "own": staff is not None and staff == scope.staff, "columns": columns, "view": view,
        "day": day, "today": today, "previous": day - step, "next": day + step,
        "advisor": request.GET.get("advisor", ""), "chooser": chooser,
        "can_plan": scope.may(Write.PLAN_TASKS) and scope.staff is not None,
    })


@writes(Write.PLAN_TASKS)
def task_new(request):
    """A task or appointment by hand (?customer=<code> fills the customer when it is within the user's scope)."""
    scope = member_scope(request)
    if request.method == "POST":
        form = TaskForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            customer = None
            if data["customer_code"]:
                customer = scope.customers().filter(customer_code=data["customer_code"].strip()).first()
                if customer is None:
                    form.add_error("customer_code", _("No customer with this code in your scope."))
            if not form.errors:
                try:
                    task = services.create_task(actor=request.user, customer=customer, kind=data["kind"],
                                                title=data["title"], notes=data["notes"], due_at=data["due_at"],
                                                ends_at=data["ends_at"], location=data["location"])
                except ValidationError as exc:
                    _errors_to_form(form, exc)
                else:
                    messages.success(request, _("Task planned."))
                    return redirect("planner:task", pk=task.pk)
    else:
        initial = {"due_at": _next_hour(), "kind": Task.Kind.CALL_BACK}
        code = request.GET.get("customer", "").strip()
        if code and scope.customers().filter(customer_code=code).exists():
            initial["customer_code"] = code
        form = TaskForm(initial=initial)
    return render(request, "planner/task_form.html", {"form": form, "title": _("New task")})


def _next_hour():
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _errors_to_form(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@writes(Write.PLAN_TASKS)
def task_detail(request, pk):
    """One task with its actions (done, cancel, reschedule) for its owner or a manager."""
    scope = member_scope(request)
    try:
        task = selectors.task_detail(request.user, pk)
    except Task.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        form = TaskActionForm(request.POST)
        if form.is_valid():
            action, note = form.cleaned_data["action"], form.cleaned_data["note"]
            try:
                if action == "complete":
                    services.complete_task(actor=request.user, task_id=task.pk, note=note)
                    messages.success(request, _("Task done."))
                elif action == "cancel":
                    services.cancel_task(actor=request.user, task_id=task.pk, note=note)
                    messages.success(request, _("Task cancelled."))
                else:
                    services.reschedule(actor=request.user, task_id=task.pk, due_at=form.cleaned_data["due_at"])
                    messages.success(request, _("Task rescheduled."))
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    messages.error(request, " ".join(errors))
        else:
            report_form_errors(request, form)
        return redirect("planner:task", pk=task.pk)
    may_change = task.is_open and services.may_change(scope, task)
    return render(request, "planner/task.html", {"task": task, "may_change": may_change})


def _from_source(request, make, read, title):
    """GET: the form, once the source is found within the user's scope (404 otherwise); POST: the task."""
    member_scope(request)
    source = read()
    if request.method == "POST":
        form = FromSourceForm(request.POST)
        if form.is_valid():
            try:
                task = make(actor=request.user, kind=form.cleaned_data["kind"], due_at=form.cleaned_data["due_at"],
                            notes=form.cleaned_data["notes"])
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Task planned."))
                return redirect("planner:task", pk=task.pk)
    else:
        form = FromSourceForm(initial={"kind": Task.Kind.CALL_BACK, "due_at": _next_hour()})
    return render(request, "planner/task_form.html", {"form": form, "title": title, "source": source})


@writes(Write.PLAN_TASKS)
def task_from_alert(request, pk):
    from alerts.models import Alert
    from alerts.selectors import alert_detail

    def read():
        try:
            return alert_detail(request.user, pk)
        except Alert.DoesNotExist:
            raise Http404 from None

    alert = read()
    return _from_source(request, lambda **kw: services.task_from_alert(pk, **kw), lambda: alert,
                        _("Task from alert: %(rule)s · %(name)s") % {"rule": alert.get_rule_display(),
                                                                    "name": alert.customer.name})


@writes(Write.PLAN_TASKS)
def task_from_survey(request, pk):
    from surveys.models import FollowUpTask
    from surveys.selectors import tasks_for

    try:
        followup = tasks_for(request.user).get(pk=pk)
    except FollowUpTask.DoesNotExist:
        raise Http404 from None
    return _from_source(request, lambda **kw: services.task_from_survey_followup(pk, **kw), lambda: followup,
                        _("Task from a survey follow-up: %(category)s · %(name)s") % {
                            "category": followup.get_category_display(), "name": followup.customer.name})


@writes(Write.MANAGE_OWN_FEED)
def feed_settings(request):
    """One's own calendar-feed URL: make a new one (the old stops) or revoke it. The URL is shown once, right
    after it is made: only its hash is kept."""
    scope = member_scope(request)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_feed(actor=request.user)
            messages.success(request, _("Calendar feed revoked: the old address no longer works."))
        else:
            token = services.new_feed(actor=request.user)
            request.session["planner_feed_url"] = request.build_absolute_uri(
                reverse("planner-feed", kwargs={"token": token}))
        return redirect("planner:feed")
    return render(request, "planner/feed.html", {
        "feed": selectors.live_feed(request.user), "new_url": request.session.pop("planner_feed_url", None),
        "may_manage": scope.may(Write.MANAGE_OWN_FEED) and scope.staff is not None,
    })


@require_GET
def feed_ics(request, token):
    """The ICS feed behind a secret URL (no login: a calendar app has none). Unknown or revoked: 404."""
    found = selectors.feed_owner(services.token_hash(token))
    if found is None:
        raise Http404
    _feed, staff = found
    with translation.override(settings.LANGUAGE_CODE):  # the site's language: a calendar app has no choice
        body = ics.feed_document(staff)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response

