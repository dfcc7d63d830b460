"""Tiering rules with hand-worked cases at and around every boundary (tiering.md §1–§6)."""
import numpy as np
import pandas as pd
import pytest

from customers.tiering import rules
from customers.tiering.params import TieringParams

P = TieringParams()
DAY = pd.Timestamp("2026-11-26")


def frame(**overrides):
    """One customer, effective and mature by default; each keyword is a column (scalar or list)."""
    base = dict(
        kind="retail", customer_code="C1", opened_on=pd.Timestamp("2015-01-05"),
        first_funded_on=pd.Timestamp("2015-01-10"), closed_on=pd.NaT, prior_experience="yes", risk_level="C3",
        commission_rate=1.0, exit_accepted=False, tenure_days=4000.0, assets_now=100_000.0,
        securities_now=60_000.0, equity_now=10_000.0, fixed_income_now=10_000.0, reits_now=0.0, other_now=0.0,
        cash_now=20_000.0, debt_now=0.0, assets_90=100_000.0, products_90=20_000.0, assets_then=100_000.0,
        then_days=365.0, avg_cash=20_000.0, avg_debt=0.0, avg_products=20_000.0, avg_securities=60_000.0,
        last_active_date=DAY, ever_held=True, trades_recent=10.0, trades_baseline=30.0, baseline_days=270.0,
        trades_ever=40.0, traded_12m=0.0, commission_recorded=0.0, traded_unrecorded=0.0, product_income=0.0,
        window_days=365.0, net_outflow_90=0.0, assets_elsewhere=np.nan, satisfaction=np.nan, loyalty=np.nan,
        planned_ratio=np.nan, expected_return=np.nan, open_warning=False,
    )
    base.update(overrides)
    n = max(len(v) if isinstance(v, list) else 1 for v in base.values())
    return pd.DataFrame({k: (v if isinstance(v, list) else [v] * n) for k, v in base.items()})


# §1 legacy star -------------------------------------------------------------
@pytest.mark.parametrize(
    "assets, income, star",
    [
        (10_000, 0, 1), (10_000.01, 0, 2), (200_000, 0, 2), (200_001, 0, 3), (1_000_000, 0, 3),
        (1_000_001, 0, 4), (3_000_000, 0, 4), (3_000_001, 0, 5),
        (0, 9_999.99, 1), (0, 10_000, 2), (0, 100_000, 3), (0, 299_999, 3), (0, 300_000, 4), (0, 500_000, 5),
        (250_000, 350_000, 4),  # the higher of the two levels
    ],
)
def test_legacy_retail(assets, income, star):
    assert rules.legacy_level(["retail"], [assets], [income], P)[0] == star


@pytest.mark.parametrize(
    "assets, income, star",
    [
        (100_000_000, 0, "platinum"), (100_000_001, 0, "diamond"), (500_000_000, 0, "diamond"),
        (500_000_001, 0, "prestige"), (0, 1_000_000, "platinum"), (0, 1_000_001, "diamond"),
        (0, 3_000_001, "prestige"),
    ],
)
def test_legacy_institutions(assets, income, star):
    level = rules.legacy_level(["institutional"], [assets], [income], P)
    assert rules.star_name(level, ["institutional"])[0] == star


def test_legacy_demotion_waits_for_the_next_annual_evaluation():
    # 2026: computed 2 below the kept 3 -> kept, under observation since 2026.
    level, observed, year = rules.legacy_with_observation(np.array([2]), [3], [False], [2025], 2026)
    assert (level[0], observed[0], year[0]) == (3, True, 2026)
    # A later run in 2026: still kept and observed since 2026.
    level, observed, year = rules.legacy_with_observation(np.array([2]), [3], [True], [2026], 2026)
    assert (level[0], observed[0], year[0]) == (3, True, 2026)
    # 2027's evaluation: still below -> drops.
    level, observed, _ = rules.legacy_with_observation(np.array([2]), [3], [True], [2026], 2027)
    assert (level[0], observed[0]) == (2, False)
    # Promotion is immediate and clears the observation.
    level, observed, _ = rules.legacy_with_observation(np.array([4]), [3], [True], [2026], 2026)
    assert (level[0], observed[0]) == (4, False)


# §2 lifecycle ------------------------------------------------------------------
def stage_of(**overrides):
    stage, reason, _days, _figure = rules.lifecycle(frame(**overrides), P, DAY)
    return stage[0], reason[0]


def test_stage_order_and_boundaries():
    assert stage_of() == ("mature", "past_growth_window")
    assert stage_of(closed_on=DAY) == ("churned", "closed")
    assert stage_of(exit_accepted=True) == ("churned", "exit_application")
    assert stage_of(opened_on=pd.NaT, first_funded_on=pd.NaT, trades_ever=0.0, ever_held=False) == \
        ("potential", "prospect")
    assert stage_of(first_funded_on=pd.NaT, trades_ever=0.0, ever_held=False) == ("budding", "not_effective")
    # funded but never traded nor held anything: not effective yet
    assert stage_of(trades_ever=0.0, ever_held=False) == ("budding", "not_effective")


@pytest.mark.parametrize(
    "experience, days_funded, stage",
    [("yes", 359, "growth"), ("yes", 360, "mature"), ("unknown", 359, "growth"), ("no", 1079, "growth"),
     ("no", 1080, "mature")],
)
def test_growth_window(experience, days_funded, stage):
    funded = DAY - pd.Timedelta(days=days_funded)
    assert stage_of(prior_experience=experience, first_funded_on=funded, opened_on=funded)[0] == stage


def test_dormant_after_180_days_below_100():
    assert stage_of(assets_now=99.0, last_active_date=DAY - pd.Timedelta(days=180)) == ("churned", "dormant")
    assert stage_of(assets_now=99.0, last_active_date=DAY - pd.Timedelta(days=179))[0] == "mature"
    assert stage_of(assets_now=100.0, last_active_date=DAY - pd.Timedelta(days=400))[0] == "mature"


def test_decline_rules():
    # baseline 30 trades over 270 days = 10 per 90 days; fewer than 5 in the last 90 days is a decline
    assert stage_of(trades_recent=4.0) == ("decline", "trading_fell")
    assert stage_of(trades_recent=5.0)[0] == "mature"
    # a baseline under 3 trades per 90 days is too thin to judge
    assert stage_of(trades_baseline=8.0, trades_recent=0.0)[0] == "mature"  # 8/270*90 = 2.67
    assert stage_of(trades_baseline=9.0, trades_recent=0.0)[0] == "decline"  # 3.0
    # products down by half or more over 90 days
    assert stage_of(products_90=40_000.0) == ("decline", "products_fell")  # 20k now = 50 % of 40k
    assert stage_of(products_90=39_999.0)[0] == "mature"
    # net outflow of 30 % of the assets 90 days ago
    assert stage_of(net_outflow_90=30_000.0) == ("decline", "outflow")
    assert stage_of(net_outflow_90=29_999.0)[0] == "mature"


# §3 value ------------------------------------------------------------------------
def test_cev_four_lines_and_recorded_income_wins():
    df = frame(commission_rate=1.0541, traded_unrecorded=1_000_000.0, commission_recorded=500.0,
               avg_products=100_000.0, avg_cash=50_000.0, avg_debt=200_000.0, window_days=365.0)
    # trading: 500 recorded + 1,000,000 × (1.0541 − 0.0541)‰ = 1,500; products: 100,000 × 0.5 % = 500;
    # cash: 50,000 × 1.5 % = 750; margin: 200,000 × 3 % = 6,000  -> 8,750
    assert rules.cev(df, P)[0] == pytest.approx(8_750)
    recorded = frame(product_income=300.0, window_days=365.0, avg_cash=0.0, avg_products=100_000.0)
    assert rules.cev(recorded, P)[0] == pytest.approx(300)  # recorded product income replaces the formula
    young = frame(commission_recorded=1_000.0, window_days=73.0, avg_cash=0.0, avg_products=0.0)
    assert rules.cev(young, P)[0] == pytest.approx(5_000)  # 73 days annualised: × 5


def test_cpv_worked_example():
    # CEV 10,000, g = 10 %, r = 0.9, d = 8 %, H = 5, cost to serve 100 a year.
    # q = 1.1 × 0.9 / 1.08 = 0.916667; Σ q^t (t = 1..5) = 0.916667 + 0.840278 + 0.770255 + 0.706067 + 0.647228
    #   = 3.880495 -> 38,804.95
    # a = 0.9 / 1.08 = 0.833333; Σ a^t = 0.833333 + 0.694444 + 0.578704 + 0.482253 + 0.401878 = 2.990612
    #   -> cost 299.06;  CPV = 38,804.95 − 299.06 = 38,505.89
    assert rules.cpv([10_000], [0.10], [0.9], P)[0] == pytest.approx(38_505.89, abs=0.05)


def test_growth_and_retention_inputs():
    neutral = frame(assets_then=100_000.0, then_days=365.0)
    assert rules.growth_rate(neutral, P)[0] == pytest.approx(0.0)
    doubled = frame(assets_then=50_000.0, then_days=365.0)  # trend +100 % -> 0.5 × 1.0
    assert rules.growth_rate(doubled, P)[0] == pytest.approx(0.5)
    bold = frame(risk_level="C5", expected_return=0.25, planned_ratio=0.5)  # 0.02×2 + 0.5×0.2 + 0.3×0.5
    assert rules.growth_rate(bold, P)[0] == pytest.approx(0.29)
    capped = frame(assets_then=1_000.0)
    assert rules.growth_rate(capped, P)[0] == pytest.approx(1.0)
    # mature 0.9 + tenure cap 0.05 = 0.95; satisfied (1.0) +0.1, loyal (1.0) +0.05 -> capped 0.99
    assert rules.retention_rate(frame(), ["mature"], P)[0] == pytest.approx(0.95)
    assert rules.retention_rate(frame(satisfaction=1.0, loyalty=1.0), ["mature"], P)[0] == pytest.approx(0.99)
    warned = frame(open_warning=True, assets_elsewhere=200_000.0, tenure_days=0.0)
    assert rules.retention_rate(warned, ["growth"], P)[0] == pytest.approx(0.85 - 0.15 - 0.1)
    assert rules.retention_rate(frame(), ["churned"], P)[0] == 0


# §4, §5 ------------------------------------------------------------------------
def test_quadrants_split_at_the_80th_percentile():
    cev = np.arange(1, 11, dtype=float)  # 80th percentile = 8.2
    cpv = np.arange(10, 0, -1, dtype=float)  # 80th percentile = 8.2
    quadrant, cuts = rules.quadrants(cev, cpv, P)
    assert cuts == (pytest.approx(8.2), pytest.approx(8.2))
    assert list(quadrant) == ["C", "C", "A", "A", "A", "A", "A", "A", "B", "B"]
    # Values equal to the cut are low: here the 80th percentile of [1, 1, 1, 9, 9] is 9 itself.
    quadrant, cuts = rules.quadrants([9.0, 9.0, 1.0, 1.0, 1.0], [9.0, 1.0, 9.0, 1.0, 1.0], P)
    assert cuts == (9.0, 9.0) and list(quadrant) == ["A"] * 5


def test_star_shares_and_tie_breaks():
    n = 1_000
    f = pd.DataFrame({"clv": np.arange(n, dtype=float), "cev": 0.0, "customer_code": [f"C{i:04d}" for i in range(n)]})
    level, top = rules.rank_levels(f, P.star_shares)
    assert np.bincount(level)[1:].tolist() == [160, 320, 320, 160, 40]
    assert level[0] == 1 and level[-1] == 5 and top[-1] == pytest.approx(0.001)
    tie = pd.DataFrame({"clv": [5.0, 5.0, 5.0], "cev": [2.0, 1.0, 1.0], "customer_code": ["C3", "C2", "C1"]})
    level, top = rules.rank_levels(tie, (1 / 3, 1 / 3, 1 / 3))
    assert level.tolist() == [3, 2, 1]  # higher CEV ranks above; then by customer code


def test_anti_flapping_over_three_runs_and_overrides():
    level, below, _ = rules.keep_or_move([3], [4], [0], [0], P)
    assert (level[0], below[0]) == (4, 1)
    level, below, _ = rules.keep_or_move([3], [4], [1], [0], P)
    assert (level[0], below[0]) == (4, 2)
    level, below, _ = rules.keep_or_move([3], [4], [2], [0], P)
    assert (level[0], below[0]) == (3, 0)  # third run below: moves down
    level, below, _ = rules.keep_or_move([5], [4], [2], [0], P)
    assert (level[0], below[0]) == (5, 0)  # up at once
    level, below, pinned = rules.keep_or_move([1], [4], [2], [5], P)
    assert (level[0], below[0], pinned[0]) == (5, 0, True)


# §6 STP -------------------------------------------------------------------------
def stp_of(**overrides):
    subtype, weak, *_rest = rules.stp(frame(**overrides), [True], P)
    return subtype[0], bool(weak[0])


def test_stp_type_by_dominant_share():
    # securities exactly 60 %: trading type; holding = 730 × 60,000 / 120,000 = 365 days -> II
    assert stp_of(securities_now=60.0, equity_now=20.0, fixed_income_now=0.0, cash_now=20.0,
                  traded_12m=120_000.0) == ("II", False)
    # products exactly 60 % (equity 45 of 60 = 75 %): product type IV
    assert stp_of(securities_now=40.0, equity_now=45.0, fixed_income_now=15.0, cash_now=0.0) == ("IV", False)
    # neither reaches 60 %: the larger (securities 50 % > products 40 %) decides, flagged weak; no trades -> I
    assert stp_of(securities_now=50.0, equity_now=0.0, fixed_income_now=40.0, cash_now=10.0) == ("I", True)
    # product type whose largest class is under 60 % of products: weak
    assert stp_of(securities_now=0.0, equity_now=40.0, fixed_income_now=50.0, reits_now=10.0, cash_now=0.0) == \
        ("V", True)
    assert stp_of(securities_now=0.0, equity_now=10.0, fixed_income_now=20.0, reits_now=70.0, cash_now=0.0) == \
        ("VI", False)


@pytest.mark.parametrize(
    "traded, subtype",
    [
        (30_000.0, "I"),  # 730 × 45,000 / 30,000 = 1,095 days: exactly 3 years
        (30_001.0, "II"),
        (365_000.0, "II"),  # 730 × 45,000 / 365,000 = 90 days: exactly 3 months
        (365_001.0, "III"),
        (0.0, "I"),  # no trades: infinite holding period
    ],
)
def test_holding_period_boundaries(traded, subtype):
    assert stp_of(securities_now=80.0, equity_now=0.0, fixed_income_now=0.0, cash_now=20.0,
                  avg_securities=45_000.0, traded_12m=traded)[0] == subtype


def test_stp_only_for_eligible_rows():
    rows = frame(securities_now=[80.0, 80.0], equity_now=0.0, fixed_income_now=0.0, cash_now=20.0)
    subtype, weak, *_ = rules.stp(rows, [True, False], P)
    assert list(subtype) == ["I", ""] and list(weak) == [False, False]
