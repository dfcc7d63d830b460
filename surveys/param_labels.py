"""The survey policy (SurveyPolicy.params: sampling, follow-up SLA, profile) as a manager reads and edits it.

The stored policy is nested JSON (surveys/data/policy.json); `SurveyPolicyValues` is its flat, typed view for the
shared labelled form (crm.param_labels): `from_policy` reads a version, `to_policy` writes the nested shape back
(keys the form does not know are kept), `validate` asks services.check_policy. crm/tests/test_param_labels.py
fails for a value added without a label.
"""
from dataclasses import dataclass, field, fields

from django.utils.translation import gettext_lazy as _

from crm.param_labels import DATE, INTEGER, MONTHS, RATIO, SHARE, WORKING_DAYS, Param as P, PolicyLabels, Section
from crm.params import JsonParams

from .models import Option

SAMPLING = ("per_investment_advisor", "per_wealth_advisor", "no_repeat_months", "min_untraced_share",
            "trace_window_days", "questionnaire_by_stage", "closing_questionnaire", "warned_questionnaire")
FOLLOW_UP = ("due_working_days", "priority", "holidays")
PROFILE = ("planned_ratio_cap",)


@dataclass(frozen=True)
class SurveyPolicyValues(JsonParams):
    per_investment_advisor: int = 20
    per_wealth_advisor: int = 10
    no_repeat_months: int = 12
    min_untraced_share: float = 0.2
    trace_window_days: int = 30
    questionnaire_by_stage: dict = field(default_factory=lambda: {
        "potential": "P", "budding": "N", "growth": "N", "mature": "E", "decline": "W", "churned": "W", "": "E"})
    closing_questionnaire: str = "W"
    warned_questionnaire: str = "W"
    due_working_days: dict = field(default_factory=lambda: {"compliance": 1, "dissatisfied": 1, "need": 3})
    priority: dict = field(default_factory=lambda: {"compliance": 1, "dissatisfied": 2, "need": 3})
    holidays: tuple = ()
    planned_ratio_cap: float = 1.0

    @classmethod
    def from_policy(cls, params):
        params = params or {}
        flat = {**{k: v for k, v in params.get("sampling", {}).items() if k in SAMPLING},
                **{k: v for k, v in params.get("follow_up", {}).items() if k in FOLLOW_UP},
                **{k: v for k, v in params.get("profile", {}).items() if k in PROFILE}}
        return cls.from_json(flat)

    def to_policy(self, current=None):
        """The nested policy JSON: the current version's, with these values."""
        current = current or {}
        values = self.to_json()
        out = {key: dict(value) if isinstance(value, dict) else value for key, value in current.items()}
        for group, names in (("sampling", SAMPLING), ("follow_up", FOLLOW_UP), ("profile", PROFILE)):
            out[group] = {**current.get(group, {}), **{name: values[name] for name in names}}
        return out

    def validate(self):
        """{field: message} from services.check_policy (its fields are dotted paths of the nested JSON)."""
        from .services import check_policy

        names = {f.name for f in fields(self)}
        errors = {}
        for error in check_policy(self.to_policy()):
            path = error["field"].split(".")
            name = next((p for p in path if p in names), None)
            if name is None and path[-1] == "questionnaire":
                name = "questionnaire_by_stage"
            errors.setdefault(name or "", f"{error['message']}" + (f" ({error['value']})" if error["value"] else ""))
        return errors


def questionnaire_choices():
    from .models import Questionnaire

    return tuple((code, code) for code in Questionnaire.objects.order_by("id").values_list("code", flat=True))


KINDS = tuple((kind.value, kind.label) for kind in Option.FollowUp)
STAGE_ROWS = (("potential", _("potential")), ("budding", _("budding")), ("growth", _("growth")),
              ("mature", _("mature")), ("decline", _("decline")), ("churned", _("churned")), ("", _("no stage yet")))

SECTIONS = (
    Section("sampling", _("Monthly callback sample"),
            _("Who the operations staff call back each month, per advisor (surveys.md).")),
    Section("questionnaires", _("Which questionnaire"), _("The questionnaire each sampled customer is asked.")),
    Section("follow_up", _("Follow-up tasks and SLA"),
            _("When a follow-up task opened by an answer is due, and in which order it is worked.")),
    Section("profile", _("Customer profile"), _("How survey answers feed the customer value.")),
)

PARAMS = {
    "per_investment_advisor": P(_("Customers per investment advisor"), _("customers per month"),
                                _("Sampled each month from each investment advisor's customers."), "sampling"),
    "per_wealth_advisor": P(_("Customers per wealth advisor"), _("customers per month"),
                            _("Sampled each month from each wealth advisor's customers."), "sampling"),
    "no_repeat_months": P(_("Not asked again within"), MONTHS,
                          _("A customer surveyed more recently is not sampled."), "sampling"),
    "min_untraced_share": P(_("Customers without a recent trace at least"), SHARE,
                            _("Share of the sample drawn from customers with no contact recently (0.2 = 20 %)."),
                            "sampling"),
    "trace_window_days": P(_("Recent trace: within"), _("days"),
                           _("A contact within these days counts as a recent trace."), "sampling"),
    "questionnaire_by_stage": P(_("Questionnaire by lifecycle stage"), "",
                                _("The questionnaire a sampled customer in each stage is asked."), "questionnaires",
                                rows=STAGE_ROWS, item="text", choices=questionnaire_choices),
    "closing_questionnaire": P(_("After a closing application"), "",
                               _("Asked of customers who filed a closing or transfer-out application."),
                               "questionnaires", choices=questionnaire_choices),
    "warned_questionnaire": P(_("After a churn warning"), "",
                              _("Asked of customers with a churn warning."), "questionnaires",
                              choices=questionnaire_choices),
    "due_working_days": P(_("Due within"), WORKING_DAYS,
                          _("Working days to close a follow-up task of each kind (0 = the same day)."), "follow_up",
                          rows=KINDS, item=INTEGER),
    "priority": P(_("Priority"), _("1 = first"), _("The order in which follow-up tasks are worked."), "follow_up",
                  rows=KINDS, item=INTEGER),
    "holidays": P(_("Holidays"), "", _("Dates that are not working days for follow-up deadlines."), "follow_up",
                  extra_rows=3, item=DATE),
    "planned_ratio_cap": P(_("Planned investment counted up to"), RATIO,
                           _("Planned extra investment over assets is capped at this ratio (1 = as much again)."),
                           "profile"),
}

LABELS = PolicyLabels(SurveyPolicyValues, SECTIONS, PARAMS)
