"""Forms of the planner pages: entry only; the rules are in planner.services."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH

from .models import Task

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TaskForm(forms.Form):
    """A task or appointment by hand: a customer code is optional, an end time makes it an appointment."""

    customer_code = forms.CharField(label=_("Customer code"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label=pgettext_lazy("task", "Kind"), choices=Task.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=SHORT_TEXT_MAX_LENGTH,
                            widget=forms.TextInput(attrs={"autofocus": True}))
    due_at = forms.DateTimeField(label=_("Due / starts"), widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Ends (appointments)"), required=False, widget=DATETIME_WIDGET)
    location = forms.CharField(label=_("Location"), max_length=SHORT_TEXT_MAX_LENGTH, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=NOTE_MAX_LENGTH, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("ends_at") and data.get("due_at") and data["ends_at"] < data["due_at"]:
            self.add_error("ends_at", _("An appointment ends after it starts."))
        return data


class FromSourceForm(forms.Form):
    """A task from an alert or a survey follow-up: the service fills the title and the customer."""

    kind = forms.ChoiceField(label=pgettext_lazy("task", "Kind"), choices=Task.Kind.choices)
    due_at = forms.DateTimeField(label=_("Due / starts"), widget=DATETIME_WIDGET)
    notes = forms.CharField(label=_("Notes"), max_length=NOTE_MAX_LENGTH, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class TaskActionForm(forms.Form):
    """complete / cancel / reschedule (with a new time)."""

    ACTIONS = [("complete", _("Mark done")), ("cancel", _("Cancel the task")), ("reschedule", _("Reschedule"))]
    action = forms.ChoiceField(choices=ACTIONS)
    due_at = forms.DateTimeField(label=_("New time"), required=False, widget=DATETIME_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reschedule" and not data.get("due_at"):
            self.add_error("due_at", _("Give the new date and time."))
        return data
