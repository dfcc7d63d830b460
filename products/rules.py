"""Investor suitability (products.md): ONE per-customer decision, with the data it needs as plain values.

A product may be recommended, shown as suitable or pushed only if all hold, checked in this order
(the first failing rule is the reason):

1. ``risk_level``          customer Cn >= product Rn;
2. ``assessment_expired``  the risk assessment is still valid (policy: N months) — only above R1;
3. ``permission``          the customer holds every permission the product requires;
4. ``min_investment``      the customer's assets meet the product's minimum investment;
5. ``tier_matrix``         the customer's (star, sub-type) column is ticked in the eligibility matrix.

Rules 1–3 are evaluated before overrides are even looked at, so nothing can bypass them; an override
can only waive rule 4 and/or 5. The vectorised twin for many customers at once is ``products.batch``;
both use the helpers below, and a test checks they agree on random data.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from crm.dates import add_months

RISK_LEVEL = "risk_level"
ASSESSMENT_EXPIRED = "assessment_expired"
PERMISSION = "permission"
MIN_INVESTMENT = "min_investment"
TIER_MATRIX = "tier_matrix"
REASONS = (RISK_LEVEL, ASSESSMENT_EXPIRED, PERMISSION, MIN_INVESTMENT, TIER_MATRIX)
HARD_REASONS = (RISK_LEVEL, ASSESSMENT_EXPIRED, PERMISSION)  # never waivable
WAIVABLE = (MIN_INVESTMENT, TIER_MATRIX)

SUBTYPES = ("I", "II", "III", "IV", "V", "VI")
MATRIX_COLUMNS = ("1", "2", "3", *(f"4-{s}" for s in SUBTYPES), *(f"5-{s}" for s in SUBTYPES))
# Decision (products.md): institutions use the columns of the retail star they correspond to.
INSTITUTION_STAR = {"prestige": "5", "diamond": "4", "platinum": "3"}
GRADES = ("junior", "intermediate", "senior", "expert", "chief")
GRADE_RANK = {g: i + 1 for i, g in enumerate(GRADES)}


def rank(level):
    """'C3' / 'R3' -> 3; anything else (blank, unknown) -> 0, which fails every check."""
    if isinstance(level, str) and len(level) == 2 and level[0] in "CR" and level[1] in "12345":
        return int(level[1])
    return 0


def assessment_cutoff(today, valid_months):
    """The oldest assessment date still valid today.

    An assessment is valid for `valid_months` months: through the day before its anniversary, e.g. for
    24 months one made on 2024-11-28 is valid through 2026-11-27 and expired on 2026-11-28.
    """
    return add_months(today, -valid_months) + timedelta(days=1)


def column_for(star, subtype):
    """The eligibility-matrix column of a customer's current tier.

    Decisions: a customer not classified yet (no tier) uses the 1★ column (public channels);
    a 4★/5★ customer without a sub-type uses the virtual column "4-"/"5-", which offers a product
    only if every sub-type column of that star offers it.
    """
    star = INSTITUTION_STAR.get(star or "", star or "")
    if star in ("1", "2", "3"):
        return star
    if star in ("4", "5"):
        return f"{star}-{subtype}" if subtype in SUBTYPES else f"{star}-"
    return "1"


def offered_columns(row):
    """{column: 0/1} of one matrix row -> the set of columns (real and virtual) that offer the product."""
    cols = {c for c in MATRIX_COLUMNS if int(row.get(c, 0)) == 1}
    for star in ("4", "5"):
        if all(f"{star}-{s}" in cols for s in SUBTYPES):
            cols.add(f"{star}-")
    return cols


@dataclass(frozen=True)
class Facts:
    """What suitability needs to know about a customer."""

    customer_id: int
    risk_level: str
    risk_assessed_on: date | None
    permission_flags: int
    assets: Decimal
    star: str = ""
    stp_subtype: str = ""
    kind: str = "retail"


@dataclass(frozen=True)
class ProductTerms:
    code: str
    risk: str
    required_flags: int
    min_investment: Decimal
    offered: frozenset = field(default_factory=frozenset)  # matrix columns (offered_columns)


@dataclass(frozen=True)
class Verdict:
    product: str
    reason: str  # "" = matched
    detail: dict

    @property
    def matched(self):
        return not self.reason


def check(facts, terms, *, cutoff, waived=()):
    """Matched (reason "") or the first failing reason, with the figures behind it.

    `waived`: the rules an active manager override waives for this customer and product
    (only min_investment / tier_matrix are honoured; anything else is ignored).
    """
    if rank(facts.risk_level) < rank(terms.risk):
        return Verdict(terms.code, RISK_LEVEL, {"customer": facts.risk_level or "—", "product": terms.risk})
    if rank(terms.risk) > 1 and (facts.risk_assessed_on is None or facts.risk_assessed_on < cutoff):
        return Verdict(terms.code, ASSESSMENT_EXPIRED, {"assessed_on": facts.risk_assessed_on})
    missing = terms.required_flags & ~facts.permission_flags
    if missing:
        from customers.permissions import to_codes

        return Verdict(terms.code, PERMISSION, {"missing": to_codes(missing)})
    if Decimal(facts.assets or 0) < Decimal(terms.min_investment) and MIN_INVESTMENT not in waived:
        return Verdict(terms.code, MIN_INVESTMENT, {"assets": facts.assets, "minimum": terms.min_investment})
    column = column_for(facts.star, facts.stp_subtype)
    if column not in terms.offered and TIER_MATRIX not in waived:
        return Verdict(terms.code, TIER_MATRIX, {"column": column})
    waived_used = [r for r in WAIVABLE if r in waived]
    return Verdict(terms.code, "", {"overridden": waived_used} if waived_used else {})


def recommend(facts, catalogue, *, cutoff, overrides=None):
    """Every current product for one customer: (matched verdicts, excluded verdicts), catalogue order."""
    overrides = overrides or {}
    matched, excluded = [], []
    for terms in catalogue:
        verdict = check(facts, terms, cutoff=cutoff, waived=overrides.get(terms.code, ()))
        (excluded if verdict.reason else matched).append(verdict)
    return matched, excluded


def required_grade(levels, star, subtype):
    """The advisor grade a customer's column calls for ("" = none). `levels`: {column: grade}."""
    column = column_for(star, subtype)
    if column.endswith("-"):  # no sub-type: the lowest grade any sub-type of that star calls for
        grades = [levels.get(f"{column}{s}", "") for s in SUBTYPES]
        grades = [g for g in grades if g]
        return min(grades, key=GRADE_RANK.get) if grades else ""
    return levels.get(column, "")


def concentration(holdings, params):
    """Shares of the customer's invested holdings per holding class and per risk level (study 4.4.2).

    holdings: {holding class: value} (cash is not a holding and is left out — decision). Returns None
    without holdings, else {"class_shares", "risk_shares", "flags"} where each flag is
    {"kind": "class"|"risk", "key": ..., "share": ...} for a share >= the policy threshold.
    """
    values = {k: Decimal(v or 0) for k, v in holdings.items()}
    total = sum(v for v in values.values() if v > 0)
    if total <= 0:
        return None
    class_shares = {k: max(v, Decimal(0)) / total for k, v in values.items()}
    risk_shares = {}
    for cls, share in class_shares.items():
        level = params["holding_class_risk"].get(cls, "")
        risk_shares[level] = risk_shares.get(level, Decimal(0)) + share
    threshold = Decimal(str(params["concentration_threshold"]))
    flags = []
    for kind, shares in (("class", class_shares), ("risk", risk_shares)):
        key, share = max(shares.items(), key=lambda kv: kv[1])
        if share >= threshold:
            flags.append({"kind": kind, "key": key, "share": share})
    return {"class_shares": class_shares, "risk_shares": risk_shares, "flags": flags}


def diversifying(result, matched_versions, params):
    """Matched products that would move the customer away from every concentration flagged."""
    if not result or not result["flags"]:
        return []
    avoid_class = {f["key"] for f in result["flags"] if f["kind"] == "class"}
    avoid_risk = {f["key"] for f in result["flags"] if f["kind"] == "risk"}
    return [v for v in matched_versions
            if v.holding_class and v.holding_class not in avoid_class
            and params["holding_class_risk"].get(v.holding_class, "") not in avoid_risk]


def service_flags(facts, params):
    """White-list and equity/debt financing services (study 4.3.4 (3); products.md).

    White list: institutions, 5★ III (high-frequency traders), high-net-worth customers.
    Financing: institutions, 5★ product-allocation customers (IV–VI), high-net-worth customers.
    The columns and the high-net-worth line (6 M CNY, decision) are policy parameters.
    """
    column = column_for(facts.star, facts.stp_subtype)
    institution = facts.kind == "institutional"
    rich = Decimal(facts.assets or 0) >= Decimal(str(params["high_net_worth_assets"]))
    return {
        "white_list": institution or rich or column in params["white_list_columns"],
        "financing": institution or rich or column in params["financing_columns"],
        "institution": institution, "high_net_worth": rich,
    }
