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


def prepare(frame):
    """The per-customer arrays every product's pass reads, computed once per frame."""
    risk = frame["risk_level"].fillna("").astype(str)
    rank = np.zeros(len(frame), dtype=np.int8)
    for level, value in RISK_RANK.items():
        rank[(risk == level).to_numpy()] = value
    return {
        "rank": rank,
        "assessed": pd.to_datetime(frame["risk_assessed_on"]),
        "flags": frame["permission_flags"].astype("int64").to_numpy(),
        "assets": frame["f_assets"].astype(float).to_numpy(),
        "columns": tier_columns(frame),
    }


def reasons(frame, terms, *, cutoff, overrides=None, columns=None, prepared=None):
    """The reason ("" = matched) of `terms` for every customer row of a facts frame (selectors.facts_frame)."""
    p = prepared or prepare(frame)
    columns = p["columns"] if columns is None else columns
    product_rank = rules.rank(terms.risk)
    assessed = p["assessed"]
    expired = (product_rank > 1) & (assessed.isna() | (assessed < pd.Timestamp(cutoff))).to_numpy()
    required = int(terms.required_flags)
    waive_min, waive_matrix = _waivers(frame, overrides, terms.code)
    conditions = [
        p["rank"] < product_rank,
        expired,
        (p["flags"] & required) != required,
        (p["assets"] < float(terms.min_investment)) & ~waive_min,
        ~columns.isin(list(terms.offered)).to_numpy() & ~waive_matrix,
    ]
    return pd.Series(np.select(conditions, list(rules.REASONS), default=""), index=frame.index)


def reason_table(frame, catalogue, *, cutoff, overrides=None):
    """customers x products frame of reasons ("" = matched), indexed by customer id."""
    prepared = prepare(frame)
    table = pd.DataFrame(
        {t.code: reasons(frame, t, cutoff=cutoff, overrides=overrides, prepared=prepared).to_numpy()
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


def grade_by_column(levels):
    """{column (real or virtual): required grade} for every column a customer can fall in."""
    out = {}
    for column in (*rules.MATRIX_COLUMNS, "4-", "5-"):
        star, _, sub = column.partition("-")
        out[column] = rules.required_grade(levels, star, sub)
    return out


def staffing(customers, advisors, load, caps, levels):
    """Advisor grade fit and capacity, per advisor and per office.

    customers: frame (office_code, investment_advisor_id, ia_grade, f_star, f_subtype, n) counting open
    accounts by those values; advisors: frame (id, staff_code, name, office_code, role, grade);
    load: {staff id: customers served}; caps: {role: cap}; levels: {column: grade}.
    A customer whose column calls for a grade is "below grade" when the investment advisor serving
    them has a lower grade; one without an investment advisor is counted apart.
    """
    grade_rank = {g: i for g, i in rules.GRADE_RANK.items()}
    need = tier_columns(customers).map(grade_by_column(levels)).fillna("")
    c = customers.assign(required=need.to_numpy(), required_rank=need.map(grade_rank).fillna(0).to_numpy())
    c["ia_rank"] = c["ia_grade"].fillna("").map(grade_rank).fillna(0)
    c["has_ia"] = c["investment_advisor_id"].notna()
    needs = c["required_rank"] > 0
    c["needs"] = c["n"] * needs
    c["below"] = c["n"] * (needs & c["has_ia"] & (c["ia_rank"] < c["required_rank"]))
    c["no_ia"] = c["n"] * (needs & ~c["has_ia"])

    by_ia = c[c["has_ia"]].groupby("investment_advisor_id").agg(needs=("needs", "sum"), below=("below", "sum"))
    a = advisors.copy()
    a["load"] = a["id"].map(load).fillna(0).astype(int)
    a["cap"] = a["role"].map(caps).fillna(0).astype(int)
    a["over_cap"] = (a["load"] - a["cap"]).clip(lower=0)
    a["needs_grade"] = a["id"].map(by_ia["needs"]).fillna(0).astype(int)
    a["below_grade"] = a["id"].map(by_ia["below"]).fillna(0).astype(int)
    a = a.sort_values(["office_code", "below_grade", "over_cap", "staff_code"], ascending=[True, False, False, True])

    offices = c.groupby("office_code").agg(customers=("n", "sum"), needs_grade=("needs", "sum"),
                                           below_grade=("below", "sum"), without_ia=("no_ia", "sum"))
    offices["advisors_over_cap"] = a[a["over_cap"] > 0].groupby("office_code").size()
    offices = offices.fillna(0).astype(int)
    below = c[c["below"] > 0][["investment_advisor_id", "required", "below"]]
    return a.reset_index(drop=True), offices, below


HOLDING_VALUE_COLUMNS = {"securities": "securities_value", "equity_fund": "equity_fund_value",
                         "fixed_income": "fixed_income_value", "reits_trust": "reits_trust_value",
                         "other_product": "other_product_value"}


def concentration(holdings, params):
    """Vectorised rules.concentration over a frame (id + the snapshot's holding columns).

    Returns one row per customer with holdings: top class and its share, top risk level and its share,
    and whether each reaches the policy threshold.
    """
    values = holdings[list(HOLDING_VALUE_COLUMNS.values())].astype(float).clip(lower=0)
    values.columns = list(HOLDING_VALUE_COLUMNS)
    total = values.sum(axis=1)
    keep = total > 0
    values, total = values[keep], total[keep]
    class_shares = values.div(total, axis=0)
    risk_map = params["holding_class_risk"]
    risk_shares = class_shares.T.groupby(pd.Series({c: risk_map.get(c, "") for c in class_shares.columns})).sum().T
    threshold = float(params["concentration_threshold"])
    out = pd.DataFrame({
        "id": holdings.loc[keep.index[keep], "id"].to_numpy(),
        "top_class": class_shares.idxmax(axis=1).to_numpy(), "class_share": class_shares.max(axis=1).to_numpy(),
        "top_risk": risk_shares.idxmax(axis=1).to_numpy(), "risk_share": risk_shares.max(axis=1).to_numpy(),
    })
    # shares computed in floating point: 0.7 exactly must count as reaching 70 %
    out["class_flag"] = out["class_share"] >= threshold - 1e-9
    out["risk_flag"] = out["risk_share"] >= threshold - 1e-9
    return out


def suggestions(flags, facts, catalogue, versions, params, *, cutoff, overrides=None):
    """For flagged customers: a boolean frame (customer id x product code, catalogue order) of the matched
    products of another holding class and risk level. Turn rows into lists with `suggestion_lists`."""
    flagged = flags[flags["class_flag"] | flags["risk_flag"]]
    if flagged.empty:
        return pd.DataFrame(index=pd.Index([], name="id"))
    f = facts.set_index("id").loc[flagged["id"]].reset_index()
    risk_map = params["holding_class_risk"]
    candidates = [t for t in catalogue if versions[t.code].holding_class]
    table = reason_table(f, candidates, cutoff=cutoff, overrides=overrides)
    by_id = flagged.set_index("id")
    picks = {}
    for t in candidates:
        cls = versions[t.code].holding_class
        ok = (table[t.code] == "").to_numpy()
        ok = ok & ~(by_id["class_flag"].to_numpy() & (by_id["top_class"].to_numpy() == cls))
        ok = ok & ~(by_id["risk_flag"].to_numpy() & (by_id["top_risk"].to_numpy() == risk_map.get(cls, "")))
        picks[t.code] = ok
    return pd.DataFrame(picks, index=table.index)


def suggestion_lists(picks, ids):
    """{customer id: [product codes]} for some customers of a `suggestions` frame."""
    if picks.empty:
        return {i: [] for i in ids}
    sub = picks.reindex(list(ids)).fillna(False).astype(bool)
    codes = np.array(sub.columns)
    return {i: list(codes[row]) for i, row in zip(sub.index, sub.to_numpy())}
