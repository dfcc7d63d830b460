"""Suitability on every boundary (products.md rules 1–5), first failing reason, overrides never touch 1–3."""
from datetime import date
from decimal import Decimal

import pytest

from customers.permissions import to_flags
from products import rules
from products.rules import Facts, ProductTerms, check

from .conftest import TODAY

CUTOFF = rules.assessment_cutoff(TODAY, 24)  # 2026-11-27 - 24 months + 1 day = 2024-11-28
ALL = frozenset(rules.MATRIX_COLUMNS) | {"4-", "5-"}


def facts(**kw):
    base = {"customer_id": 1, "risk_level": "C3", "risk_assessed_on": TODAY, "permission_flags": 0,
            "assets": Decimal(0), "star": "3", "stp_subtype": ""}
    return Facts(**{**base, **kw})


def terms(**kw):
    base = {"code": "P", "risk": "R3", "required_flags": 0, "min_investment": Decimal(0), "offered": ALL}
    return ProductTerms(**{**base, **kw})


def test_cutoff_is_24_months_back_plus_one_day():
    assert CUTOFF == date(2024, 11, 28)
    assert rules.assessment_cutoff(date(2026, 2, 28), 24) == date(2024, 2, 29)  # 2024-02-28 + 1 day (leap year)


@pytest.mark.parametrize("customer, product, reason", [
    ("C3", "R3", ""), ("C3", "R4", "risk_level"), ("C1", "R1", ""), ("C1", "R2", "risk_level"),
    ("C5", "R5", ""), ("C4", "R5", "risk_level"), ("", "R1", "risk_level"),
])
def test_rule1_risk_level(customer, product, reason):
    verdict = check(facts(risk_level=customer), terms(risk=product), cutoff=CUTOFF)
    assert verdict.reason == reason
    if reason:
        assert verdict.detail == {"customer": customer or "—", "product": product}


@pytest.mark.parametrize("assessed, risk, reason", [
    (date(2024, 11, 28), "R3", ""),  # last valid day is today (2026-11-27): still valid
    (date(2024, 11, 27), "R3", "assessment_expired"),  # last valid day was yesterday
    (None, "R2", "assessment_expired"),  # never assessed counts as expired (decision)
    (date(2020, 1, 1), "R1", ""),  # an expired assessment blocks everything above R1 only
])
def test_rule2_assessment_expiry_boundaries(assessed, risk, reason):
    verdict = check(facts(risk_assessed_on=assessed, risk_level="C5"), terms(risk=risk), cutoff=CUTOFF)
    assert verdict.reason == reason


def test_rule3_missing_one_of_two_permissions():
    product = terms(required_flags=to_flags(["margin", "options"]))
    verdict = check(facts(permission_flags=to_flags(["margin"])), product, cutoff=CUTOFF)
    assert (verdict.reason, verdict.detail) == ("permission", {"missing": ["options"]})
    assert check(facts(permission_flags=to_flags(["margin", "options", "neeq"])), product, cutoff=CUTOFF).matched


@pytest.mark.parametrize("assets, reason", [(999_999, "min_investment"), (1_000_000, ""),
                                            (Decimal("999999.99"), "min_investment")])
def test_rule4_minimum_investment_one_yuan_under(assets, reason):
    verdict = check(facts(assets=Decimal(assets)), terms(min_investment=Decimal(1_000_000)), cutoff=CUTOFF)
    assert verdict.reason == reason


def test_rule5_tier_matrix_and_first_failing_reason_order():
    only_4i = terms(offered=frozenset({"4-I"}))
    assert check(facts(star="4", stp_subtype="I"), only_4i, cutoff=CUTOFF).matched
    verdict = check(facts(star="4", stp_subtype="II"), only_4i, cutoff=CUTOFF)
    assert (verdict.reason, verdict.detail) == ("tier_matrix", {"column": "4-II"})
    # Every rule fails: the first one in products.md order is reported.
    worst = facts(risk_level="C2", risk_assessed_on=None, star="1")
    product = terms(risk="R4", required_flags=to_flags(["options"]), min_investment=Decimal(5), offered=frozenset())
    assert check(worst, product, cutoff=CUTOFF).reason == "risk_level"
    assert check(facts(risk_level="C4", risk_assessed_on=None), product, cutoff=CUTOFF).reason == "assessment_expired"
    assert check(facts(risk_level="C4"), product, cutoff=CUTOFF).reason == "permission"
    assert check(facts(risk_level="C4", permission_flags=to_flags(["options"])), product,
                 cutoff=CUTOFF).reason == "min_investment"
    assert check(facts(risk_level="C4", permission_flags=to_flags(["options"]), assets=Decimal(5)), product,
                 cutoff=CUTOFF).reason == "tier_matrix"


def test_overrides_waive_only_rules_4_and_5():
    product = terms(risk="R5", min_investment=Decimal(1_000_000), offered=frozenset({"5-I"}),
                    required_flags=to_flags(["options"]))
    both = (rules.MIN_INVESTMENT, rules.TIER_MATRIX)
    ok = facts(risk_level="C5", permission_flags=to_flags(["options"]), assets=Decimal(10), star="2")
    verdict = check(ok, product, cutoff=CUTOFF, waived=both)
    assert verdict.matched and verdict.detail == {"overridden": ["min_investment", "tier_matrix"]}
    assert check(ok, product, cutoff=CUTOFF, waived=(rules.MIN_INVESTMENT,)).reason == "tier_matrix"
    # Rules 1–3 stay whatever is "waived" (even if a caller passes the hard rules' names).
    everything = (*rules.REASONS,)
    assert check(facts(risk_level="C4", star="5", stp_subtype="I"), product, cutoff=CUTOFF,
                 waived=everything).reason == "risk_level"
    assert check(facts(risk_level="C5", risk_assessed_on=date(2024, 11, 27)), product, cutoff=CUTOFF,
                 waived=everything).reason == "assessment_expired"
    assert check(facts(risk_level="C5"), product, cutoff=CUTOFF, waived=everything).reason == "permission"


@pytest.mark.parametrize("star, subtype, column", [
    ("1", "", "1"), ("3", "", "3"), ("4", "II", "4-II"), ("5", "VI", "5-VI"), ("5", "", "5-"),
    ("prestige", "III", "5-III"), ("diamond", "IV", "4-IV"), ("platinum", "", "3"), ("", "", "1"),
])
def test_tier_columns(star, subtype, column):
    assert rules.column_for(star, subtype) == column


def test_virtual_column_needs_every_subtype():
    # X_JIJIN (shipped row): 4★ only IV–VI -> not offered to a 4★ customer without a sub-type.
    row = dict(zip(rules.MATRIX_COLUMNS, [0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]))
    assert "4-" not in rules.offered_columns(row) and "4-IV" in rules.offered_columns(row)
    assert {"4-", "5-"} <= rules.offered_columns(dict.fromkeys(rules.MATRIX_COLUMNS, 1))


@pytest.mark.django_db
def test_shipped_data_examples(make_customer):
    """products.md examples on the shipped catalogue: 鑫.两融 needs margin; 私募基金 C3 < R5."""
    from products import selectors

    ctx = selectors.match_context(TODAY)
    # C3, 3★, no permissions, 2 M assets
    customer = make_customer(risk="C3", star="3", assets=2_000_000)
    matched, excluded = rules.recommend(selectors.facts_for(customer), ctx.catalogue, cutoff=ctx.cutoff)
    why = {v.product: v.reason for v in excluded}
    assert why["X_LIANGRONG"] == "risk_level"  # R4 > C3, before the permission
    assert why["PRIVATE_FUND"] == "risk_level"
    # 3★ column, R3 or below, no permissions: GHDH X_TOUTIAO X_JIJIN X_GUANDIAN LIVE LEXIANG1 YOUHUA
    # STOCKPOOL JINTIANLI BOND1 REITS_TRUST(R5: no) JINTAIYANG -> R3-or-lower ticked in column 3
    assert [v.product for v in matched] == ["GHDH", "X_TOUTIAO", "X_JIJIN", "X_GUANDIAN", "LIVE", "LEXIANG1",
                                            "YOUHUA", "STOCKPOOL", "JINTIANLI", "BOND1", "JINTAIYANG"]
    c4 = make_customer(risk="C4", star="4", subtype="I", assets=0)
    why = {v.product: v for v in rules.recommend(selectors.facts_for(c4), ctx.catalogue, cutoff=ctx.cutoff)[1]}
    assert why["X_LIANGRONG"].reason == "permission" and why["X_LIANGRONG"].detail == {"missing": ["margin"]}


PARAMS = {"concentration_threshold": 0.7, "high_net_worth_assets": 6_000_000, "white_list_columns": ["5-III"],
          "financing_columns": ["5-IV", "5-V", "5-VI"],
          "holding_class_risk": {"securities": "R4", "equity_fund": "R4", "fixed_income": "R2",
                                 "reits_trust": "R5", "other_product": "R5"}}


def test_concentration_by_class_and_by_risk():
    # 70 of 100 in securities: exactly the threshold -> flagged; securities + equity funds = 90 % in R4.
    result = rules.concentration({"securities": 70, "equity_fund": 20, "fixed_income": 10, "reits_trust": 0,
                                  "other_product": 0}, PARAMS)
    assert result["flags"] == [{"kind": "class", "key": "securities", "share": Decimal("0.7")},
                               {"kind": "risk", "key": "R4", "share": Decimal("0.9")}]
    # 69 / 100 in securities, 69 + 0 in R4: below 70 % on both -> no flag
    calm = rules.concentration({"securities": 69, "equity_fund": 0, "fixed_income": 31, "reits_trust": 0,
                                "other_product": 0}, PARAMS)
    assert calm["flags"] == []
    # 50 securities + 30 equity funds = 80 % in R4 without any class at 70 %: risk only
    risk_only = rules.concentration({"securities": 50, "equity_fund": 30, "fixed_income": 20, "reits_trust": 0,
                                     "other_product": 0}, PARAMS)
    assert [f["kind"] for f in risk_only["flags"]] == ["risk"]
    assert rules.concentration(dict.fromkeys(PARAMS["holding_class_risk"], 0), PARAMS) is None


def test_diversifying_suggestions_skip_the_concentrated_class_and_risk():
    class V:
        def __init__(self, code, holding_class):
            self.code, self.holding_class = code, holding_class

    result = {"flags": [{"kind": "class", "key": "securities"}, {"kind": "risk", "key": "R4"}]}
    matched = [V("STOCKPOOL", "securities"), V("PUBLIC_FUND", "equity_fund"), V("BOND1", "fixed_income"),
               V("GHDH", ""), V("REITS_TRUST", "reits_trust")]
    assert [v.code for v in rules.diversifying(result, matched, PARAMS)] == ["BOND1", "REITS_TRUST"]


@pytest.mark.parametrize("kind, star, sub, assets, white, financing", [
    ("institutional", "platinum", "", 0, True, True),
    ("retail", "5", "III", 0, True, False),
    ("retail", "5", "V", 0, False, True),
    ("retail", "4", "III", 5_999_999, False, False),
    ("retail", "2", "", 6_000_000, True, True),
])
def test_white_list_and_financing_flags(kind, star, sub, assets, white, financing):
    flags = rules.service_flags(facts(kind=kind, star=star, stp_subtype=sub, assets=Decimal(assets)), PARAMS)
    assert (flags["white_list"], flags["financing"]) == (white, financing)
