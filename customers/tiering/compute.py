"""Phase A (per chunk, parallelisable): each customer's own values. Phase B (once, branch-wide): ranks,
quadrants, stars with anti-flapping and overrides, STP sub-types. Both are pure frame -> frame steps."""
import numpy as np
import pandas as pd

from crm.bulk import iso_dates

from . import rules
from .inputs import chunk_frame

NEUTRAL_NAMES = ("satisfaction", "loyalty", "planned_ratio", "expected_return")
RANKED_STAGES = ("budding", "growth", "mature", "decline")  # account open and not leaving


def customer_values(lo, hi, day, data_start, p, prev):
    """Phase A for ids in [lo, hi]: stage, CEV, CPV, CLV, legacy star, STP inputs. `prev`: last run's rows."""
    df = chunk_frame(lo, hi, day, data_start, p)
    if df.empty:
        return pd.DataFrame()
    stage, reason, days, figure = rules.lifecycle(df, p, day)
    cev = rules.cev(df, p)
    g = rules.growth_rate(df, p)
    r, r_source, r_scored_on = rules.retention(df, stage, p)
    cpv = rules.cpv(cev, g, r, p)
    prev = prev.reindex(df.index)
    legacy_computed = rules.legacy_level(df["kind"], df["ye_net_assets"], rules.legacy_income(df, p), p)
    legacy, observed, legacy_year = rules.legacy_with_observation(
        legacy_computed, rules.star_level(prev["legacy_star"].fillna("")), prev["legacy_observed"].fillna(False),
        prev["legacy_year"], day.year,
    )
    subtype, weak, sec_share, prod_share, holding, main_share = rules.stp(df, np.ones(len(df), bool), p)
    neutral = df[list(NEUTRAL_NAMES)].isna()
    return pd.DataFrame(
        {
            "customer_code": df["customer_code"], "kind": df["kind"],
            "advisor_id": df["advisor_id"], "investment_advisor_id": df["investment_advisor_id"],
            "lifecycle_stage": stage, "stage_reason": reason, "stage_days": days, "stage_figure": figure,
            "cev": np.round(cev, 2), "cpv": np.round(cpv, 2), "clv": np.round(cev + cpv, 2),
            "growth": g, "retention": r,
            "retention_source": r_source, "retention_scored_on": iso_dates(r_scored_on),
            "neutral_inputs": _names_where(neutral),
            "survey_on": iso_dates(df["survey_on"]), "survey_stale_on": iso_dates(df["survey_stale_on"]),
            "survey_max_age": p.survey_max_age_months,
            "assets_elsewhere": df["assets_elsewhere"].round(2),
            "legacy_star": rules.star_name(legacy, df["kind"]), "legacy_observed": observed,
            "legacy_year": legacy_year.astype(int),
            "stp_subtype": subtype, "stp_weak": weak, "securities_share": sec_share, "products_share": prod_share,
            "holding_days": holding, "main_product_share": main_share,
            "total_assets": df["assets_now"].round(2),
        },
        index=df.index,
    )


def _names_where(flags):
    """'satisfaction,loyalty' for each row: the names of the columns that are True (vectorised)."""
    text = pd.Series("", index=flags.index)
    for column in flags.columns:
        text = text + np.where(flags[column], column + ",", "")
    return text.str.rstrip(",")


def assign_tiers(values, p, prev, overrides):
    """Phase B over the whole branch: quadrant, value star (kept or moved), STP for 4★/5★ and institutions."""
    out = values.copy(deep=False)  # copy-on-write (pandas 3): the caller's frame stays as it was, no 2nd copy
    out["quadrant"] = ""
    out["computed_star"] = ""
    out["clv_top_share"] = np.nan
    out["cev_cut"] = np.nan  # the quadrant cut-offs of the customer's kind, for the change log's reasons
    out["cpv_cut"] = np.nan
    level = np.zeros(len(out), dtype=int)
    ranked = out["lifecycle_stage"].isin(RANKED_STAGES).to_numpy()
    for kind, shares in (("retail", p.star_shares), ("institutional", p.institution_shares)):
        mask = ranked & (out["kind"] == kind).to_numpy()
        if not mask.any():
            continue
        group = out.loc[mask]
        lv, top = rules.rank_levels(group[["clv", "cev", "customer_code"]], shares)
        level[mask] = lv
        out.loc[mask, "clv_top_share"] = top
        quadrant, (cev_cut, cpv_cut) = rules.quadrants(group["cev"], group["cpv"], p)
        out.loc[mask, "quadrant"] = quadrant
        out.loc[mask, "cev_cut"], out.loc[mask, "cpv_cut"] = cev_cut, cpv_cut
    out["computed_star"] = np.where(level > 0, rules.star_name(level, out["kind"]), "")
    prev = prev.reindex(out.index)
    prev_level = np.where(ranked, rules.star_level(prev["star"].fillna("")), 0)
    override_level = rules.star_level(overrides.reindex(out.index).fillna("")) * ranked
    final, below, pinned = rules.keep_or_move(level, prev_level, prev["below_runs"], override_level, p)
    final = np.where(ranked, final, 0)
    out["star"] = np.where(final > 0, rules.star_name(final, out["kind"]), "")
    out["below_runs"] = np.where(ranked, below, 0)
    out["overridden"] = pinned & ranked
    inst = (out["kind"] == "institutional").to_numpy()
    eligible = ranked & np.where(inst, final >= 2, final >= 4)
    out["stp_subtype"] = np.where(eligible, out["stp_subtype"], "")
    out["stp_weak"] = eligible & out["stp_weak"].astype(bool).to_numpy()
    return out
