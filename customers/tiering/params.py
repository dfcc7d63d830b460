"""Every tiering threshold, with the spec's defaults. A policy version stores its values as JSON.

Each field is documented here because this is what managers edit; a policy only stores
the values that differ from the defaults' *shape* — all keys are always present once saved.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.params import JsonParams

RETENTION_SOURCES = ("rules", "model")


@dataclass(frozen=True)
class TieringParams(JsonParams):
    # §1 legacy star (table 3-2). Retail: star k+1 when assets > asset_bounds[k-1] … (≤ 10k is 1★).
    legacy_asset_bounds: tuple = (10_000, 200_000, 1_000_000, 3_000_000)
    legacy_income_bounds: tuple = (10_000, 100_000, 300_000, 500_000)  # income ≥ bound[k] gives star k+2
    legacy_inst_asset_bounds: tuple = (100_000_000, 500_000_000)  # ≤ 100 M platinum, ≤ 500 M diamond, else prestige
    legacy_inst_income_bounds: tuple = (1_000_000, 3_000_000)
    # §2 lifecycle
    dormant_assets: float = 100.0
    dormant_days: int = 180
    decline_window_days: int = 90
    decline_baseline_days: int = 270
    decline_trade_ratio: float = 0.5
    decline_min_baseline_trades: float = 3.0  # per 90 days
    decline_product_drop: float = 0.5
    decline_min_product_value: float = 1_000.0
    decline_outflow_share: float = 0.3
    growth_days_experienced: int = 360  # prior experience yes / unknown
    growth_days_new_investor: int = 1_080  # prior experience no
    # A survey answer on investment experience (questionnaire N Q6, levels 1–5) replaces the back office's
    # yes/no: from this level on the customer counts as experienced (2 = has bought funds or wealth products).
    experienced_from_level: int = 2
    # §3 CEV (per year)
    exchange_fee_permille: float = 0.0541  # deducted from the commission rate: 经手费 0.0341‰ + 证管费 0.02‰
    product_fee_rate: float = 0.005  # distribution fee per year of product holdings
    product_turnover: float = 1.0
    deposit_spread: float = 0.015
    lending_spread: float = 0.03
    # §3 CPV
    discount_rate: float = 0.08
    horizon_years: int = 5
    growth_min: float = -0.5
    growth_max: float = 1.0
    growth_trend_weight: float = 0.5  # of the 12-month asset trend
    growth_plan_weight: float = 0.3  # of planned extra investment / assets (survey)
    growth_expectation_weight: float = 0.5  # of (expected return − neutral) (survey)
    neutral_expected_return: float = 0.05
    growth_per_risk_level: float = 0.02  # per level above C3 (risk tolerance)
    retention_by_stage: dict = field(default_factory=lambda: {
        "potential": 0.5, "budding": 0.6, "growth": 0.85, "mature": 0.9, "decline": 0.6, "churned": 0.0,
    })
    retention_satisfaction_weight: float = 0.2  # × (satisfaction − 0.5)
    retention_loyalty_weight: float = 0.1  # × (referral willingness − 0.5)
    retention_per_tenure_year: float = 0.01
    retention_tenure_cap: float = 0.05
    retention_assets_elsewhere: float = -0.1
    retention_open_warning: float = -0.15
    retention_max: float = 0.99
    # Where the yearly retention comes from: "rules" (the adjustments above) or "model" (the active learned churn
    # model, alerts/churn: r = (1 − risk) ** (365 / horizon days), capped like the rules); customers without a
    # score keep the rules.
    retention_source: str = "rules"
    neutral_satisfaction: float = 0.5
    neutral_loyalty: float = 0.5
    annual_cost_to_serve: float = 100.0
    # Survey answers (satisfaction, loyalty, expectations, plans, experience) count only while younger than
    # this many months at the run date; older ones are ignored (neutral values) and the explanation says so.
    survey_max_age_months: int = 24
    # §4 quadrants
    quadrant_percentile: float = 80.0
    # §5 value stars
    star_shares: tuple = (0.16, 0.32, 0.32, 0.16, 0.04)  # 1★ … 5★, lowest first
    institution_shares: tuple = (0.6, 0.3, 0.1)  # platinum, diamond, prestige
    demotion_runs: int = 3
    # §6 STP
    stp_dominant_share: float = 0.6
    stp_value_days: int = 1_095  # ≥ 3 years: I
    stp_low_frequency_days: int = 90  # ≥ 3 months: II, else III
    # assets elsewhere (IPO quota, alerts.md): units × value per unit
    quota_value_sh: float = 10_000.0
    quota_value_sz: float = 5_000.0
    elsewhere_ratio: float = 1.2
    elsewhere_min_gap: float = 100_000.0

    def validate(self):
        """Errors as {field: message}; an empty dict means the parameters are usable."""
        errors = self.shape_errors()
        if errors:  # the checks below compare numbers
            return errors
        if not 1 <= self.experienced_from_level <= 5:
            errors["experienced_from_level"] = _("a level from 1 to 5 (questionnaire N, question 6)")
        if abs(sum(self.star_shares) - 1) > 1e-9 or len(self.star_shares) != 5 or min(self.star_shares) < 0:
            errors["star_shares"] = _("five non-negative shares adding up to 1")
        if abs(sum(self.institution_shares) - 1) > 1e-9 or len(self.institution_shares) != 3:
            errors["institution_shares"] = _("three shares adding up to 1")
        for name in ("legacy_asset_bounds", "legacy_income_bounds", "legacy_inst_asset_bounds",
                     "legacy_inst_income_bounds"):
            bounds = list(getattr(self, name))
            if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                errors[name] = _("increasing amounts")
        if not 0 < self.quadrant_percentile < 100:
            errors["quadrant_percentile"] = _("between 0 and 100")
        if not -1 < self.discount_rate < 1:
            errors["discount_rate"] = _("between -1 and 1")
        if not 1 <= self.horizon_years <= 50:
            errors["horizon_years"] = _("1 to 50 years")
        if self.growth_min > self.growth_max:
            errors["growth_min"] = _("not above growth_max")
        if not 1 <= self.survey_max_age_months <= 120:
            errors["survey_max_age_months"] = _("1 to 120 months")
        if self.demotion_runs < 1:
            errors["demotion_runs"] = _("at least 1")
        if not 0 < self.stp_dominant_share <= 1:
            errors["stp_dominant_share"] = _("between 0 and 1")
        if self.retention_source not in RETENTION_SOURCES:
            errors["retention_source"] = _("the rules or the churn model")
        stages = {"potential", "budding", "growth", "mature", "decline", "churned"}
        if set(self.retention_by_stage) != stages or not all(0 <= v <= 1 for v in self.retention_by_stage.values()):
            errors["retention_by_stage"] = _("a probability between 0 and 1 for each of the six stages")
        return errors
