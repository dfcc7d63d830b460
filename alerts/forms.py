"""Forms collect input; the workflow rules (what may follow what, what each step needs) live in services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.param_labels import PolicyParamsForm
from crm.textlimits import NOTE_MAX_LENGTH
from customers.models import Interaction

from .models import DismissReason, Outcome, Status


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Interaction.Channel.choices],
                                required=False)
    summary = forms.CharField(label=_("Summary"), max_length=200, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False)
    amount = forms.DecimalField(label=_("Amount returned (CNY)"), max_digits=18, decimal_places=2, required=False)
    dismiss_reason = forms.ChoiceField(label=_("Dismiss reason"), choices=[("", "—"), *DismissReason.choices],
                                       required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           max_length=NOTE_MAX_LENGTH)


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"))
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH)
    whole_card = forms.BooleanField(required=False)


class PolicyForm(PolicyParamsForm):
    """Every alert threshold as a labelled form grouped by alerts.md's sections (alerts/param_labels.py): mappings
    per rule or star and the calendar lists are rows, not JSON."""

    def __init__(self, *args, initial_params=None, editable=True, **kwargs):
        from .param_labels import LABELS

        super().__init__(*args, labels=LABELS, initial_params=initial_params, editable=editable, **kwargs)
