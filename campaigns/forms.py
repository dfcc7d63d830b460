"""Forms of the campaign pages: entry only; the rules (template placeholders, segment, product) are in
campaigns.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from products.selectors import current_versions

from .models import Campaign

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.code


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    segment_kind = forms.ChoiceField(label=_("Segment"), choices=Campaign.SegmentKind.choices,
                                     widget=forms.RadioSelect)
    segment_query = forms.CharField(
        label=_("Customer list filters"), max_length=500, required=False,
        help_text=_("The customer list's filters as in its address, e.g. star=1 or star=2&office=CS: filter the "
                    "list, then copy what follows the ? here."))
    product = ProductChoice(label=_("Product"), queryset=None, required=False,
                            help_text=_("Needed for a push list; with filters it adds the suitability check."))
    channel = forms.ChoiceField(label=_("Channel"), choices=Campaign.Channel.choices)
    template = forms.CharField(
        label=_("Message"), max_length=500, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In Chinese. Placeholders: {name} or {姓名}, {product} or {产品}, {advisor} or {客户经理} "
                    "(the office when the customer has no advisor), {office} or {营业部}."))
    scheduled_at = forms.DateTimeField(label=_("Send at"), widget=DATETIME_WIDGET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from products.models import Product

        codes = [v.product_id for v in current_versions(include_retired=False)]
        self.fields["product"].queryset = Product.objects.filter(pk__in=codes).order_by("code")

    @classmethod
    def initial_of(cls, campaign):
        return {"name": campaign.name, "segment_kind": campaign.segment_kind, "segment_query": campaign.segment_query,
                "product": campaign.product_id, "channel": campaign.channel, "template": campaign.template,
                "scheduled_at": campaign.scheduled_at}


class SendBackForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=200, required=False)
