"""Filing form (built from the questionnaire's active version), CSV upload, plan and task forms.

The forms only shape input; every rule is in surveys.services.check (the same as the API and CSV)."""
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.textlimits import NOTE_MAX_LENGTH

from .models import Channel, Outcome, Question


class FilingForm(forms.Form):
    customer_code = forms.CharField(label=_("Customer code"), max_length=20,
                                    widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, initial=Outcome.COMPLETED)
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    interviewer = forms.ChoiceField(label=_("Interviewer"), required=False)
    service_person = forms.ChoiceField(label=_("Evaluated service person"), required=False)
    handling_minutes = forms.CharField(label=_("Handling time (min, counter)"), required=False, max_length=20)
    materials_complete = forms.ChoiceField(label=_("Materials complete (counter)"), required=False,
                                           choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
    review_minutes = forms.CharField(label=_("Review time (min, counter)"), required=False, max_length=20)

    def __init__(self, *args, version, staff, **kwargs):
        super().__init__(*args, **kwargs)
        people = [("", "—")] + [(s.staff_code, f"{s.staff_code} {s.name}") for s in staff]
        self.fields["interviewer"].choices = people
        self.fields["service_person"].choices = people
        self.version = version
        self.question_fields = []
        for question in version.questions.all():
            name = f"answer_{question.code}"
            label = f"{question.code}. {question.text}"
            choices = [(o.code, f"{o.code} {o.text}") for o in question.options.all()]
            if question.kind == Question.Kind.SINGLE:
                field = forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)
            elif question.kind == Question.Kind.MULTIPLE:
                field = forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
            else:
                field = forms.CharField(label=label, required=False, max_length=NOTE_MAX_LENGTH,
                                        widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[name] = field
            reason = None
            if any(o.allows_reason for o in question.options.all()):
                reason = f"reason_{question.code}"
                self.fields[reason] = forms.CharField(label=_("Reason"), required=False, max_length=NOTE_MAX_LENGTH)
            self.question_fields.append((question, name, reason))
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def question_rows(self):
        return [(self[name], self[reason] if reason else None) for _q, name, reason in self.question_fields]

    def to_data(self):
        """The service's plain input."""
        d = self.cleaned_data
        data = {k: d.get(k) or "" for k in ("customer_code", "channel", "outcome", "interviewer", "service_person",
                                             "handling_minutes", "materials_complete", "review_minutes")}
        data["questionnaire"] = self.version.questionnaire.code
        data["date"] = d["date"].isoformat() if d.get("date") else ""
        data["answers"] = {q.code: d.get(name) for q, name, _r in self.question_fields if d.get(name)}
        data["reasons"] = {q.code: d.get(r) for q, _n, r in self.question_fields if r and d.get(r)}
        return data

    def field_for(self, error_field):
        """The form field an error of the service belongs to."""
        if error_field in self.fields:
            return error_field
        if f"answer_{error_field}" in self.fields:
            return f"answer_{error_field}"
        return None


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8, header row)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Check and file"), accesskey="u"))

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        return uploaded


class GeneratePlanForm(forms.Form):
    month = forms.DateField(label=_("Month (any day in it)"), widget=forms.DateInput(attrs={"type": "date"}))


class AddItemForm(forms.Form):
    customer_code = forms.CharField(label=_("Customer code"), max_length=20)
    questionnaire = forms.ChoiceField(label=_("Questionnaire"), choices=[(c, c) for c in ("S2020", "P", "N", "E", "W")])


class CloseTaskForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX_LENGTH)


class ManagerCloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
