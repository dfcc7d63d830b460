"""Forms collect input; outreach.services saves it."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_EVENTS, Channel, EventKind

STAFF_EVENTS = [(str(k), EventKind(k).label) for k in DEFAULT_EVENTS]


class PreferenceForm(forms.Form):
    events = forms.MultipleChoiceField(label=_("Tell me about"), choices=STAFF_EVENTS, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    channel = forms.ChoiceField(label=_("Send it by"), choices=Channel.choices)
    phone = forms.RegexField(label=_("Mobile for SMS"), regex=r"^1\d{10}$", required=False,
                             error_messages={"invalid": _("Enter an 11-digit mobile number.")})
    quiet_start = forms.TimeField(label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_end = forms.TimeField(label=_("Quiet until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "events":
                field.widget.attrs["class"] = "form-select" if name == "channel" else "form-control"

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.SMS and not data.get("phone"):
            self.add_error("phone", _("SMS needs a mobile number."))
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        return data

