from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.textlimits import NOTE_MAX_LENGTH
from customers import permissions

from .models import ProductVersion, SuitabilityOverride


class ProductForm(forms.ModelForm):
    """A product's attributes; saving writes a new version (services.save_product)."""

    code = forms.RegexField(label=_("code"), regex=r"^[A-Z0-9_]{2,20}$", required=False,
                            help_text=_("Capitals, digits and _ (new products only)."))
    permissions = forms.MultipleChoiceField(
        label=_("required permissions"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(c, permissions.PERMISSION_LABELS[c]) for c in permissions.PERMISSION_CODES])
    note = forms.CharField(label=_("what changed and why"), max_length=200)
    description_en = forms.CharField(label=_("description"), required=False, max_length=NOTE_MAX_LENGTH,
                                     widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = ProductVersion
        fields = ["name_zh", "name_en", "category", "risk", "min_investment", "holding_class", "channel",
                  "schedule", "fee_model", "fits", "description_en"]
        labels = {"min_investment": _("minimum investment (CNY)")}
        help_texts = {  # issue 20: every catalogue field says what it is for
            "name_zh": _("The name staff and customers read in Chinese."),
            "name_en": _("The name on the English pages."),
            "category": _("The kind of product, as the catalogue groups it."),
            "risk": _("R1 (lowest) to R5 (highest); the suitability gate compares it with the customer's risk "
                      "tolerance."),
            "min_investment": _("The smallest amount a customer may buy; an override can waive it."),
            "holding_class": _("The holding class it counts in for concentration and the sub-types."),
            "channel": _("Where it is sold, e.g. counter or app."),
            "schedule": _("When it can be bought or redeemed."),
            "fee_model": _("How the branch earns on it."),
            "fits": _("The customers it suits, in a few words."),
        }

    def __init__(self, *args, new=False, **kwargs):
        super().__init__(*args, **kwargs)
        if new:
            self.fields["code"].required = True
        else:
            del self.fields["code"]
        if self.instance and self.instance.pk:
            self.initial["permissions"] = permissions.to_codes(self.instance.required_flags)
            self.initial.pop("note", None)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def values(self):
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        data["required_flags"] = permissions.to_flags(self.cleaned_data["permissions"])
        return data


class OverrideForm(forms.ModelForm):
    product = forms.ChoiceField(label=_("product"))

    class Meta:
        model = SuitabilityOverride
        fields = ["waive_min_investment", "waive_tier_matrix", "reason", "expires_on"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = list(products)
        self.order_fields(["product", "waive_min_investment", "waive_tier_matrix", "reason", "expires_on"])
        self.helper = FormHelper()
        self.helper.form_tag = False


COLUMNS_MAX_LENGTH = 1_000  # all the matrix's tier columns, comma-separated, are a few hundred characters


class ParametersForm(forms.Form):
    assessment_valid_months = forms.IntegerField(label=_("risk assessment valid for (months)"), min_value=1,
                                                 max_value=120)
    concentration_threshold = forms.DecimalField(label=_("concentration threshold (share, 0.7 = 70 %)"),
                                                 min_value=0.01, max_value=1, decimal_places=3)
    high_net_worth_assets = forms.DecimalField(label=_("high-net-worth assets from (CNY)"), min_value=0,
                                               decimal_places=0)
    white_list_columns = forms.CharField(label=_("white-list tier columns (comma-separated)"), required=False,
                                         max_length=COLUMNS_MAX_LENGTH)
    financing_columns = forms.CharField(label=_("financing-service tier columns (comma-separated)"), required=False,
                                        max_length=COLUMNS_MAX_LENGTH)
    note = forms.CharField(label=_("what changed and why"), max_length=200)

    def __init__(self, *args, holding_classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        for cls, label in holding_classes:
            self.fields[f"risk_{cls}"] = forms.ChoiceField(
                label=_("risk level of %(cls)s") % {"cls": label},
                choices=[(f"R{i}", f"R{i}") for i in range(1, 6)])
        self.holding_classes = [c for c, _label in holding_classes]
        self.helper = FormHelper()
        self.helper.form_tag = False

    @staticmethod
    def initial_from(params):
        initial = {k: params[k] for k in ("assessment_valid_months", "concentration_threshold",
                                          "high_net_worth_assets")}
        initial["white_list_columns"] = ", ".join(params["white_list_columns"])
        initial["financing_columns"] = ", ".join(params["financing_columns"])
        initial.update({f"risk_{k}": v for k, v in params["holding_class_risk"].items()})
        return initial

    def readonly_rows(self, params):
        """A stored version as labelled rows for those who may not edit it: (label, value as people read it)."""
        from crm.templatetags.crm_format import cny

        rows = [(self.fields["assessment_valid_months"].label, params.get("assessment_valid_months", "—"))]
        threshold = params.get("concentration_threshold")
        rows.append((self.fields["concentration_threshold"].label,
                     "—" if threshold is None else f"{float(threshold) * 100:.6f}".rstrip("0").rstrip(".") + "%"))
        rows.append((self.fields["high_net_worth_assets"].label, cny(params.get("high_net_worth_assets"))))
        risks = params.get("holding_class_risk") or {}
        rows.extend((self.fields[f"risk_{c}"].label, risks.get(c, "—")) for c in self.holding_classes)
        for key in ("white_list_columns", "financing_columns"):
            rows.append((self.fields[key].label, ", ".join(params.get(key) or ()) or "—"))
        return rows

    def params(self):
        d = self.cleaned_data

        def columns(text):
            return [c.strip() for c in (text or "").split(",") if c.strip()]

        return {
            "assessment_valid_months": d["assessment_valid_months"],
            "concentration_threshold": float(d["concentration_threshold"]),
            "high_net_worth_assets": int(d["high_net_worth_assets"]),
            "holding_class_risk": {c: d[f"risk_{c}"] for c in self.holding_classes},
            "white_list_columns": columns(d["white_list_columns"]),
            "financing_columns": columns(d["financing_columns"]),
        }
