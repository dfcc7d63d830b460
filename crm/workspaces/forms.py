from django.utils.translation import gettext_lazy as _

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


class TodayPolicyForm(PolicyParamsForm):
    """The today list's policy as a labelled form (crm/workspaces/param_labels.py): customers per day for each
    advisor role and the churn risk of each alert rule as rows, the urgency points and the room on the list."""

    def __init__(self, *args, initial_params=None, editable=True, **kwargs):
        from .param_labels import TODAY_LABELS

        super().__init__(*args, labels=TODAY_LABELS, initial_params=initial_params, editable=editable, **kwargs)
        self.fields["note"].label = _("Note")

    def params(self):
        return self.cleaned_data["params"].to_json()
