"""Forms collect input; the workflow rules (what may follow what, what each step needs) live in services."""
import json
from dataclasses import fields

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.textlimits import NOTE_MAX_LENGTH, POLICY_JSON_MAX_LENGTH
from customers.models import Interaction

from .models import DismissReason, Outcome, Status
from .params import AlertParams


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


class PolicyForm(forms.Form):
    """Every AlertParams field; lists and mappings are edited as JSON."""

    def __init__(self, *args, initial_params=None, **kwargs):
        super().__init__(*args, **kwargs)
        values = (initial_params or AlertParams()).to_json()
        for f in fields(AlertParams):
            value = values[f.name]
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                self.fields[f.name] = forms.IntegerField(label=f.name, initial=value)
            elif isinstance(value, float):
                self.fields[f.name] = forms.FloatField(label=f.name, initial=value)
            else:
                self.fields[f.name] = forms.CharField(label=f.name, initial=json.dumps(value, ensure_ascii=False),
                                                      max_length=POLICY_JSON_MAX_LENGTH,
                                                      widget=forms.TextInput(attrs={"class": "font-monospace"}))
        self.fields["note"] = forms.CharField(label=_("Note"), max_length=200, required=False)

    def params_json(self):
        """The cleaned values as AlertParams JSON; JSON fields that do not parse are form errors."""
        data = {}
        for f in fields(AlertParams):
            if f.name not in self.cleaned_data:
                continue
            value = self.cleaned_data[f.name]
            if isinstance(self.fields[f.name], forms.CharField):
                try:
                    value = json.loads(value)
                except (TypeError, ValueError, RecursionError):
                    self.add_error(f.name, _("Not valid JSON."))
                    continue
            data[f.name] = value
        return data
