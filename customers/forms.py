from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .imports.datasets import IMPORT_ORDER
from .models import Interaction, Staff

DATASET_CHOICES = [(name, name) for name in IMPORT_ORDER]


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


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["channel", "summary", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AssignAdvisorForm(forms.Form):
    advisor = forms.ModelChoiceField(label=_("Advisor"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, advisors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].queryset = advisors if advisors is not None else Staff.objects.none()
        self.helper = FormHelper()
        self.helper.form_tag = False
