"""Suitability for many customers at once: the vectorised twin of rules.check.

One pass of numpy over all customers per product (25 products -> 25 passes), never a Python loop
over customers. A test checks on random data that it gives exactly the per-customer answers.
"""
import numpy as np
import pandas as pd

from . import rules

RISK_RANK = {f"C{i}": i for i in range(1, 6)}


def tier_columns(frame):
    """Vectorised rules.column_for over a facts frame (columns f_star, f_subtype)."""
    star = frame["f_star"].fillna("").astype(str).replace(rules.INSTITUTION_STAR)
    sub = frame["f_subtype"].fillna("").astype(str)
    high = star.isin(["4", "5"])
    with_sub = sub.isin(rules.SUBTYPES)
    out = np.where(star.isin(["1", "2", "3"]), star,
                   np.where(high & with_sub, star + "-" + sub, np.where(high, star + "-", "1")))
    return pd.Series(out, index=frame.index)


def _waivers(frame, overrides, code):
    """Boolean arrays (waive min investment, waive matrix) aligned with frame rows, for one product."""
    none = np.zeros(len(frame), dtype=bool)
    if overrides is None or overrides.empty:
        return none, none
    mine = overrides[overrides["product"] == code].set_index("customer_id")
    if mine.empty:
        return none, none
    ids = frame["id"]
    return (ids.map(mine["waive_min_investment"]).fillna(False).astype(bool).to_numpy(),
            ids.map(mine["waive_tier_matrix"]).fillna(False).astype(bool).to_numpy())


def reasons(frame, terms, *, cutoff, overrides=None, columns=None):
    """The reason ("" = matched) of `terms` for every customer row of a facts frame (selectors.facts_frame)."""
    columns = tier_columns(frame) if columns is None else columns
    product_rank = rules.rank(terms.risk)
    customer_rank = frame["risk_level"].map(RISK_RANK).fillna(0).to_numpy()
    assessed = pd.to_datetime(frame["risk_assessed_on"])
    expired = (product_rank > 1) & (assessed.isna() | (assessed < pd.Timestamp(cutoff))).to_numpy()
    required = int(terms.required_flags)
    flags = frame["permission_flags"].astype("int64").to_numpy()
    waive_min, waive_matrix = _waivers(frame, overrides, terms.code)
    conditions = [
        customer_rank < product_rank,
        expired,
        (flags & required) != required,
        (frame["f_assets"].astype(float).to_numpy() < float(terms.min_investment)) & ~waive_min,
        ~columns.isin(list(terms.offered)).to_numpy() & ~waive_matrix,
    ]
    return pd.Series(np.select(conditions, list(rules.REASONS), default=""), index=frame.index)


def reason_table(frame, catalogue, *, cutoff, overrides=None):
    """customers x products frame of reasons ("" = matched), indexed by customer id."""
    columns = tier_columns(frame)
    table = pd.DataFrame(
        {t.code: reasons(frame, t, cutoff=cutoff, overrides=overrides, columns=columns).to_numpy()
         for t in catalogue},
        index=frame["id"].to_numpy(),
    )
    return table


def suitable(frame, terms, *, cutoff, overrides=None, exclude_closed=True):
    """The rows of `frame` a product may be pushed to (matched; closed accounts left out — decision)."""
    keep = reasons(frame, terms, cutoff=cutoff, overrides=overrides) == ""
    if exclude_closed and "closed_on" in frame:
        keep &= frame["closed_on"].isna()
    return frame[keep]


def matched_counts(frame, catalogue, *, cutoff, overrides=None):
    """Per product: how many customers of the frame it matches, and how many fail for each reason."""
    table = reason_table(frame, catalogue, cutoff=cutoff, overrides=overrides)
    counts = table.apply(lambda col: col.value_counts()).fillna(0).astype(int).T
    counts = counts.rename(columns={"": "matched"})
    for col in ("matched", *rules.REASONS):
        if col not in counts:
            counts[col] = 0
    return counts[["matched", *rules.REASONS]]
