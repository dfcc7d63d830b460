"""The coverage-KPI targets of the manager home (reports.md, study 3.3.1), with the study's values as defaults.

Branch managers edit them; each edit is a new crm.models.KpiPolicy version and exactly one is active.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from crm.params import JsonParams

SHARES = ("product_small_target", "product_large_target", "high_end_target")


@dataclass(frozen=True)
class KpiTargets(JsonParams):
    # product coverage per quarter: customers holding products worth less than `product_band` CNY, and
    # customers holding `product_band` or more, each as a share of the effective customers
    product_band: float = 5_000.0
    product_small_target: float = 0.05
    product_large_target: float = 0.25
    # high-end permissions: opening rate among customers with assets above `high_end_assets`
    high_end_assets: float = 500_000.0
    high_end_target: float = 0.50

    def validate(self):
        """Errors as {field: message}; empty when usable."""
        errors = {}
        for name in ("product_band", "high_end_assets"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                errors[name] = _("An amount above 0.")
        for name in SHARES:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
                errors[name] = _("A share above 0 and at most 1 (0.25 = 25 %).")
        return errors
