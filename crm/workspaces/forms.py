from django import forms
from django.utils.translation import gettext_lazy as _


class KpiTargetsForm(forms.Form):
    """The coverage-KPI targets; shares are entered in percent (25 = 25 %)."""

    product_band = forms.DecimalField(label=_("Product band (CNY)"), min_value=1, max_digits=18, decimal_places=2,
                                      help_text=_("Product assets below this count as the small band."))
    product_small_target = forms.DecimalField(label=_("Target below the band (%)"), min_value=0, max_value=100,
                                              max_digits=5, decimal_places=2)
    product_large_target = forms.DecimalField(label=_("Target at or above the band (%)"), min_value=0,
                                              max_value=100, max_digits=5, decimal_places=2)
    high_end_assets = forms.DecimalField(label=_("High-end eligibility: assets above (CNY)"), min_value=1,
                                         max_digits=18, decimal_places=2)
    high_end_target = forms.DecimalField(label=_("High-end opening target (%)"), min_value=0, max_value=100,
                                         max_digits=5, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    PERCENT = ("product_small_target", "product_large_target", "high_end_target")

    @classmethod
    def initial_from(cls, targets):
        data = targets.to_json()
        return {k: (round(v * 100, 2) if k in cls.PERCENT else v) for k, v in data.items()}

    def params(self):
        d = self.cleaned_data
        return {k: (float(d[k]) / 100 if k in self.PERCENT else float(d[k]))
                for k in ("product_band", "product_small_target", "product_large_target", "high_end_assets",
                          "high_end_target")}
