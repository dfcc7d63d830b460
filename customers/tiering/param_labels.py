"""Every tiering parameter (params.TieringParams) as a manager reads it: label, unit, help text, spec section
(tiering.md §1–§6). crm/tests/test_param_labels.py fails for a parameter added without one."""
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm.param_labels import (CNY, DAYS, MONTHS, PER_MILLE, PER_YEAR, PERCENTILE, RATIO, SHARE, YEARS,
                              Param, PolicyLabels, Section)

from .params import TieringParams

STAR_ROWS = tuple((str(i), f"{i}★") for i in range(1, 6))
INSTITUTION_ROWS = (("platinum", _("platinum")), ("diamond", _("diamond")), ("prestige", _("prestige")))
STAGE_ROWS = (("potential", _("potential")), ("budding", _("budding")), ("growth", _("growth")),
              ("mature", _("mature")), ("decline", _("decline")), ("churned", _("churned")))

RETENTION_SOURCE_CHOICES = (("rules", _("the rules")), ("model", _("the churn model")))

SECTIONS = (
    Section("legacy", _("§1 Legacy star grade (table 3-2)"),
            _("The branch's old rule, kept to compare with the value star: the higher of the asset and the income "
              "level.")),
    Section("lifecycle", _("§2 Lifecycle stage"),
            _("Churned, decline, potential, budding, growth, mature: the first rule that matches wins.")),
    Section("cev", _("§3 Current value (CEV)"), _("Income a customer brings per year, trailing 12 months.")),
    Section("cpv", _("§3 Potential value (CPV): growth"),
            _("Yearly growth of the customer's value, from the asset trend and the survey answers.")),
    Section("retention", _("§3 Potential value (CPV): retention and cost"),
            _("The yearly chance the customer stays, by stage and adjusted by survey answers and warnings.")),
    Section("quadrant", _("§4 Value quadrant"), _("CEV and CPV are each split at a percentile of the branch.")),
    Section("stars", _("§5 Value stars"), _("Customers ranked by CLV and cut by share, lowest first.")),
    Section("stp", _("§6 STP sub-types (4★ and 5★)"),
            _("Securities-trading or product-allocation type, and how often the customer trades.")),
    Section("elsewhere", _("Assets held at other brokers (IPO quota)"),
            _("New-share quota shows assets held elsewhere: units × value per unit against the assets held here.")),
)

LEGACY = "legacy"
P = Param

PARAMS = {
    "legacy_asset_bounds": P(
        _("Retail: net asset bounds of 2★ to 5★"), CNY,
        _("A customer above the first bound is 2★, above the second 3★, and so on; at or below the first is 1★."),
        LEGACY, rows=tuple((str(i), format_lazy(_("above: {star}"), star=f"{i + 2}★")) for i in range(4))),
    "legacy_income_bounds": P(
        _("Retail: net income bounds of 2★ to 5★"), CNY,
        _("Full-year net income at or above the first bound gives 2★, the second 3★, and so on."), LEGACY,
        rows=tuple((str(i), format_lazy(_("from: {star}"), star=f"{i + 2}★")) for i in range(4))),
    "legacy_inst_asset_bounds": P(
        _("Institutions: net asset bounds"), CNY,
        _("At or below the first: platinum; at or below the second: diamond; above: prestige."), LEGACY,
        rows=(("0", _("platinum up to")), ("1", _("diamond up to")))),
    "legacy_inst_income_bounds": P(
        _("Institutions: net income bounds"), CNY,
        _("At or below the first: platinum; at or below the second: diamond; above: prestige."), LEGACY,
        rows=(("0", _("platinum up to")), ("1", _("diamond up to")))),
    # §2
    "dormant_assets": P(_("Dormant: assets below"), CNY,
                        _("An effective customer whose total assets stay below this is dormant (churned)."),
                        "lifecycle"),
    "dormant_days": P(_("Dormant: for at least"), DAYS,
                      _("How long the assets must stay below the dormant amount."), "lifecycle"),
    "decline_window_days": P(_("Decline: recent window"), DAYS,
                             _("The recent period compared with the baseline before it."), "lifecycle"),
    "decline_baseline_days": P(_("Decline: baseline period"), DAYS,
                               _("The period before the recent window whose average is the baseline."), "lifecycle"),
    "decline_trade_ratio": P(_("Decline: trades fell below"), SHARE,
                             _("Trades in the recent window below this share of the baseline average mean decline."),
                             "lifecycle"),
    "decline_min_baseline_trades": P(_("Decline: minimum baseline trades"), _("trades per 90 days"),
                                     _("Customers trading less than this in the baseline are not judged on trading."),
                                     "lifecycle"),
    "decline_product_drop": P(_("Decline: product holdings fell by"), SHARE,
                              _("Product holdings down by at least this share over the window mean decline."),
                              "lifecycle"),
    "decline_min_product_value": P(_("Decline: minimum product holdings"), CNY,
                                   _("Smaller product holdings 90 days ago are not judged on their drop."),
                                   "lifecycle"),
    "decline_outflow_share": P(_("Decline: net outflow of at least"), SHARE,
                               _("Net outflow over the window as a share of the assets at its start."), "lifecycle"),
    "growth_days_experienced": P(_("Growth window: experienced investors"), DAYS,
                                 _("Days after first funding a customer with investment experience (or unknown) "
                                   "stays in growth."), "lifecycle"),
    "growth_days_new_investor": P(_("Growth window: new investors"), DAYS,
                                  _("Days after first funding a customer without investment experience stays in "
                                    "growth."), "lifecycle"),
    "experienced_from_level": P(_("Experienced from survey level"), _("level 1–5"),
                                _("Questionnaire N question 6: from this level on the customer counts as "
                                  "experienced (2 = has bought funds or wealth products)."), "lifecycle"),
    "survey_max_age_months": P(_("Survey answers count for"), MONTHS,
                               _("Older answers are ignored (neutral values) and the explanation says so."),
                               "lifecycle"),
    # §3 CEV
    "exchange_fee_permille": P(_("Exchange fees deducted from commission"), PER_MILLE,
                               _("Handling fee 0.0341‰ plus regulator's fee 0.02‰ of the traded amount."), "cev"),
    "product_fee_rate": P(_("Product distribution fee"), PER_YEAR,
                          _("Share of product holdings earned per year (0.01 = 1 %)."), "cev"),
    "product_turnover": P(_("Product turnover"), _("times per year"),
                          _("How often product holdings are renewed per year."), "cev"),
    "deposit_spread": P(_("Cash-margin spread"), PER_YEAR,
                        _("Earned on the average cash balance (0.01 = 1 %)."), "cev"),
    "lending_spread": P(_("Margin-lending spread"), PER_YEAR,
                        _("Earned on the average margin debt (0.03 = 3 %)."), "cev"),
    # §3 CPV growth
    "discount_rate": P(_("Discount rate"), PER_YEAR, _("d in the CPV formula (0.08 = 8 %)."), "cpv"),
    "horizon_years": P(_("Horizon"), YEARS, _("H in the CPV formula: years projected."), "cpv"),
    "growth_min": P(_("Growth at least"), PER_YEAR, _("Lower cap of the growth rate g (−0.5 = −50 %)."), "cpv"),
    "growth_max": P(_("Growth at most"), PER_YEAR, _("Upper cap of the growth rate g (1 = +100 %)."), "cpv"),
    "growth_trend_weight": P(_("Weight of the 12-month asset trend"), RATIO,
                             _("Share of the asset trend that enters g."), "cpv"),
    "growth_plan_weight": P(_("Weight of planned extra investment"), RATIO,
                            _("Planned extra investment over assets (survey), times this, enters g."), "cpv"),
    "growth_expectation_weight": P(_("Weight of the expected return"), RATIO,
                                   _("Expected return (survey) above the neutral one, times this, enters g."), "cpv"),
    "neutral_expected_return": P(_("Neutral expected return"), PER_YEAR,
                                 _("The expected return taken when the customer gave none."), "cpv"),
    "growth_per_risk_level": P(_("Growth per risk level above C3"), PER_YEAR,
                               _("Added to g for each risk-tolerance level above C3."), "cpv"),
    # §3 retention
    "retention_by_stage": P(_("Retention by lifecycle stage"), SHARE,
                            _("The yearly chance a customer in each stage stays, before adjustments."), "retention",
                            rows=STAGE_ROWS),
    "retention_satisfaction_weight": P(_("Satisfaction adjustment"), RATIO,
                                       _("Times (satisfaction − 0.5) added to retention."), "retention"),
    "retention_loyalty_weight": P(_("Loyalty adjustment"), RATIO,
                                  _("Times (referral willingness − 0.5) added to retention."), "retention"),
    "retention_per_tenure_year": P(_("Added per year as a customer"), SHARE,
                                   _("Retention added for each year since the account opened."), "retention"),
    "retention_tenure_cap": P(_("Tenure adjustment at most"), SHARE,
                              _("Cap of the retention added for tenure."), "retention"),
    "retention_assets_elsewhere": P(_("Assets elsewhere adjustment"), SHARE,
                                    _("Added to retention when assets are held at another broker (negative)."),
                                    "retention"),
    "retention_open_warning": P(_("Open churn warning adjustment"), SHARE,
                                _("Added to retention while a churn warning is open (negative)."), "retention"),
    "retention_max": P(_("Retention at most"), SHARE, _("Upper cap of the yearly retention."), "retention"),
    "retention_source": P(_("Retention from"), "",
                          _("The rules above, or the active churn model's risk: retention = (1 − risk) to the power "
                            "365 / the model's horizon in days, capped like the rules. Customers without a score "
                            "keep the rules."), "retention", choices=RETENTION_SOURCE_CHOICES),
    "neutral_satisfaction": P(_("Neutral satisfaction"), SHARE,
                              _("Taken for customers without survey answers."), "retention"),
    "neutral_loyalty": P(_("Neutral loyalty"), SHARE, _("Taken for customers without survey answers."), "retention"),
    "annual_cost_to_serve": P(_("Cost to serve"), _("CNY per year"),
                              _("Subtracted each year of the projection, discounted like the value."), "retention"),
    # §4
    "quadrant_percentile": P(_("High from the percentile"), PERCENTILE,
                             _("CEV and CPV above this percentile of the branch count as high (80 = the 80/20 "
                               "rule)."), "quadrant"),
    # §5
    "star_shares": P(_("Share of retail customers per star"), SHARE,
                     _("Five shares adding up to 1, lowest star first (0.16 = 16 %)."), "stars", rows=STAR_ROWS),
    "institution_shares": P(_("Share of institutions per grade"), SHARE,
                            _("Three shares adding up to 1, platinum first."), "stars", rows=INSTITUTION_ROWS),
    "demotion_runs": P(_("Demote after runs below the star"), _("nightly runs"),
                       _("A customer moves down only after ranking below its star this many nights in a row; up "
                         "moves are immediate."), "stars"),
    # §6
    "stp_dominant_share": P(_("Dominant share of assets"), SHARE,
                            _("Securities (or products) at or above this share decide the type; otherwise the larger "
                              "decides and the sub-type is marked weak."), "stp"),
    "stp_value_days": P(_("Value investing: holding period from"), DAYS,
                        _("An average holding period at least this long is type I."), "stp"),
    "stp_low_frequency_days": P(_("Low-frequency: holding period from"), DAYS,
                                _("At least this long (and below the value-investing period) is type II; shorter "
                                  "is type III."), "stp"),
    # assets elsewhere
    "quota_value_sh": P(_("Value per Shanghai quota unit"), CNY,
                        _("Market value one unit of Shanghai IPO quota stands for."), "elsewhere"),
    "quota_value_sz": P(_("Value per Shenzhen quota unit"), CNY,
                        _("Market value one unit of Shenzhen IPO quota stands for."), "elsewhere"),
    "elsewhere_ratio": P(_("Assets elsewhere: quota value over assets here"), RATIO,
                         _("Quota value at least this many times the market value held here means assets "
                           "elsewhere."), "elsewhere"),
    "elsewhere_min_gap": P(_("Assets elsewhere: minimum gap"), CNY,
                           _("And the quota value exceeds the value held here by at least this much."), "elsewhere"),
}

LABELS = PolicyLabels(TieringParams, SECTIONS, PARAMS)
