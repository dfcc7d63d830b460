from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.job_labels import DATASET_LABELS
from crm.param_labels import PolicyParamsForm
from crm.textlimits import NOTE_MAX_LENGTH

from .filters import STARS as STAR_CHOICES  # labelled: 5★, 铂金 …
from .imports.datasets import IMPORT_ORDER
from .models import Application, Interaction, Staff

DATASET_CHOICES = [(name, DATASET_LABELS.get(name, name)) for name in IMPORT_ORDER]


class ImportUploadForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Dataset"), choices=DATASET_CHOICES)
    file = forms.FileField(label=_("CSV file (UTF-8, header row)"))
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and reject the rest"), required=False,
        help_text=_("Off: one bad row rejects the whole file and nothing is written."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Upload and check"), accesskey="u"))

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        name = uploaded.name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        uploaded.name = name
        return uploaded


NEXT_STEP_KINDS = [  # the planner's task kinds (planner.models.Task.Kind), read here without importing it
    ("", _("No next step")), ("call_back", _("Call back")), ("meeting", _("Meeting")), ("visit", _("Visit")),
    ("document", _("Document")), ("other", pgettext_lazy("task kind", "Other")),
]
NEXT_STEP_FIELDS = ("next_kind", "next_due", "next_note")
NEXT_STEP_HORIZON = timedelta(days=3660)  # planner.services.PLAN_HORIZON


class InteractionForm(forms.ModelForm):
    """The contact log, with an optional "next step" (a planner task): `next_step` holds it after validation,
    {kind, due_at, note} or None, and cleaned_data keeps only the contact's own fields."""

    class Meta:
        model = Interaction
        fields = ["channel", "summary", "note"]

    note = forms.CharField(label=_("note"), required=False, max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))
    next_kind = forms.ChoiceField(label=_("Next step"), choices=NEXT_STEP_KINDS, required=False)
    next_due = forms.DateTimeField(label=_("Next step due"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    next_note = forms.CharField(label=_("Next step note"), required=False, max_length=NOTE_MAX_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.next_step = None

    def clean(self):
        data = super().clean()
        kind, due, note = (data.pop(name, None) for name in NEXT_STEP_FIELDS)
        if kind and due is None:
            self.add_error("next_due", _("Give the next step a date and a time."))
        elif kind and abs(due - timezone.now()) > NEXT_STEP_HORIZON:  # the planner's own range (a re-render,
            self.add_error("next_due", _("Give a date within ten years of today."))  # not a refused contact)
        elif kind:
            self.next_step = {"kind": kind, "due_at": due, "note": note or ""}
        return data


class AssignAdvisorForm(forms.Form):
    advisor = forms.ModelChoiceField(label=_("Advisor"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, advisors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].queryset = advisors if advisors is not None else Staff.objects.none()
        self.helper = FormHelper()
        self.helper.form_tag = False


class TieringPolicyForm(PolicyParamsForm):
    """Every parameter of a tiering policy as a labelled form grouped by tiering.md's sections
    (customers/tiering/param_labels.py); lists and the retention table are rows, not JSON."""

    def __init__(self, *args, initial_params=None, editable=True, **kwargs):
        from .tiering.param_labels import LABELS

        super().__init__(*args, labels=LABELS, initial_params=initial_params, note_required=True,
                         editable=editable, **kwargs)


class CapacityForm(PolicyParamsForm):
    """The advisor capacity caps (customers/capacity.py) as a labelled form."""

    def __init__(self, *args, initial_params=None, editable=True, **kwargs):
        from .capacity import LABELS

        super().__init__(*args, labels=LABELS, initial_params=initial_params, editable=editable, **kwargs)


class StarOverrideForm(forms.Form):
    star = forms.ChoiceField(label=_("Star"), choices=STAR_CHOICES)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    expires_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ApplicationForm(forms.Form):
    """Filing a closing / transfer-out application at the counter; the service checks the rules."""

    customer_code = forms.CharField(label=_("Customer code"), max_length=20,
                                    widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Application.Kind.choices, widget=forms.RadioSelect)
    filed_on = forms.DateField(label=_("Filed on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ApplicationTransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Decision"), choices=[(Application.Status.ACCEPTED, _("Accept")),
                                                         (Application.Status.WITHDRAWN, _("Withdraw"))])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
