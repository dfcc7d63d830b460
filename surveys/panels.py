"""This app's section of the 360° customer page (see crm/panels.py): latest answers, open follow-ups,
the survey-derived profile. Three queries (one when the customer has never been surveyed).

The panel tells the story the star's explanation tells (customers.tiering.explain): an answer older than the
tiering policy's survey age at the run behind the current tier (survey_max_age_months, default 24) was not
read for the star, and one given after that run is read by the next one; each profile value names the answer
it comes from."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.dates import add_months
from crm.templatetags.crm_format import cny

from . import selectors

# (profile key, label, how the value reads)
PROFILE_ROWS = (
    ("satisfaction", _("Satisfaction"), lambda v: f"{round(v * 100)} / 100"),
    ("loyalty", _("Would refer friends"), lambda v: _("Yes") if v >= 0.5 else _("No")),
    ("expected_return", _("Expected return"), lambda v: f"{round(v * 100)} %"),
    ("planned_amount", _("Planned investment (180 days)"), lambda v: f"≥ {cny(v)}"),
    ("experience", _("Investment experience"), lambda v: f"{round(v)} / 5"),
    ("horizon_years", _("Longest horizon (years)"), lambda v: f"{v:g}"),
    ("preference", _("Investment preference"), lambda v: f"{round(v)} / 5"),
)
USED, TOO_OLD, AFTER_RUN = "used", "too_old", "after_run"


def _window(customer):
    """(the run date, the oldest answer date it read, the survey age in months) of the run behind the
    customer's current tier, as customers.selectors_360.customer_page left them on the customer (no query);
    without a run, today's date and the policy default."""
    from customers.tiering.params import TieringParams

    run, day = getattr(customer, "_tier_run", None), getattr(customer, "_tier_run_day", None)
    months = (getattr(run, "survey_max_age", None) if run is not None else None) or \
        TieringParams().survey_max_age_months
    day = day or timezone.localdate()
    return day, add_months(day, -months), months


def answer_use(surveyed_on, day, cutoff):
    """Whether the run on `day` read an answer of `surveyed_on`: used, too old (on or before `cutoff`, the
    run's survey_cutoff) or given after the run."""
    if surveyed_on > day:
        return AFTER_RUN
    return USED if surveyed_on > cutoff else TOO_OLD


def customer_panel(request, customer, scope):
    responses, open_tasks, _profile = selectors.latest_answers(customer)
    day, cutoff, months = _window(customer)
    values = {}  # key -> (mean of its options' values in the newest response carrying it, that response)
    for response in responses:  # newest first, answers prefetched
        response.use = answer_use(response.surveyed_on, day, cutoff)
        found = {}
        for answer in response.answers.all():
            for key, value in ((answer.option.profile or {}).items() if answer.option_id else ()):
                found.setdefault(key, []).append(float(value))
        for key, found_values in found.items():
            values.setdefault(key, (sum(found_values) / len(found_values), response))
    profile = [{"key": key, "label": label, "value": show(values[key][0]), "on": values[key][1].surveyed_on,
                "use": values[key][1].use} for key, label, show in PROFILE_ROWS if key in values]
    return {"template": "surveys/_customer_panel.html", "responses": responses, "open_tasks": open_tasks,
            "profile": profile, "max_age": months, "run_day": day, "any_too_old": any(
                r["use"] == TOO_OLD for r in profile) or any(r.use == TOO_OLD for r in responses)}
