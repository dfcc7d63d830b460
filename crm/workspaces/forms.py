from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.models import Rule
from crm.param_labels import PolicyParamsForm


class KpiTargetsForm(PolicyParamsForm):
    """The coverage-KPI targets as a labelled form (crm/workspaces/param_labels.py); shares are entered in percent
    (25 = 25 %)."""

    PERCENT = ("product_small_target", "product_large_target", "high_end_target")

    def __init__(self, *args, editable=True, **kwargs):
        from .param_labels import KPI_LABELS

        super().__init__(*args, labels=KPI_LABELS, editable=editable, **kwargs)
        self.fields["note"].label = _("Note")

    @classmethod
    def initial_from(cls, targets):
        data = targets.to_json()
        return {k: (round(v * 100, 2) if k in cls.PERCENT else v) for k, v in data.items()}

    def params(self):
        return self.cleaned_data["params"].to_json()


class TodayPolicyForm(forms.Form):
    """The today list's policy: customers per day for each advisor role, and the churn risk of each alert rule as
    one labelled number per rule (a manager reads rule names in their language, not JSON keys)."""

    wealth_advisor = forms.IntegerField(label=_("Wealth advisor: customers per day"), min_value=1, max_value=500)
    investment_advisor = forms.IntegerField(label=_("Investment advisor: customers per day"), min_value=1,
                                            max_value=500)
    institutional_advisor = forms.IntegerField(label=_("Institutional advisor: customers per day"), min_value=1,
                                               max_value=500)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    ROLES = ("wealth_advisor", "investment_advisor", "institutional_advisor")
    RISK_PREFIX = "risk_"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        note = self.fields.pop("note")
        for rule in Rule:
            self.fields[self.RISK_PREFIX + rule.value] = forms.DecimalField(
                label=rule.label, min_value=0, max_value=1, max_digits=4, decimal_places=3)
        self.fields["note"] = note
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def capacity_fields(self):
        return [self[name] for name in self.ROLES]

    def risk_fields(self):
        return [self[self.RISK_PREFIX + rule.value] for rule in Rule]

    @classmethod
    def initial_from(cls, params):
        return {**{role: params.capacity_of(role) for role in cls.ROLES},
                **{cls.RISK_PREFIX + rule.value: params.churn_risk.get(rule.value, 0) for rule in Rule}}

    def params(self, current):
        """The full set of values: the current version's, with what the form changes."""
        d = self.cleaned_data
        return {**current.to_json(), "capacity": {role: d[role] for role in self.ROLES},
                "churn_risk": {rule.value: float(d[self.RISK_PREFIX + rule.value]) for rule in Rule}}
