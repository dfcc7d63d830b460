"""The tiering rules of tiering.md, as whole-column (vectorised) functions over a per-customer frame.

Input columns (one row per customer, built by tiering.inputs):
  kind, customer_code, opened_on, first_funded_on, closed_on (Timestamps or NaT), prior_experience,
  risk_level, commission_rate, exit_accepted (bool), tenure_days,
  assets_now, securities_now, equity_now, fixed_income_now, reits_now, other_now, cash_now, debt_now,
  assets_90, products_90, assets_then, then_days, avg_cash, avg_debt, avg_products, avg_securities,
  last_active_date, ever_held, trades_recent, trades_baseline, baseline_days, trades_ever,
  traded_12m, commission_recorded, traded_unrecorded, product_income, window_days, net_outflow_90,
  ye_net_assets, ly_commission_recorded, ly_traded_unrecorded, ly_product_income, ly_avg_cash, ly_avg_debt,
  assets_elsewhere, satisfaction, loyalty, planned_ratio, expected_return, open_warning
Missing survey answers are NaN and take the policy's neutral values.
"""
import numpy as np
import pandas as pd

RETAIL_STARS = ("1", "2", "3", "4", "5")
INSTITUTION_STARS = ("platinum", "diamond", "prestige")
STAGES = ("potential", "budding", "growth", "mature", "decline", "churned")


def star_name(level, kind):
    """Level 1.. -> '1'..'5' or platinum/diamond/prestige; 0 -> ''."""
    retail = np.array(("",) + RETAIL_STARS, dtype=object)
    inst = np.array(("",) + INSTITUTION_STARS + ("prestige", "prestige"), dtype=object)
    level = np.asarray(level, dtype=int)
    return np.where(np.asarray(kind) == "institutional", inst[np.clip(level, 0, 5)], retail[np.clip(level, 0, 5)])


def star_level(star):
    order = {s: i + 1 for i, s in enumerate(RETAIL_STARS)} | {s: i + 1 for i, s in enumerate(INSTITUTION_STARS)}
    return pd.Series(star).map(order).fillna(0).astype(int).to_numpy()


# §1 legacy star -------------------------------------------------------------
def legacy_level(kind, net_assets, net_income, p):
    """Higher of the asset level and the income level (table 3-2)."""
    inst = np.asarray(kind) == "institutional"
    a, inc = np.nan_to_num(np.asarray(net_assets, float)), np.nan_to_num(np.asarray(net_income, float))
    retail_a = 1 + sum((a > b).astype(int) for b in p.legacy_asset_bounds)
    retail_i = 1 + sum((inc >= b).astype(int) for b in p.legacy_income_bounds)
    inst_a = 1 + sum((a > b).astype(int) for b in p.legacy_inst_asset_bounds)
    inst_i = 1 + sum((inc > b).astype(int) for b in p.legacy_inst_income_bounds)  # "income ≤ 1 M" is platinum
    return np.where(inst, np.maximum(inst_a, inst_i), np.maximum(retail_a, retail_i))


def legacy_with_observation(computed, prev_level, prev_observed, prev_year, year):
    """Promotion at once; a demotion waits for the next annual evaluation under observation.

    Returns (level, observed, year the state was set).
    """
    prev_level = np.asarray(prev_level, int)
    has_prev = prev_level > 0
    lower = has_prev & (computed < prev_level)
    waited = lower & np.asarray(prev_observed, bool) & (np.nan_to_num(np.asarray(prev_year, float)) < year)
    keep = lower & ~waited
    level = np.where(keep, prev_level, computed)
    observed = keep
    state_year = np.where(keep & np.asarray(prev_observed, bool), prev_year, year)
    return level, observed, state_year


# §2 lifecycle ----------------------------------------------------------------
def lifecycle(df, p, day):
    """(stage, reason code, days, figure) per customer; first matching rule wins, in the spec's order."""
    day = pd.Timestamp(day)
    funded = df["first_funded_on"].notna() & (df["first_funded_on"] <= day)
    effective = funded & ((df["trades_ever"] > 0) | df["ever_held"])
    closed = df["closed_on"].notna() & (df["closed_on"] <= day)
    since_active = (day - df["last_active_date"].fillna(df["first_funded_on"])).dt.days
    dormant = effective & (df["assets_now"].fillna(0) < p.dormant_assets) & (since_active >= p.dormant_days)

    baseline = np.where(df["baseline_days"] > 0, df["trades_baseline"] / df["baseline_days"].clip(lower=1) * 90, 0)
    trade_ratio = np.where(baseline > 0, df["trades_recent"] / np.where(baseline > 0, baseline, 1), np.nan)
    trading_fell = (
        (df["baseline_days"] >= 30) & (baseline >= p.decline_min_baseline_trades)
        & (df["trades_recent"] < p.decline_trade_ratio * baseline)
    )
    products_now = df[["equity_now", "fixed_income_now", "reits_now", "other_now"]].sum(axis=1)
    product_ratio = products_now / df["products_90"].where(df["products_90"] > 0)
    products_fell = (df["products_90"] >= p.decline_min_product_value) & (product_ratio <= 1 - p.decline_product_drop)
    outflow_share = df["net_outflow_90"] / df["assets_90"].where(df["assets_90"] > 0)
    outflow = outflow_share >= p.decline_outflow_share

    experienced = df["prior_experience"] != "no"
    window = np.where(experienced, p.growth_days_experienced, p.growth_days_new_investor)
    days_funded = (day - df["first_funded_on"]).dt.days

    conditions = [
        closed, df["exit_accepted"] & ~closed, dormant,
        effective & trading_fell, effective & products_fell, effective & outflow,
        df["opened_on"].isna() | (df["opened_on"] > day), ~effective,
        days_funded < window, pd.Series(True, index=df.index),
    ]
    stages = ["churned", "churned", "churned", "decline", "decline", "decline", "potential", "budding", "growth",
              "mature"]
    reasons = ["closed", "exit_application", "dormant", "trading_fell", "products_fell", "outflow", "prospect",
               "not_effective", "growth_window", "past_growth_window"]
    figures = [np.nan, np.nan, np.nan, trade_ratio, product_ratio, outflow_share, np.nan, np.nan, window, window]
    days = [np.nan, np.nan, since_active, np.nan, np.nan, np.nan, np.nan, np.nan, days_funded, days_funded]
    conds = [np.asarray(c, bool) for c in conditions]
    return (
        np.select(conds, stages, "mature"),
        np.select(conds, reasons, ""),
        np.select(conds, [np.asarray(d, float) for d in days], np.nan),
        np.select(conds, [np.broadcast_to(np.asarray(f, float), len(df)) for f in figures], np.nan),
    )


# §3 value --------------------------------------------------------------------
def net_commission_rate(df, p):
    return np.clip(df["commission_rate"].astype(float) - p.exchange_fee_permille, 0, None) / 1000


def cev(df, p):
    """Current value, CNY per year: four income lines; recorded income wins over the formula."""
    per_year = 365 / df["window_days"].clip(lower=1)
    trading = (df["commission_recorded"] + df["traded_unrecorded"] * net_commission_rate(df, p)) * per_year
    product = np.where(
        df["product_income"] > 0, df["product_income"] * per_year,
        df["avg_products"] * p.product_fee_rate * p.product_turnover,
    )
    cash = df["avg_cash"] * p.deposit_spread
    margin = df["avg_debt"] * p.lending_spread
    return (trading + product + cash + margin).fillna(0).clip(lower=0)


def legacy_income(df, p):
    """Full-year net income of the previous calendar year (same four lines, not annualised)."""
    trading = df["ly_commission_recorded"] + df["ly_traded_unrecorded"] * net_commission_rate(df, p)
    return (trading + df["ly_product_income"] + df["ly_avg_cash"] * p.deposit_spread
            + df["ly_avg_debt"] * p.lending_spread).fillna(0)


def growth_rate(df, p):
    """g: asset trend, planned investment and expected return (surveys), risk tolerance; capped."""
    years = df["then_days"] / 365
    ratio = df["assets_now"] / df["assets_then"].where(df["assets_then"] > 0)
    trend = np.where((years >= 0.5) & (ratio > 0), np.power(ratio.fillna(1).clip(lower=1e-9), 1 / years.clip(lower=0.5)) - 1, 0)
    plan = df["planned_ratio"].fillna(0)
    expectation = df["expected_return"].fillna(p.neutral_expected_return) - p.neutral_expected_return
    risk = pd.Series(df["risk_level"]).str[1:].astype(float).fillna(3) - 3
    g = (p.growth_trend_weight * trend + p.growth_plan_weight * plan + p.growth_expectation_weight * expectation
         + p.growth_per_risk_level * risk)
    return np.clip(g, p.growth_min, p.growth_max)


def retention_rate(df, stage, p):
    """r: lifecycle stage, satisfaction, loyalty (referral, tenure, assets elsewhere) and open churn warnings."""
    base = pd.Series(stage, index=df.index).map(p.retention_by_stage).astype(float)
    satisfaction = df["satisfaction"].fillna(p.neutral_satisfaction) - 0.5
    loyalty = df["loyalty"].fillna(p.neutral_loyalty) - 0.5
    tenure = np.minimum(df["tenure_days"].fillna(0) / 365 * p.retention_per_tenure_year, p.retention_tenure_cap)
    elsewhere = (df["assets_elsewhere"].fillna(0) > 0) * p.retention_assets_elsewhere
    warning = df["open_warning"].fillna(False).astype(bool) * p.retention_open_warning
    r = (base + p.retention_satisfaction_weight * satisfaction + p.retention_loyalty_weight * loyalty + tenure
         + elsewhere + warning)
    r = np.clip(r, 0, p.retention_max)
    return np.where(np.asarray(stage) == "churned", 0.0, r)


def retention(df, stage, p):
    """(r, source, scored_on): the rules' retention, or — with the policy's retention_source "model" — the
    learned churn risk's for the customers it scored: r = (1 − risk) ** (365 / horizon days) (a risk of leaving
    within the horizon, compounded to a year), capped like the rules' and 0 in the churned stage. source is ""
    under the rules policy, "model" or "rules" (no score: the fallback) under the model policy."""
    r = retention_rate(df, stage, p)
    empty = np.full(len(df), "", dtype=object)
    if p.retention_source != "model":
        return r, empty, pd.Series(pd.NaT, index=df.index)
    risk = df["model_risk"].astype(float) if "model_risk" in df else pd.Series(np.nan, index=df.index)
    horizon = df["model_horizon_days"].astype(float) if "model_horizon_days" in df else risk * np.nan
    scored = risk.notna().to_numpy() & (horizon > 0).to_numpy()
    yearly = np.power((1 - risk.clip(0, 1)).to_numpy(), 365 / horizon.where(horizon > 0, 1).to_numpy())
    from_model = np.where(np.asarray(stage) == "churned", 0.0, np.clip(yearly, 0, p.retention_max))
    on = df["model_scored_on"] if "model_scored_on" in df else pd.Series(pd.NaT, index=df.index)
    return (np.where(scored, from_model, r), np.where(scored, "model", "rules").astype(object),
            pd.to_datetime(on).where(scored))


def cpv(cev_values, g, r, p):
    """CPV = Σ_{t=1..H} CEV·(1+g)^t·r^t/(1+d)^t − cost to serve (its own discounted, retention-weighted sum)."""
    cev_values, g, r = (np.asarray(x, float) for x in (cev_values, g, r))
    value = np.zeros_like(cev_values)
    cost = np.zeros_like(cev_values)
    for t in range(1, p.horizon_years + 1):
        survive = np.power(r, t) / (1 + p.discount_rate) ** t
        value += cev_values * np.power(1 + g, t) * survive
        cost += p.annual_cost_to_serve * survive
    return value - cost


# §4 quadrants, §5 stars ------------------------------------------------------
def quadrants(cev_values, cpv_values, p):
    """A–D by splitting CEV and CPV at the policy percentile of the ranked population (strictly above = high)."""
    cev_values, cpv_values = np.asarray(cev_values, float), np.asarray(cpv_values, float)
    if len(cev_values) == 0:
        return np.array([], dtype=object), (0.0, 0.0)
    cut_cev = float(np.percentile(cev_values, p.quadrant_percentile))
    cut_cpv = float(np.percentile(cpv_values, p.quadrant_percentile))
    high_cev, high_cpv = cev_values > cut_cev, cpv_values > cut_cpv
    return np.select([high_cev & high_cpv, high_cev, high_cpv], ["D", "B", "C"], "A"), (cut_cev, cut_cpv)


def rank_levels(frame, shares):
    """Levels 1..len(shares) by share, lowest CLV first (ties: CEV, then customer code); and the top share."""
    n = len(frame)
    order = frame.sort_values(["clv", "cev", "customer_code"], kind="mergesort").index
    position = pd.Series(np.arange(n), index=order).reindex(frame.index).to_numpy()
    bounds = np.round(np.cumsum(shares)[:-1] * n).astype(int)
    level = 1 + np.searchsorted(bounds, position, side="right")
    top_share = (n - position) / max(n, 1)
    return level, top_share


def keep_or_move(computed, prev, prev_below, override_level, p):
    """Anti-flapping: up at once; down only after ranking below the star for `demotion_runs` runs; overrides pin.

    Returns (level, below_runs, overridden).
    """
    computed, prev = np.asarray(computed, int), np.asarray(prev, int)
    prev_below = np.nan_to_num(np.asarray(prev_below, float)).astype(int)
    override_level = np.nan_to_num(np.asarray(override_level, float)).astype(int)
    lower = (prev > 0) & (computed < prev)
    below = np.where(lower, prev_below + 1, 0)
    drop = lower & (below >= p.demotion_runs)
    level = np.where(lower & ~drop, prev, computed)
    below = np.where(drop, 0, below)
    overridden = override_level > 0
    return np.where(overridden, override_level, level), np.where(overridden, 0, below), overridden


# §6 STP sub-types ------------------------------------------------------------
def stp(df, eligible, p):
    """(sub-type, weak, securities share, products share, holding days, main product share) for eligible rows."""
    sec, cash = df["securities_now"].fillna(0), df["cash_now"].fillna(0)
    classes = df[["equity_now", "fixed_income_now", "reits_now"]].fillna(0)
    products = classes.sum(axis=1) + df["other_now"].fillna(0)
    total = (sec + products + cash).where(lambda t: t > 0)
    sec_share, prod_share = (sec / total).fillna(0), (products / total).fillna(0)
    trading = (sec_share >= p.stp_dominant_share) | ((prod_share < p.stp_dominant_share) & (sec >= products))
    weak = (sec_share < p.stp_dominant_share) & (prod_share < p.stp_dominant_share)
    traded_per_year = df["traded_12m"] * 365 / df["window_days"].clip(lower=1)
    holding = (365 * 2 * df["avg_securities"].fillna(0)) / traded_per_year.where(traded_per_year > 0)
    trading_type = np.select(
        [holding.isna() | (holding >= p.stp_value_days), holding >= p.stp_low_frequency_days], ["I", "II"], "III"
    )
    main_idx = classes.to_numpy().argmax(axis=1)
    main_share = (classes.max(axis=1) / products.where(products > 0)).fillna(0)
    product_type = np.array(["IV", "V", "VI"])[main_idx]
    subtype = np.where(trading, trading_type, product_type)
    weak = weak | (~trading & (main_share < p.stp_dominant_share))
    eligible = np.asarray(eligible, bool)
    return (
        np.where(eligible, subtype, ""),
        eligible & weak.to_numpy(),
        sec_share.to_numpy(),
        prod_share.to_numpy(),
        holding.to_numpy(),
        np.where(trading, np.nan, main_share),
    )
