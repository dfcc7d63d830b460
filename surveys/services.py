"""Writes and domain rules for surveys: one validation for form, API and CSV; follow-ups; plans."""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import AuditEvent
from crm.services import audit, audit_many
from crm.textlimits import NOTE_MAX_LENGTH
from customers.models import Role, Staff
from customers.rights import Write
from customers.scope import scope_for
from customers.services import contacts_made, touch_books

from . import filing_once, selectors
from .models import (Answer, Channel, FollowUpTask, Option, Outcome, PlanItem, Question, Questionnaire,
                     SamplingPlan, SurveyResponse)

MULTI_SEPARATOR = ";"
CSV_BASE_COLUMNS = ("questionnaire", "customer_code", "channel", "outcome", "date", "interviewer",
                    "service_person", "handling_minutes", "materials_complete", "review_minutes", "plan_item")
TITLE_MAX_LENGTH = 200  # close reasons, version notes, option texts: their columns' length
QUESTION_MAX_LENGTH = 300
COUNTER_FIELDS = ("handling_minutes", "materials_complete", "review_minutes")


class SurveyInvalid(Exception):
    """Every problem found, as [{"row": n|None, "field": name, "value": text, "message": text}]."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


class AlreadyFiled(SurveyInvalid):
    """The survey, or the worklist item, was filed before: nothing was written (the API answers 409)."""


class FiledBatch(list):
    """The responses a CSV upload filed, and how many of its rows earlier filings had filed already."""

    def __init__(self, responses=(), already_filed=0):
        super().__init__(responses)
        self.already_filed = already_filed


@dataclass
class Context:
    """Lookups shared by all rows of one filing (so a CSV of any length costs a constant number of queries)."""

    scope: object
    versions: dict
    customers: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)

    @classmethod
    def build(cls, scope, customer_codes=(), staff_codes=()):
        customers = {c.customer_code: c for c in scope.customers().filter(customer_code__in=set(customer_codes))}
        staff = {s.staff_code: s for s in Staff.objects.filter(staff_code__in=set(staff_codes))}
        return cls(scope=scope, versions=selectors.active_versions(), customers=customers, staff=staff)


def _err(errors, fld, value, message, row=None):
    errors.append({"row": row, "field": fld, "value": "" if value is None else str(value), "message": str(message)})


def _too_long(errors, fld, text, limit, row=None):
    """Record an error for text longer than `limit` (never cut it); True when too long."""
    if len(text) <= limit:
        return False
    _err(errors, fld, _("%(n)d characters") % {"n": len(text)},
         _("At most %(limit)d characters.") % {"limit": limit}, row)
    return True


def _refuse_long(fld, text, limit):
    errors = []
    if _too_long(errors, fld, text, limit):
        raise SurveyInvalid(errors)


def _as_list(value):
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [value]


def check(data, ctx, row=None):
    """Validate one response given as plain data; returns (clean dict, errors). Writes nothing.

    data: questionnaire, customer_code, channel, outcome, date (ISO, default today), interviewer,
    service_person (staff codes), handling_minutes, materials_complete, review_minutes (counter),
    answers {question code: option code | [codes] | text}, reasons {question code: text}.
    """
    errors = []
    clean = {}
    code = (data.get("questionnaire") or "").strip()
    version = ctx.versions.get(code)
    if version is None:
        _err(errors, "questionnaire", code, _("Unknown questionnaire."), row)
    clean["version"] = version
    cc = (data.get("customer_code") or "").strip()
    customer = ctx.customers.get(cc)
    if customer is None:
        _err(errors, "customer_code", cc, _("Unknown customer, or not one of yours."), row)
    clean["customer"] = customer
    channel = (data.get("channel") or "").strip()
    if channel not in Channel.values:
        _err(errors, "channel", channel, _("Unknown channel (phone, counter, ivr, chat, visit)."), row)
    clean["channel"] = channel
    outcome = (data.get("outcome") or "").strip()
    if outcome not in Outcome.values:
        _err(errors, "outcome", outcome, _("Unknown outcome (completed, hung_up, no_answer, refused)."), row)
    clean["outcome"] = outcome
    raw_day = data.get("date") or data.get("surveyed_on") or ""
    if isinstance(raw_day, date):
        day = raw_day
    elif raw_day == "":
        day = timezone.localdate()
    else:
        try:
            day = date.fromisoformat(str(raw_day).strip())
        except ValueError:
            day = None
            _err(errors, "date", raw_day, _("Not a date (YYYY-MM-DD)."), row)
    if day and day > timezone.localdate():
        _err(errors, "date", raw_day, _("The date is in the future."), row)
    clean["surveyed_on"] = day
    for name in ("interviewer", "service_person"):
        value = data.get(name)
        value = value.staff_code if isinstance(value, Staff) else (value or "").strip()
        person = ctx.staff.get(value) if value else None
        if value and person is None:
            _err(errors, name, value, _("Unknown staff code."), row)
        clean[name] = person
    if clean["interviewer"] is None and not data.get("interviewer"):
        clean["interviewer"] = ctx.scope.staff
    if clean["service_person"] is None and not data.get("service_person") and customer is not None:
        clean["service_person_id"] = customer.advisor_id
    _check_counter(data, channel, clean, errors, row)
    clean["answers"] = []
    answers = data.get("answers") or {}
    reasons = data.get("reasons") or {}
    if outcome and outcome != Outcome.COMPLETED:
        given = [k for k, v in answers.items() if _as_list(v)]
        if given:
            _err(errors, given[0], "", _("Answers were given for an attempt that was not completed."), row)
    elif version is not None and outcome == Outcome.COMPLETED:
        clean["answers"] = _check_answers(version, answers, reasons, errors, row)
    return clean, errors


def _check_counter(data, channel, clean, errors, row):
    for name in COUNTER_FIELDS:
        value = data.get(name)
        if value in (None, ""):
            clean[name] = None
            if channel == Channel.COUNTER and name != "review_minutes":
                _err(errors, name, "", _("Required for the counter evaluation device."), row)
            continue
        if channel != Channel.COUNTER:
            _err(errors, name, value, _("Only the counter evaluation device records this measure."), row)
            continue
        if name == "materials_complete":
            text = str(value).strip().lower()
            if isinstance(value, bool):
                clean[name] = value
            elif text in ("yes", "true", "1", "y"):
                clean[name] = True
            elif text in ("no", "false", "0", "n"):
                clean[name] = False
            else:
                _err(errors, name, value, _("Yes or no."), row)
            continue
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            _err(errors, name, value, _("Not a number."), row)
            continue
        if not number.is_finite() or number < 0 or number > 9999:
            _err(errors, name, value, _("Minutes between 0 and 9999."), row)
        else:
            clean[name] = number


def _check_answers(version, answers, reasons, errors, row):
    """Answers of a completed response -> [(question, option|None, text)]."""
    out = []
    questions = {q.code: q for q in version.questions.all()}
    for key in list(answers) + list(reasons):
        if key not in questions:
            _err(errors, key, answers.get(key, reasons.get(key)), _("No such question in this questionnaire."), row)
    for code, question in questions.items():
        value = answers.get(code)
        reason = (reasons.get(code) or "").strip()
        if _too_long(errors, f"{code}_reason", reason, NOTE_MAX_LENGTH, row):
            continue
        options = {o.code: o for o in question.options.all()}
        if question.kind == Question.Kind.TEXT:
            if value is not None and not isinstance(value, str):
                _err(errors, code, value, _("This question takes free text."), row)
                continue
            text = (value or "").strip()
            if not text and question.required:
                _err(errors, code, "", _("This question must be answered."), row)
            if _too_long(errors, code, text, NOTE_MAX_LENGTH, row):
                continue
            if text:
                out.append((question, None, text))
            continue
        chosen = [v.strip().upper() if isinstance(v, str) else repr(v) for v in _as_list(value)]
        if not chosen:
            if question.required:
                _err(errors, code, "", _("This question must be answered."), row)
            if reason:
                _err(errors, code, reason, _("A reason was given but no option was chosen."), row)
            continue
        if question.kind == Question.Kind.SINGLE and len(chosen) > 1:
            _err(errors, code, MULTI_SEPARATOR.join(chosen), _("Single choice: give exactly one option."), row)
            continue
        if len(set(chosen)) != len(chosen):
            _err(errors, code, MULTI_SEPARATOR.join(chosen), _("The same option was given twice."), row)
            continue
        unknown = [c for c in chosen if c not in options]
        if unknown:
            _err(errors, code, MULTI_SEPARATOR.join(unknown),
                 _("Unknown option; valid: %(codes)s.") % {"codes": ", ".join(options)}, row)
            continue
        reason_options = [options[c] for c in chosen if options[c].allows_reason]
        if reason and not reason_options:
            _err(errors, code, reason, _("None of the chosen options takes a reason."), row)
            continue
        for c in chosen:
            option = options[c]
            text = reason if (reason_options and option is reason_options[0]) else ""
            out.append((question, option, text))
    return out


# --- filing -------------------------------------------------------------------------------------------

def _require_filing(scope):
    if not selectors.can_file(scope):
        raise PermissionDenied(_("Only operations staff and managers file survey results."))


def file_response(*, actor, data, source="form", plan_item=None):
    """Validate and write one response (with follow-up tasks); raise SurveyInvalid with every error, AlreadyFiled
    when the worklist item (`plan_item`, or the id data["plan_item"]) or the completed survey was filed before."""
    scope = scope_for(actor)
    _require_filing(scope)
    codes = [data.get(k) for k in ("interviewer", "service_person") if isinstance(data.get(k), str)]
    ctx = Context.build(scope, [data.get("customer_code") or ""], codes)
    clean, errors = check(data, ctx)
    if plan_item is None and data.get("plan_item") not in (None, ""):
        plan_item = _callable_items(actor, [data["plan_item"]]).get(str(data["plan_item"]).strip())
        if plan_item is None:
            _err(errors, "plan_item", data["plan_item"], _("Unknown worklist item, or not one you may call."))
    if plan_item is not None:
        for fld, value, message in filing_once.item_conflicts(plan_item, clean):
            _err(errors, fld, value, message)
    if errors:
        raise SurveyInvalid(errors)
    try:
        with transaction.atomic():
            _refuse_refiling(clean, plan_item)
            responses = _write([clean], actor, source, plan_items=[plan_item])
            audit(actor, "survey.file", responses[0], source=source)
    except IntegrityError:  # a concurrent filing of the same survey committed first (constraint, no row lock)
        _refuse_refiling(clean, plan_item)
        raise
    return responses[0]


def _callable_items(actor, ids):
    """str(id) -> the worklist item, for those of `ids` the actor may call."""
    numbers = {int(v) for v in (str(i).strip() for i in ids) if v.isdigit()}
    items = selectors.callable_items(actor).select_related("customer", "questionnaire").filter(pk__in=numbers)
    return {str(item.pk): item for item in items}


def _item_completed_error(item_id, response_id, row=None):
    return {"row": row, "field": "plan_item", "value": str(item_id), "message": _(
        "This worklist item is already completed (response #%(id)s); it cannot be filed again.") % {"id": response_id}}


def _survey_filed_error(response_id, row=None, other_answers=False):
    message = (_("A completed response with other answers is already filed for this customer, questionnaire, day "
                 "and channel (#%(id)s).") if other_answers else
               _("A completed response is already filed for this customer, questionnaire, day and channel "
                 "(#%(id)s)."))
    return {"row": row, "field": "", "value": "", "message": message % {"id": response_id}}


def _refuse_refiling(clean, item):
    """AlreadyFiled when the item has its completed response or the completed survey is filed. The item is locked
    first, so of concurrent filings of one item the later ones wait and then see the first one's response."""
    if item is not None:
        filing_once.lock_items([item.pk])
        done = filing_once.completing_responses([item.pk]).get(item.pk)
        if done:
            raise AlreadyFiled([_item_completed_error(item.pk, done)])
    if clean["outcome"] == Outcome.COMPLETED:
        filed = filing_once.filed_surveys([clean]).get(filing_once.survey_key(clean))
        if filed:
            raise AlreadyFiled([_survey_filed_error(filed[0])])


def file_csv(*, actor, raw, filename=""):
    """All-or-nothing CSV batch (call-centre export). Returns a FiledBatch; raises SurveyInvalid listing every
    error by row and field (row = line number in the file, the header being line 1).

    Uploading a file again files nothing again: a row whose completed survey is filed with the same answers, or
    whose unsuccessful attempt an earlier upload filed, counts in FiledBatch.already_filed. A completed survey
    filed with other answers, a completed worklist item, or a completed survey given twice in the file is an
    error of its line."""
    scope = scope_for(actor)
    _require_filing(scope)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SurveyInvalid([{"row": None, "field": "", "value": "", "message": _("The file is not UTF-8 text.")}])
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("questionnaire", "customer_code", "channel", "outcome") if c not in header]
    if missing:
        raise SurveyInvalid([{"row": 1, "field": c, "value": "", "message": _("Missing column.")} for c in missing])
    rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
    if not rows:
        raise SurveyInvalid([{"row": None, "field": "", "value": "", "message": _("The file has no rows.")}])
    ctx = Context.build(scope, [r.get("customer_code", "") for r in rows],
                        [r.get(k, "") for r in rows for k in ("interviewer", "service_person")])
    items = _callable_items(actor, [r.get("plan_item", "") for r in rows])
    cleans, row_items, errors = [], [], []
    for line, r in enumerate(rows, start=2):
        data = {k: r.get(k, "") for k in CSV_BASE_COLUMNS}
        answers, reasons = {}, {}
        for key, value in r.items():
            if key in CSV_BASE_COLUMNS or not value:
                continue
            if key.endswith("_reason"):
                reasons[key[:-7]] = value
            else:
                version = ctx.versions.get(r.get("questionnaire", ""))
                question = next((q for q in version.questions.all() if q.code == key), None) if version else None
                if question is not None and question.kind == Question.Kind.TEXT:
                    answers[key] = value
                else:
                    answers[key] = [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]
        data["answers"], data["reasons"] = answers, reasons
        clean, row_errors = check(data, ctx, row=line)
        item = items.get(r.get("plan_item", "")) if r.get("plan_item") else None
        if r.get("plan_item") and item is None:
            _err(row_errors, "plan_item", r["plan_item"], _("Unknown worklist item, or not one you may call."), line)
        if item is not None:
            for fld, value, message in filing_once.item_conflicts(item, clean):
                _err(row_errors, fld, value, message, line)
        cleans.append(clean if not row_errors else None)
        row_items.append(item)
        errors.extend(row_errors)
    errors.extend(_repeats_in_file(cleans, row_items))
    if errors:
        raise SurveyInvalid(sorted(errors, key=lambda e: e["row"]))
    try:
        with transaction.atomic():
            new, already = _rows_not_filed(cleans, row_items)
            responses = _write([cleans[i] for i in new], actor, "csv", plan_items=[row_items[i] for i in new])
            audit(actor, "survey.upload", object_type="surveys.surveyresponse", object_id=filename or "csv",
                  rows=len(responses), already_filed=already)
    except IntegrityError:  # a concurrent filing of the same surveys committed first
        raise SurveyInvalid([{"row": None, "field": "", "value": "", "message": _(
            "Another filing of the same surveys finished at the same moment; nothing from this file was filed. "
            "Upload it again: what is filed already will be counted, not filed twice.")}]) from None
    return FiledBatch(responses, already)


def _repeats_in_file(cleans, items):
    """Errors for a completed survey, or a worklist item completed, on two lines of one file (valid rows only)."""
    errors, surveys, completed_items = [], {}, {}
    for line, (clean, item) in enumerate(zip(cleans, items), start=2):
        if clean is None or clean["outcome"] != Outcome.COMPLETED:
            continue
        first = surveys.setdefault(filing_once.survey_key(clean), line)
        if first != line:
            _err(errors, "customer_code", clean["customer"].customer_code, _(
                "Line %(line)d already gives this customer's survey for the same questionnaire, day and channel.")
                % {"line": first}, line)
        if item is not None and completed_items.setdefault(item.pk, line) != line:
            _err(errors, "plan_item", item.pk, _("Line %(line)d already completes this worklist item.")
                 % {"line": completed_items[item.pk]}, line)
    return errors


def _rows_not_filed(cleans, items):
    """Inside the filing transaction (worklist items locked): the indexes of rows to file, and how many rows
    earlier filings filed already. Raises SurveyInvalid for rows that conflict with what is filed."""
    filing_once.lock_items([i.pk for i in items if i is not None])
    done = filing_once.completing_responses([i.pk for i in items if i is not None])
    filed = filing_once.filed_surveys(cleans)
    attempts = filing_once.uploaded_attempts(cleans)
    new, already, errors = [], 0, []
    for index, (clean, item) in enumerate(zip(cleans, items)):
        line, key = index + 2, filing_once.survey_key(clean)
        if clean["outcome"] == Outcome.COMPLETED and key in filed:
            response_id, answers = filed[key]
            if answers == filing_once.signature(clean):
                already += 1
            else:
                errors.append(_survey_filed_error(response_id, line, other_answers=True))
        elif clean["outcome"] != Outcome.COMPLETED and attempts[(key, clean["outcome"])] > 0:
            attempts[(key, clean["outcome"])] -= 1
            already += 1
        elif item is not None and item.pk in done:
            errors.append(_item_completed_error(item.pk, done[item.pk], line))
        else:
            new.append(index)
    if errors:
        raise SurveyInvalid(errors)
    return new, already


def _write(cleans, actor, source, plan_items=None, follow_up=True):
    """Bulk write responses and answers, update plan items, open and resolve follow-up tasks."""
    plan_items = plan_items or [None] * len(cleans)
    responses = [SurveyResponse(
        version=c["version"], customer=c["customer"], channel=c["channel"], outcome=c["outcome"],
        interviewer=c["interviewer"],
        service_person_id=(c["service_person"].pk if c.get("service_person") else c.get("service_person_id")),
        surveyed_on=c["surveyed_on"], handling_minutes=c.get("handling_minutes"),
        materials_complete=c.get("materials_complete"), review_minutes=c.get("review_minutes"),
        plan_item=item, source=source, filed_by=actor if getattr(actor, "is_authenticated", False) else None,
    ) for c, item in zip(cleans, plan_items)]
    SurveyResponse.objects.bulk_create(responses)
    if any(r.pk is None for r in responses):  # backends without RETURNING ids
        raise RuntimeError("bulk_create did not return ids")
    Answer.objects.bulk_create([Answer(response=r, question=q, option=o, text=t)
                                for r, c in zip(responses, cleans) for q, o, t in c["answers"]])
    _record_attempts(responses)
    tasks = _follow_up(responses, cleans) if follow_up else []
    _contacts_made(responses, actor)
    touch_books(customer_ids={r.customer_id for r in responses}, staff_ids={t.owner_id for t in tasks})
    return responses


def _contacts_made(responses, actor):
    """A completed survey is a contact with the customer: it clears the work like any other (the contact plan,
    the contact-due reminder, open warnings; customers.services.contacts_made). Its time is now when surveyed
    today, else noon of the survey day."""
    from datetime import datetime, time

    today, now = timezone.localdate(), timezone.now()
    contacts = {}
    for r in sorted((r for r in responses if r.outcome == Outcome.COMPLETED), key=lambda r: r.surveyed_on):
        at = now if r.surveyed_on >= today else timezone.make_aware(datetime.combine(r.surveyed_on, time(12)))
        contacts[r.customer_id] = (at, None)  # the latest survey of a customer in the batch
    contacts_made(contacts=contacts, actor=actor)


def _record_attempts(responses):
    """Plan items of the month: the latest outcome and the number of attempts (set-based)."""
    from django.db.models import F

    by_item = {}
    for r in responses:
        if r.plan_item_id:
            by_item[r.plan_item_id] = r.outcome
    for outcome in set(by_item.values()):
        ids = [i for i, o in by_item.items() if o == outcome]
        PlanItem.objects.filter(pk__in=ids).update(outcome=outcome, attempts=F("attempts") + 1)


# --- follow-up loop ---------------------------------------------------------------------------------------

def add_working_days(start, days, holidays=()):
    """The date `days` working days after `start` (weekends and the policy's holidays skipped)."""
    holidays = {date.fromisoformat(h) if isinstance(h, str) else h for h in holidays}
    day = start
    left = int(days)
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            left -= 1
    return day


def _compliance_owner():
    return Staff.objects.filter(role=Role.COMPLIANCE, is_active=True).order_by("staff_code").first()


def _follow_up(responses, cleans):
    """Open a task for every flagged answer; resolve re-surveys of open dissatisfaction tasks."""
    completed = [(r, c) for r, c in zip(responses, cleans) if r.outcome == Outcome.COMPLETED]
    if not completed:
        return []
    policy = selectors.policy_params()["follow_up"]
    customer_ids = {r.customer_id for r, _c in completed}
    open_dissatisfied = {}
    for task in FollowUpTask.objects.filter(customer_id__in=customer_ids, kind=Option.FollowUp.DISSATISFIED,
                                            status__in=[FollowUpTask.State.OPEN, FollowUpTask.State.RESURVEY]
                                            ).select_related("question__version__questionnaire"):
        key = (task.customer_id, task.question.version.questionnaire_id, task.question.code)
        open_dissatisfied.setdefault(key, []).append(task)
    compliance_owner = None
    new_tasks = []
    now = timezone.now()
    for response, clean in completed:
        version = clean["version"]
        customer = clean["customer"]
        for question, option, text in clean["answers"]:
            key = (customer.pk, version.questionnaire_id, question.code)
            if option is None:
                continue
            pending = open_dissatisfied.pop(key, [])
            for task in pending:  # a re-survey of the same question
                task.resurvey = response
                if option.follow_up == Option.FollowUp.DISSATISFIED:
                    if task.status == FollowUpTask.State.RESURVEY:  # closed with a note, still not satisfied
                        task.due_on = add_working_days(response.surveyed_on,
                                                       policy["due_working_days"]["dissatisfied"],
                                                       policy.get("holidays", ()))
                    task.status = FollowUpTask.State.OPEN  # an open task keeps its due date (and escalation)
                    task.note = (task.note + "\n" if task.note else "") + _("Re-survey still not satisfied.")
                else:
                    task.status = FollowUpTask.State.CLOSED
                    task.closed_at = now
                    task.note = (task.note + "\n" if task.note else "") + _("Re-survey satisfied.")
                task.save(update_fields=["resurvey", "status", "due_on", "note", "closed_at"])
            if not option.follow_up or (pending and option.follow_up == Option.FollowUp.DISSATISFIED):
                continue
            kind = option.follow_up
            if kind == Option.FollowUp.COMPLIANCE:
                compliance_owner = compliance_owner or _compliance_owner()
                owner = compliance_owner
            elif option.follow_up_category == "stock_advice" and customer.investment_advisor_id:
                owner = customer.investment_advisor
            else:
                owner = customer.advisor
            new_tasks.append(FollowUpTask(
                response=response, customer=customer, question=question, option=option, kind=kind,
                category=option.follow_up_category or FollowUpTask.Category.OTHER,
                priority=int(policy["priority"][kind]), owner=owner, detail=text,
                opened_on=response.surveyed_on,
                due_on=add_working_days(response.surveyed_on, policy["due_working_days"][kind],
                                        policy.get("holidays", ())),
            ))
    FollowUpTask.objects.bulk_create(new_tasks)
    return new_tasks


def _task_in_scope(actor, task_id):
    try:
        return selectors.tasks_for(actor).select_for_update(of=("self",)).get(pk=task_id)
    except FollowUpTask.DoesNotExist:
        raise PermissionDenied from None


@transaction.atomic
def close_task(*, actor, task_id, note):
    """The owner (or a manager) closes with a note. Dissatisfaction waits for a re-survey."""
    task = _task_in_scope(actor, task_id)
    scope = scope_for(actor)
    if not note or not note.strip():
        raise SurveyInvalid([{"row": None, "field": "note", "value": "", "message": _("A note is required.")}])
    _refuse_long("note", note.strip(), NOTE_MAX_LENGTH)
    if not task.is_open:
        raise SurveyInvalid([{"row": None, "field": "", "value": "", "message": _("The task is already closed.")}])
    owner = bool(task.owner_id and scope.staff and task.owner_id == scope.staff.pk)
    if not scope.may(Write.CLOSE_SURVEY_TASK) or not (selectors.is_manager(scope) or owner):
        raise PermissionDenied(_("Only the task's owner or a manager closes it."))
    before = task.status
    task.note = (task.note + "\n" if task.note else "") + note.strip()
    if task.kind == Option.FollowUp.DISSATISFIED:
        task.status = FollowUpTask.State.RESURVEY
    else:
        task.status = FollowUpTask.State.CLOSED
        task.closed_at = timezone.now()
        task.closed_by = actor
    task.save(update_fields=["note", "status", "closed_at", "closed_by"])
    audit(actor, "survey.task.close", task, before=before, after=task.status)
    touch_books(customer_ids=[task.customer_id], staff_ids=[task.owner_id])
    return task


@transaction.atomic
def manager_close_task(*, actor, task_id, reason):
    scope = scope_for(actor)
    if not scope.may(Write.MANAGER_CLOSE_SURVEY_TASK):
        raise PermissionDenied(_("Only a manager closes a task with a reason."))
    task = _task_in_scope(actor, task_id)
    if not reason or not reason.strip():
        raise SurveyInvalid([{"row": None, "field": "reason", "value": "", "message": _("A reason is required.")}])
    _refuse_long("reason", reason.strip(), TITLE_MAX_LENGTH)
    if not task.is_open:
        raise SurveyInvalid([{"row": None, "field": "", "value": "", "message": _("The task is already closed.")}])
    before = task.status
    task.status = FollowUpTask.State.CLOSED_BY_MANAGER
    task.close_reason = reason.strip()
    task.closed_at = timezone.now()
    task.closed_by = actor
    task.save(update_fields=["status", "close_reason", "closed_at", "closed_by"])
    audit(actor, "survey.task.manager_close", task, before=before, reason=task.close_reason)
    touch_books(customer_ids=[task.customer_id], staff_ids=[task.owner_id])
    return task


def escalate_overdue(today=None):
    """Open tasks past their due date go to their customer's office manager (set-based; once per task)."""
    today = today or timezone.localdate()
    overdue = FollowUpTask.objects.filter(status__in=[FollowUpTask.State.OPEN, FollowUpTask.State.RESURVEY],
                                          due_on__lt=today, escalated_at__isnull=True)
    managers = {}
    for office_id, staff_id in (Staff.objects.filter(role=Role.OFFICE_MANAGER, is_active=True)
                                .order_by("-staff_code").values_list("office_id", "pk")):
        managers[office_id] = staff_id  # the lowest staff code wins
    rows = list(overdue.values_list("pk", "customer__office_id"))
    now = timezone.now()
    escalated = 0
    with transaction.atomic():
        by_office = {}
        for pk, office_id in rows:
            by_office.setdefault(office_id, []).append(pk)
        for office_id, ids in by_office.items():
            escalated += FollowUpTask.objects.filter(pk__in=ids, escalated_at__isnull=True).update(
                escalated_to_id=managers.get(office_id), escalated_at=now)
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=None, action="survey.task.escalate", object_type="surveys.followuptask",
                       object_id=str(pk), detail={"to": managers.get(office_id), "day": today.isoformat()})
            for pk, office_id in rows])
    return escalated


# --- sampling plans ---------------------------------------------------------------------------------------

def _plan_in_scope(actor, plan_id, lock=True):
    scope = scope_for(actor)
    if not selectors.can_plan(scope):
        raise PermissionDenied
    qs = selectors.plans_for(actor)
    try:
        return (qs.select_for_update(of=("self",)) if lock else qs).get(pk=plan_id)
    except SamplingPlan.DoesNotExist:
        raise PermissionDenied from None


def _item_number(item_id):
    """A plan item's id as posted; anything but a number is refused (the form posts the id)."""
    if not str(item_id or "").strip().isdigit():
        raise SurveyInvalid([{"row": None, "field": "item", "value": str(item_id or ""),
                              "message": _("Unknown worklist item, or not one you may call.")}])
    return int(item_id)


def _draft(plan):
    if plan.status != SamplingPlan.State.DRAFT:
        raise SurveyInvalid([{"row": None, "field": "", "value": "",
                              "message": _("The plan is released; it can no longer be edited.")}])


@transaction.atomic
def remove_plan_item(*, actor, plan_id, item_id):
    plan = _plan_in_scope(actor, plan_id)
    _draft(plan)
    deleted, _n = selectors.plan_items(plan, actor).filter(pk=_item_number(item_id)).delete()
    audit(actor, "survey.plan.remove", plan, item=item_id)
    return deleted


@transaction.atomic
def add_plan_item(*, actor, plan_id, customer_code, questionnaire_code):
    plan = _plan_in_scope(actor, plan_id)
    _draft(plan)
    errors = []
    customer = scope_for(actor).customers().filter(customer_code=customer_code.strip(), office=plan.office).first()
    if customer is None:
        _err(errors, "customer_code", customer_code, _("Unknown customer, or not in this plan's office."))
    questionnaire = Questionnaire.objects.filter(code=questionnaire_code).first()
    if questionnaire is None:
        _err(errors, "questionnaire", questionnaire_code, _("Unknown questionnaire."))
    if customer and plan.items.filter(customer=customer).exists():
        _err(errors, "customer_code", customer_code, _("Already in the plan."))
    if errors:
        raise SurveyInvalid(errors)
    tier = getattr(customer, "tier", None) if hasattr(customer, "tier") else None
    item = PlanItem.objects.create(plan=plan, customer=customer, questionnaire=questionnaire,
                                   reason=PlanItem.Reason.MANUAL, sampled_for=customer.advisor,
                                   star=getattr(tier, "star", ""), stage=getattr(tier, "lifecycle_stage", ""))
    audit(actor, "survey.plan.add", plan, customer=customer.customer_code)
    return item


@transaction.atomic
def change_item_questionnaire(*, actor, plan_id, item_id, questionnaire_code):
    plan = _plan_in_scope(actor, plan_id)
    _draft(plan)
    questionnaire = Questionnaire.objects.filter(code=questionnaire_code).first()
    if questionnaire is None:
        raise SurveyInvalid([{"row": None, "field": "questionnaire", "value": questionnaire_code,
                              "message": _("Unknown questionnaire.")}])
    n = selectors.plan_items(plan, actor).filter(pk=_item_number(item_id)).update(questionnaire=questionnaire)
    audit(actor, "survey.plan.questionnaire", plan, item=item_id, questionnaire=questionnaire_code)
    return n


@transaction.atomic
def release_plan(*, actor, plan_id):
    plan = _plan_in_scope(actor, plan_id)
    _draft(plan)
    plan.status = SamplingPlan.State.RELEASED
    plan.released_by = actor
    plan.released_at = timezone.now()
    plan.save(update_fields=["status", "released_by", "released_at"])
    audit(actor, "survey.plan.release", plan, items=plan.items.count())
    return plan


def release_month(*, month):
    """Release every draft plan of `month` (any day in it) as the system (the demo, `generate_survey_plan
    --release`): what operations do one plan at a time on its page, audited per plan. Returns the plans."""
    first = selectors.month_of(month)
    with transaction.atomic():
        plans = list(SamplingPlan.objects.select_for_update().filter(month=first, status=SamplingPlan.State.DRAFT)
                     .order_by("office_id"))
        now = timezone.now()
        SamplingPlan.objects.filter(pk__in=[p.pk for p in plans]).update(
            status=SamplingPlan.State.RELEASED, released_at=now, released_by=None)
        counts = dict(PlanItem.objects.filter(plan__in=plans).order_by().values_list("plan").annotate(n=Count("id")))
        audit_many(None, [("survey.plan.release", "surveys.samplingplan", p.pk,
                           {"items": counts.get(p.pk, 0), "by": "system"}) for p in plans])
    return plans


def record_attempt(*, actor, item_id, outcome):
    """An unsuccessful attempt from the worklist (hung up, no answer, refused): a response without answers."""
    item = selectors.callable_items(actor).select_related("customer", "questionnaire").filter(pk=item_id).first()
    if item is None:  # out of scope (or gone): refused before anything else is looked at
        raise PermissionDenied
    if outcome not in (Outcome.HUNG_UP, Outcome.NO_ANSWER, Outcome.REFUSED):
        raise SurveyInvalid([{"row": None, "field": "outcome", "value": outcome, "message": _("Unknown outcome.")}])
    data = {"questionnaire": item.questionnaire.code, "customer_code": item.customer.customer_code,
            "channel": Channel.PHONE, "outcome": outcome}
    return file_response(actor=actor, data=data, source="worklist", plan_item=item)


UNDO_SECONDS = 120  # how long a one-key outcome of the worklist can be taken back (a screen habit, not policy)
FAILED_OUTCOMES = (Outcome.HUNG_UP, Outcome.NO_ANSWER, Outcome.REFUSED)
WORKLIST_PLAN = "surveys.samplingplan"  # the object of the worklist's phone reveal: one audit event per plan


def undo_attempt(*, actor, response_id, now=None):
    """Take back an unsuccessful attempt the actor recorded from the worklist a moment ago (one key too many):
    the response goes, its item gets back the outcome and the count of attempts it had before, and the undo is
    audited (the filing's own audit event stays). Refused (SurveyInvalid) once UNDO_SECONDS have passed, when a
    later attempt was recorded on the item, or for anything but the actor's own worklist attempt; a response
    out of the actor's scope is a PermissionDenied."""
    scope = scope_for(actor)
    _require_filing(scope)
    refused = SurveyInvalid([{"row": None, "field": "response", "value": str(response_id),
                              "message": _("This attempt can no longer be undone.")}])
    if not str(response_id).isdigit():
        raise refused
    now = now or timezone.now()
    with transaction.atomic():
        response = (scope.filter(SurveyResponse.objects.filter(pk=int(response_id)), "customer__")
                    .select_for_update().first())
        if response is None:  # out of scope (or gone): refused as record_attempt refuses it
            raise PermissionDenied
        if (response.filed_by_id != actor.pk or response.source != "worklist"
                or response.outcome not in FAILED_OUTCOMES or response.plan_item_id is None):
            raise refused
        filing_once.lock_items([response.plan_item_id])
        earlier = list(SurveyResponse.objects.filter(plan_item_id=response.plan_item_id).exclude(pk=response.pk)
                       .order_by("-filed_at", "-pk").values_list("pk", "outcome"))
        if (now - response.filed_at).total_seconds() > UNDO_SECONDS or any(pk > response.pk for pk, _o in earlier):
            raise refused
        item = PlanItem.objects.get(pk=response.plan_item_id)
        item.outcome = earlier[0][1] if earlier else ""
        item.attempts = max(item.attempts - 1, 0)
        item.save(update_fields=["outcome", "attempts"])
        audit(actor, "survey.attempt.undo", item, response=response.pk, outcome=response.outcome,
              customer=response.customer_id, restored=item.outcome)
        response.delete()
    touch_books(customer_ids={response.customer_id}, staff_ids=set())
    return item


def reveal_worklist_phones(*, actor, month):
    """Operations and managers call from the worklist, so it shows the sampled customers' phones: the reveal is
    audited once per released plan and person, one "pii.view" event listing the plan's customer codes the person
    may call — not at every call. Returns whether the phones are shown (no: advisors, compliance, no month)."""
    scope = scope_for(actor)
    if month is None or not selectors.sees_worklist_phones(scope):
        return False
    plans = dict(selectors.plans_for(actor).filter(month=month, status=SamplingPlan.State.RELEASED)
                 .values_list("pk", "released_at"))
    seen = set(AuditEvent.objects.filter(actor=actor, action="pii.view", object_type=WORKLIST_PLAN,
                                         object_id__in=[str(pk) for pk in plans]).values_list("object_id", flat=True))
    new = [pk for pk in plans if str(pk) not in seen]
    if new:
        codes = {}
        for plan_id, code in (selectors.callable_items(actor).filter(plan_id__in=new)
                              .order_by("plan_id", "customer__customer_code")
                              .values_list("plan_id", "customer__customer_code")):
            codes.setdefault(plan_id, []).append(code)
        audit_many(actor, [("pii.view", WORKLIST_PLAN, pk, {
            "field": "phone", "source": "worklist", "month": f"{month:%Y-%m}",
            "released_at": plans[pk].isoformat() if plans[pk] else None, "customers": codes.get(pk, [])})
            for pk in new])
    return True


def generate_plans(*, month, actor=None, seed=None, office_ids=None):
    """Generate (or regenerate, while draft) the month's plans; see batch.generate_plans."""
    from .batch import generate_plans as run

    return run(month=month, actor=actor, seed=seed, office_ids=office_ids)


def seed_campaign(*, customers, campaign, interviewer=None):
    """The study's 2020 S2020 campaign (surveys/data/s2020_campaign.json): one completed phone response per
    customer, answers dealt out in option order so the counts equal table 3-1. Replaces an earlier seed.
    Historical: no follow-up tasks are opened (they would all be years overdue)."""
    n = int(campaign["respondents"])
    if len(customers) < n:
        raise ValueError(f"{n} customers needed, {len(customers)} given")
    customers = list(customers)[:n]
    per_question = {}
    for question, counts in campaign["counts"].items():
        codes = [code for code, k in counts.items() for _i in range(int(k))]
        if len(codes) != n:
            raise ValueError(f"{question}: {len(codes)} answers for {n} respondents")
        per_question[question] = codes
    scope = _SeedScope(customers)
    ctx = Context(scope=scope, versions=selectors.active_versions(),
                  customers={c.customer_code: c for c in customers})
    cleans, errors = [], []
    for i, customer in enumerate(customers):
        data = {"questionnaire": "S2020", "customer_code": customer.customer_code, "channel": Channel.PHONE,
                "outcome": Outcome.COMPLETED, "date": campaign["date"],
                "answers": {q: codes[i] for q, codes in per_question.items()}}
        clean, row_errors = check(data, ctx, row=i + 1)
        clean["interviewer"] = interviewer
        cleans.append(clean)
        errors.extend(row_errors)
    if errors:
        raise SurveyInvalid(errors)
    with transaction.atomic():
        SurveyResponse.objects.filter(source="seed").delete()
        return _write(cleans, None, "seed", follow_up=False)


@dataclass(frozen=True)
class _SeedScope:
    customers_list: list
    staff = None


# --- versioned data: questionnaires and the survey policy --------------------------------------------------

def _require_manager(actor):
    if not scope_for(actor).may(Write.EDIT_SURVEY_POLICY):
        raise PermissionDenied(_("Only managers change questionnaires and the survey policy."))


def check_questionnaire(data):
    """Errors of a questionnaire definition (the surveys/data/*.json shape)."""
    errors = []
    questions = data.get("questions") or []
    if not questions:
        _err(errors, "questions", "", _("A questionnaire needs questions."))
    for i, q in enumerate(questions, 1):
        if q.get("code") != f"Q{i}":
            _err(errors, f"questions[{i}]", q.get("code"), _("Questions are coded Q1, Q2, … in order."))
        if q.get("kind") not in Question.Kind.values:
            _err(errors, f"Q{i}", q.get("kind"), _("Kind is single, multiple or text."))
        if not q.get("zh") or not q.get("en"):
            _err(errors, f"Q{i}", "", _("Chinese and English text are both required."))
        for language in ("zh", "en"):
            _too_long(errors, f"Q{i}.{language}", str(q.get(language) or ""), QUESTION_MAX_LENGTH)
        options = q.get("options") or []
        if q.get("kind") in ("single", "multiple") and len(options) < 2:
            _err(errors, f"Q{i}", "", _("A choice question needs at least two options."))
        if q.get("kind") == "text" and options:
            _err(errors, f"Q{i}", "", _("A free-text question has no options."))
        for j, o in enumerate(options):
            if o.get("code") != chr(65 + j):
                _err(errors, f"Q{i}", o.get("code"), _("Options are lettered A, B, C, … in order."))
            for language in ("zh", "en"):
                _too_long(errors, f"Q{i}{o.get('code')}.{language}", str(o.get(language) or ""), TITLE_MAX_LENGTH)
            flag = o.get("follow_up")
            if flag and (flag[0] not in Option.FollowUp.values or flag[1] not in FollowUpTask.Category.values):
                _err(errors, f"Q{i}{o.get('code')}", flag, _("Unknown follow-up kind or category."))
            if o.get("score") is not None and not 0 <= float(o["score"]) <= 100:
                _err(errors, f"Q{i}{o.get('code')}", o["score"], _("Scores are between 0 and 100."))
    return errors


@transaction.atomic
def new_questionnaire_version(*, actor, code, data, note=""):
    """Editing a questionnaire creates a new active version; responses keep the version they were filed on."""
    from django.apps import apps

    from .loading import create_version
    from .models import QuestionnaireVersion

    _require_manager(actor)
    errors = check_questionnaire(data)
    _too_long(errors, "note", note, TITLE_MAX_LENGTH)
    if errors:
        raise SurveyInvalid(errors)
    questionnaire = Questionnaire.objects.select_for_update().get(code=code)
    latest = QuestionnaireVersion.objects.filter(questionnaire=questionnaire).order_by("-version").first()
    version = create_version(apps, {**data, "code": code, "name_zh": questionnaire.name_zh,
                                    "name_en": questionnaire.name_en},
                             version=(latest.version if latest else 0) + 1, note=note)
    audit(actor, "survey.questionnaire.version", version, code=code, version=version.version)
    return version


def check_policy(params):
    errors = []
    sampling, follow_up = params.get("sampling", {}), params.get("follow_up", {})
    for key in ("per_investment_advisor", "per_wealth_advisor", "no_repeat_months", "trace_window_days"):
        value = sampling.get(key)
        if not isinstance(value, int) or value < 0:
            _err(errors, f"sampling.{key}", value, _("A whole number, 0 or more."))
    share = sampling.get("min_untraced_share")
    if not isinstance(share, (int, float)) or not 0 <= share <= 1:
        _err(errors, "sampling.min_untraced_share", share, _("A share between 0 and 1."))
    codes = set(Questionnaire.objects.values_list("code", flat=True))
    stage_map = sampling.get("questionnaire_by_stage", {})
    used = list(stage_map.values()) + [sampling.get("closing_questionnaire"), sampling.get("warned_questionnaire")]
    for code in used:
        if code not in codes:
            _err(errors, "sampling.questionnaire", code, _("Unknown questionnaire."))
    for kind in Option.FollowUp.values:
        days = follow_up.get("due_working_days", {}).get(kind)
        if not isinstance(days, int) or days < 0:
            _err(errors, f"follow_up.due_working_days.{kind}", days, _("A whole number, 0 or more."))
        if not isinstance(follow_up.get("priority", {}).get(kind), int):
            _err(errors, f"follow_up.priority.{kind}", "", _("A whole number."))
    for day in follow_up.get("holidays", []):
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            _err(errors, "follow_up.holidays", day, _("Not a date (YYYY-MM-DD)."))
    return errors


@transaction.atomic
def new_policy_version(*, actor, params, note=""):
    """A new active survey policy version (the previous one retires)."""
    from .models import SurveyPolicy

    _require_manager(actor)
    errors = check_policy(params)
    _too_long(errors, "note", note, TITLE_MAX_LENGTH)
    if errors:
        raise SurveyInvalid(errors)
    latest = SurveyPolicy.objects.select_for_update().order_by("-version").first()
    SurveyPolicy.objects.filter(status="active").update(status="retired")
    policy = SurveyPolicy.objects.create(version=(latest.version if latest else 0) + 1, status="active",
                                         params=params, note=note, created_by=actor)
    audit(actor, "survey.policy.version", policy, version=policy.version)
    return policy
