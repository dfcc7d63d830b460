"""Reads for surveys: questionnaires, scoped responses and tasks, report tables, frames for batch work."""
import json
from datetime import date
from importlib import import_module

import numpy as np
import pandas as pd
from django.db.models import Count, F, Prefetch, prefetch_related_objects

from crm.bulk import read_frame
from crm.compiled import CompiledRead
from crm.dates import add_months
from customers.models import Role
from customers.rights import Write
from customers.scope import scope_for

from .models import (Answer, FollowUpTask, Option, Outcome, PlanItem, Question, Questionnaire,
                     QuestionnaireVersion, SamplingPlan, SurveyPolicy, SurveyResponse)



def can_file(scope):
    return scope.may(Write.FILE_SURVEY)


def can_plan(scope):
    return scope.may(Write.PLAN_SURVEYS)


def is_manager(scope):
    return scope.everything or scope.role in (Role.OFFICE_MANAGER, Role.BRANCH_MANAGER)


# --- policy and questionnaires -------------------------------------------------------------------

def active_policy():
    return SurveyPolicy.objects.get(status="active")


def policy_params():
    return active_policy().params


def questionnaires():
    return Questionnaire.objects.order_by("id")


def active_version(code):
    """The active version of questionnaire `code` with questions and options prefetched (3 queries)."""
    return (QuestionnaireVersion.objects.select_related("questionnaire")
            .prefetch_related(Prefetch("questions", Question.objects.order_by("position")
                                       .prefetch_related(Prefetch("options", Option.objects.order_by("position")))))
            .get(questionnaire__code=code, status="active"))


def active_versions():
    """Every active version with questions and options (3 queries), keyed by questionnaire code."""
    versions = (QuestionnaireVersion.objects.filter(status="active").select_related("questionnaire")
                .prefetch_related(Prefetch("questions", Question.objects.order_by("position")
                                           .prefetch_related(Prefetch("options", Option.objects.order_by("position"))))))
    return {v.questionnaire.code: v for v in versions}


# --- scoped lists ----------------------------------------------------------------------------------

def responses_for(user):
    scope = scope_for(user)
    qs = SurveyResponse.objects.select_related(
        "version__questionnaire", "customer__office", "interviewer", "service_person")
    return scope.filter(qs, "customer__")


def response_detail(user, pk):
    return (responses_for(user).prefetch_related(
        Prefetch("answers", Answer.objects.select_related("question", "option"))).get(pk=pk))


def tasks_for(user):
    scope = scope_for(user)
    qs = FollowUpTask.objects.select_related("customer", "owner", "escalated_to", "question", "option",
                                             "response__version__questionnaire")
    if scope.role == Role.COMPLIANCE and not scope.everything:
        return qs  # compliance is branch-wide
    return scope.filter(qs, "customer__")


def plans_for(user):
    scope = scope_for(user)
    return SamplingPlan.objects.filter(office__in=scope.offices_visible()).select_related("office", "released_by")


def plan_items(plan, user):
    scope = scope_for(user)
    qs = plan.items.select_related("customer", "questionnaire", "sampled_for")
    return scope.filter(qs, "customer__").order_by("reason", "sampled_for__staff_code", "customer__customer_code")


def callable_items(user):
    """Items of released plans (any month) whose customers the user may call: what an attempt or a filing
    from the worklist may refer to."""
    scope = scope_for(user)
    return scope.filter(PlanItem.objects.filter(plan__status=SamplingPlan.State.RELEASED), "customer__")


def worklist_months(user):
    """The months with a released plan the user may work on, newest first."""
    months = callable_items(user).order_by().values_list("plan__month", flat=True).distinct()
    return sorted(months, reverse=True)


def worklist_month(months, asked=None):
    """The month the worklist shows: the one asked for when it has a released plan, else the latest released
    (this month's once it is released); None without any. `months`: worklist_months()."""
    return asked if asked in months else (months[0] if months else None)


def worklist(user, month):
    """The month's callback sample: the items of its released plans the user may call (month: its first day;
    None: nothing). In customer order, which an attempt does not change: a row stays where the caller left it."""
    items = callable_items(user).filter(plan__month=month).select_related(
        "customer", "questionnaire", "sampled_for", "plan__office")
    return items.order_by("customer__customer_code", "pk")


def sees_worklist_phones(scope):
    """Operations and managers call from the worklist and see its phones (audited per plan: services.
    reveal_worklist_phones); advisors and compliance see them masked, on the customer page, as everywhere."""
    return scope.everything or scope.role in (Role.OPERATIONS, Role.OFFICE_MANAGER, Role.BRANCH_MANAGER)


def undoable_attempt(user, response_id, seconds, now):
    """The user's own unsuccessful worklist attempt `response_id` if it may still be undone (filed less than
    `seconds` ago), with its item and customer; else None."""
    from datetime import timedelta

    if not str(response_id or "").isdigit():
        return None
    return (responses_for(user).select_related("plan_item")
            .filter(pk=int(response_id), filed_by=user, source="worklist", plan_item__isnull=False,
                    outcome__in=(Outcome.HUNG_UP, Outcome.NO_ANSWER, Outcome.REFUSED),
                    filed_at__gte=now - timedelta(seconds=seconds)).first())


# --- reports ---------------------------------------------------------------------------------------

def option_table(responses, code):
    """Per question, per option: count and percent of the completed responses (table 3-1 layout).

    `responses` is an already scoped and filtered SurveyResponse queryset. Options and labels come from
    the active version; answers of older versions are counted under the same question and option codes.
    The percent's denominator is the number of completed responses that answered the question.
    Constant: 5 queries.
    """
    version = active_version(code)
    completed = responses.filter(version__questionnaire__code=code, outcome=Outcome.COMPLETED)
    counts = (Answer.objects.filter(response__in=completed.values("pk"), option__isnull=False)
              .values("question__code", "option__code").annotate(n=Count("id")))
    per_option = {(r["question__code"], r["option__code"]): r["n"] for r in counts}
    answered = (Answer.objects.filter(response__in=completed.values("pk"))
                .values("question__code").annotate(n=Count("response_id", distinct=True)))
    per_question = {r["question__code"]: r["n"] for r in answered}
    table = []
    for question in version.questions.all():
        base = per_question.get(question.code, 0)
        rows = []
        for option in question.options.all():
            n = per_option.get((question.code, option.code), 0)
            rows.append({"code": option.code, "label": option.text, "label_zh": option.text_zh,
                         "label_en": option.text_en, "count": n,
                         "percent": round(100.0 * n / base, 2) if base else None})
        table.append({"code": question.code, "text": question.text, "kind": question.kind, "answered": base,
                      "options": rows})
    return version, table


def response_rate(responses, code=None):
    """Completed / attempted; hang-ups, no answers and refusals are attempts (study 3.3.4)."""
    qs = responses.filter(version__questionnaire__code=code) if code else responses
    by = {r["outcome"]: r["n"] for r in qs.values("outcome").annotate(n=Count("id"))}
    attempted = sum(by.values())
    completed = by.get(Outcome.COMPLETED, 0)
    return {"attempted": attempted, "completed": completed, "by_outcome": {o: by.get(o, 0) for o in Outcome.values},
            "rate": round(100.0 * completed / attempted, 2) if attempted else None}


def satisfaction_frame(responses):
    """Mean option score per response with month, office and evaluated person (one query)."""
    rows = (Answer.objects.filter(response__in=responses.filter(outcome=Outcome.COMPLETED).values("pk"),
                                  option__score__isnull=False)
            .values_list("response_id", "response__surveyed_on", "response__customer__office__code",
                         "response__service_person__staff_code", "response__service_person__name", "option__score"))
    frame = pd.DataFrame(list(rows), columns=["response", "date", "office", "person", "person_name", "score"])
    if frame.empty:
        return frame
    frame["month"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m")
    return frame


def satisfaction_index(responses, by):
    """Satisfaction index (mean option score, 0-100) by `by` ("office" or "person") and month."""
    frame = satisfaction_frame(responses)
    if frame.empty:
        return [], []
    frame[by] = frame[by].fillna("—")
    pivot = frame.pivot_table(index=by, columns="month", values="score", aggfunc="mean").round(1)
    months = [str(m) for m in pivot.columns]
    rows = [(str(idx), [None if pd.isna(v) else float(v) for v in pivot.loc[idx].tolist()]) for idx in pivot.index]
    return months, rows


def sla_figures(tasks, today=None):
    """Open and overdue by category and owner; median days to close; share closed on time."""
    today = today or date.today()
    rows = list(tasks.values_list("category", "owner__staff_code", "status", "opened_on", "due_on", "closed_at"))
    frame = pd.DataFrame(rows, columns=["category", "owner", "status", "opened_on", "due_on", "closed_at"])
    if frame.empty:
        return {"by_category": [], "by_owner": [], "median_days_to_close": None, "on_time_percent": None,
                "open": 0, "overdue": 0}
    frame["owner"] = frame["owner"].fillna("—")
    is_open = frame["status"].isin([FollowUpTask.State.OPEN, FollowUpTask.State.RESURVEY])
    frame["open"] = is_open
    frame["overdue"] = is_open & (pd.to_datetime(frame["due_on"]) < pd.Timestamp(today))
    closed = frame[~is_open & frame["closed_at"].notna()].copy()
    median = on_time = None
    if len(closed):
        closed_day = pd.to_datetime(closed["closed_at"], utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        closed_day = closed_day.dt.normalize()
        days = (closed_day - pd.to_datetime(closed["opened_on"])).dt.days
        median = float(np.median(days))
        on_time = round(100.0 * float((closed_day <= pd.to_datetime(closed["due_on"])).mean()), 2)

    def group(col):
        g = frame.groupby(col).agg(open=("open", "sum"), overdue=("overdue", "sum"), total=("status", "size"))
        return [(str(k), int(r.open), int(r.overdue), int(r.total)) for k, r in g.iterrows()]

    return {"by_category": group("category"), "by_owner": group("owner"), "median_days_to_close": median,
            "on_time_percent": on_time, "open": int(frame["open"].sum()), "overdue": int(frame["overdue"].sum())}


# --- customer panel ----------------------------------------------------------------------------------

LATEST_SHOWN = 5
_latest_responses = CompiledRead(
    lambda customer_id: SurveyResponse.objects.filter(customer_id=customer_id).order_by("-surveyed_on", "-id").values(
        "id", "customer_id", "version_id", "surveyed_on", "channel", "outcome",
        questionnaire_code=F("version__questionnaire__code"))[:LATEST_SHOWN])


def latest_answers(customer):
    """The customer's LATEST_SHOWN latest responses (with `questionnaire_code`) and their answers, and the open
    follow-up count (3 queries; 1 compiled one if none: most customers have never been surveyed, and the
    customer page asks for every one of them).

    Returns (responses, open task count, profile) where profile is {key: value} from the newest response
    carrying each key (the same rule as profile_frame, over these responses)."""
    responses = _latest_responses.instances(SurveyResponse, customer_id=customer.pk)
    if not responses:
        return [], 0, {}
    prefetch_related_objects(responses, Prefetch("answers", Answer.objects.select_related("question", "option")))
    open_tasks = FollowUpTask.objects.filter(customer=customer, status__in=["open", "resurvey"]).count()
    profile = {}
    for response in responses:  # newest first
        found = {}
        for answer in response.answers.all():
            for key, value in ((answer.option.profile or {}).items() if answer.option_id else ()):
                found.setdefault(key, []).append(float(value))
        for key, values in found.items():
            profile.setdefault(key, sum(values) / len(values))
    return responses, open_tasks, profile


def customer_profile(customer):
    """The survey-derived profile of one customer as {key: value} (keys without answers left out; 1 query)."""
    row = profile_frame([customer.pk]).iloc[0]
    return {k: float(v) for k, v in row.items() if not pd.isna(v)}


# --- frames for batch work -----------------------------------------------------------------------------

def warned_customer_ids():
    """Customers with an open churn warning, from the alerts app when it offers the selector (else none)."""
    try:
        func = getattr(import_module("alerts.selectors"), "open_warning_customer_ids")
    except (ImportError, AttributeError):
        return set()
    try:
        result = func()
        if isinstance(result, pd.Series):  # a bool Series by customer_id
            return {int(i) for i in result.index[result.astype(bool).to_numpy()]}
        return {int(i) for i in result}
    except Exception:  # noqa: BLE001 - a half-built alerts app must not stop the survey plan
        return set()


PROFILE_KEYS = ("satisfaction", "loyalty", "expected_return", "planned_amount", "experience", "horizon_years",
                "preference")


def profile_frame(customer_ids, since=None, until=None):
    """Each customer's latest survey value of every profile key (option "profile" data: satisfaction, loyalty,
    expected_return, planned_amount, experience 1-5, horizon_years, preference 1-5), set-based (1 query).
    A key takes the answers of the latest completed response that carries it (mean if several options).
    since / until: only responses surveyed after `since` and on or before `until` (the tiering run's window)."""
    index = pd.Index(customer_ids, name="customer_id")
    out = pd.DataFrame(index=index, columns=list(PROFILE_KEYS), dtype=float)
    if len(index) == 0:
        return out
    lo, hi = int(min(index)), int(max(index))
    frame = read_frame(
        "SELECT r.customer_id, r.surveyed_on, r.id AS response_id, a.option_id, o.profile FROM surveys_answer a "
        "JOIN surveys_surveyresponse r ON r.id = a.response_id JOIN surveys_option o ON o.id = a.option_id "
        "WHERE r.outcome = 'completed' AND o.profile <> '{}' AND r.customer_id BETWEEN %s AND %s"
        + _window_sql(since, until), (lo, hi, *_window_params(since, until)), text=("profile",))
    frame = frame[frame["customer_id"].isin(index)]
    if frame.empty:
        return out
    # an option's profile is parsed once, not once per answer choosing it (a few dozen options, ~10^5 answers)
    options = frame.drop_duplicates("option_id")
    values = pd.DataFrame(
        [(o, k, v) for o, p in zip(options["option_id"], options["profile"]) for k, v in _profile(p).items()],
        columns=["option_id", "key", "value"])
    long = frame[["customer_id", "surveyed_on", "response_id", "option_id"]].merge(values, on="option_id")
    if long.empty:
        return out
    long["surveyed_on"] = pd.to_datetime(long["surveyed_on"])
    long = long.sort_values(["customer_id", "key", "surveyed_on", "response_id"])
    last = long.groupby(["customer_id", "key"])[["surveyed_on", "response_id"]].transform("last")
    latest = long[(long["surveyed_on"] == last["surveyed_on"]) & (long["response_id"] == last["response_id"])]
    wide = latest.groupby(["customer_id", "key"])["value"].mean().unstack()
    for key in PROFILE_KEYS:
        if key in wide:
            out[key] = wide[key].reindex(index).astype(float)
    return out


def _profile(stored):
    return json.loads(stored) if isinstance(stored, str) and stored else (stored or {})


def _window_sql(since, until):
    return (" AND r.surveyed_on > %s" if since else "") + (" AND r.surveyed_on <= %s" if until else "")


def _window_params(since, until):
    return [d for d in (since, until) if d]


def profile_answer_dates(customer_ids, since, until):
    """Per customer, the date of the newest completed response carrying profile answers surveyed after `since`
    (`used_on`, the answers a tiering run reads) and of the newest one on or before `since` (`stale_on`, too old
    to be read), both up to `until`; NaT where none (1 aggregate query)."""
    index = pd.Index(customer_ids, name="customer_id")
    out = pd.DataFrame({"used_on": pd.NaT, "stale_on": pd.NaT}, index=index)
    if len(index) == 0:
        return out
    frame = read_frame(
        "SELECT r.customer_id, MAX(CASE WHEN r.surveyed_on > %s THEN r.surveyed_on END) AS used_on, "
        "MAX(CASE WHEN r.surveyed_on <= %s THEN r.surveyed_on END) AS stale_on FROM surveys_surveyresponse r "
        "WHERE r.outcome = 'completed' AND r.customer_id BETWEEN %s AND %s AND r.surveyed_on <= %s "
        "AND EXISTS (SELECT 1 FROM surveys_answer a JOIN surveys_option o ON o.id = a.option_id "
        "WHERE a.response_id = r.id AND o.profile <> '{}') GROUP BY r.customer_id",
        (since, since, int(min(index)), int(max(index)), until), parse_dates=("used_on", "stale_on"))
    frame = frame.set_index("customer_id")
    return frame[["used_on", "stale_on"]].reindex(index) if len(frame) else out


def profile_inputs(customer_ids, since=None, until=None):
    """Survey-derived CPV inputs per customer from each customer's latest answers (set-based, <= 3 queries).

    satisfaction and loyalty in [0, 1], expected_return as a yearly rate, planned_ratio = planned
    investment (N Q9) / the customer's current total assets, capped by the policy (assets unknown or zero
    take the cap), experience the level 1–5 of N Q6. Missing = NaN (the tiering policy's neutral value).
    """
    wide = profile_frame(customer_ids, since, until)
    out = wide[["satisfaction", "loyalty", "expected_return"]].copy()
    out["planned_ratio"] = np.nan
    planned = wide["planned_amount"]
    if planned.notna().any():
        lo, hi = int(min(wide.index)), int(max(wide.index))
        cap = float(policy_params().get("profile", {}).get("planned_ratio_cap", 1.0))
        assets = read_frame("SELECT customer_id, total_assets FROM customers_currenttier "
                            "WHERE customer_id BETWEEN %s AND %s", (lo, hi))
        assets = assets.set_index("customer_id")["total_assets"].astype(float).reindex(wide.index)
        out["planned_ratio"] = (planned / assets.where(assets > 0)).fillna(cap).clip(upper=cap).where(planned.notna())
    out["experience"] = wide["experience"].astype(float) if "experience" in wide else np.nan
    return out[["satisfaction", "loyalty", "planned_ratio", "expected_return", "experience"]]


def sampling_frames(month_start, params):
    """Customers with advisor, star, stage and the facts the sampling rules need (a few bulk queries)."""
    from datetime import timedelta

    customers = read_frame(
        "SELECT c.id AS customer_id, c.office_id, c.advisor_id, c.investment_advisor_id, c.kind, c.opened_on, "
        "c.closed_on, t.star, t.lifecycle_stage AS stage FROM customers_customer c "
        "LEFT JOIN customers_currenttier t ON t.customer_id = c.id",
        text=("kind", "star", "stage"), parse_dates=("opened_on", "closed_on"))
    customers = customers.set_index("customer_id")
    staff = read_frame("SELECT id AS staff_id, role, office_id FROM customers_staff WHERE is_active = %s", (True,),
                       text=("role",)).set_index("staff_id")
    trace_from = month_start - timedelta(days=int(params["trace_window_days"]))
    traced = read_frame("SELECT DISTINCT customer_id FROM customers_interaction WHERE at >= %s AND at < %s",
                        (trace_from, month_start))
    last_outcome = read_frame(
        "SELECT r.customer_id, r.outcome FROM surveys_surveyresponse r JOIN ("
        " SELECT customer_id, MAX(id) AS id FROM surveys_surveyresponse GROUP BY customer_id) m ON m.id = r.id",
        text=("outcome",))
    repeat_from = month_of(add_months(month_start, -int(params["no_repeat_months"]) + 1))
    recent = read_frame(
        "SELECT i.customer_id, i.reason, q.code FROM surveys_planitem i JOIN surveys_samplingplan p ON p.id = i.plan_id "
        "JOIN surveys_questionnaire q ON q.id = i.questionnaire_id WHERE p.month >= %s AND p.month < %s",
        (repeat_from, month_start), text=("reason", "code"))
    closing_from = month_of(add_months(month_start, -1))
    closing = read_frame(
        "SELECT DISTINCT customer_id FROM customers_application WHERE status <> 'withdrawn' "
        "AND filed_on >= %s AND filed_on < %s", (closing_from, month_of(add_months(month_start, 1))))
    closed = customers.index[(customers["closed_on"] >= pd.Timestamp(closing_from))
                             & (customers["closed_on"] < pd.Timestamp(month_of(add_months(month_start, 1))))]
    return {
        "customers": customers, "staff": staff,
        "traced": set(traced["customer_id"].astype(int)),
        "hung_up": set(last_outcome.loc[last_outcome["outcome"] == Outcome.HUNG_UP, "customer_id"].astype(int)),
        "recent": recent,
        "closing": set(closing["customer_id"].astype(int)) | {int(i) for i in closed},
        "warned": warned_customer_ids(),
    }


def month_of(day):
    return date(day.year, day.month, 1)
