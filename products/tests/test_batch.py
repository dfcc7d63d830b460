"""The vectorised matcher agrees with the per-customer rule on random data; set-based paths never loop in Python."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from customers.models import Role, Snapshot
from products import batch, rules, selectors

from .conftest import TODAY

CUTOFF = rules.assessment_cutoff(TODAY, 24)
STARS = ["", "1", "2", "3", "4", "5", "platinum", "diamond", "prestige"]
SUBS = ["", *rules.SUBTYPES]


def random_world(seed, n_customers=1500, n_products=30):
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({
        "id": np.arange(1, n_customers + 1),
        "risk_level": rng.choice(["C1", "C2", "C3", "C4", "C5", ""], n_customers),
        # around the cutoff, to hit the boundary days often; some never assessed
        "risk_assessed_on": [None if rng.random() < 0.1 else CUTOFF + timedelta(days=int(d))
                             for d in rng.integers(-3, 4, n_customers)],
        "permission_flags": rng.integers(0, 256, n_customers),
        # amounts near the minimums (in cents) so that one yuan / one cent either side occurs
        "f_assets": rng.choice([0, 399_999.99, 400_000, 999_999, 1_000_000, 1_000_000.01, 5e6], n_customers),
        "f_star": rng.choice(STARS, n_customers),
        "f_subtype": rng.choice(SUBS, n_customers),
    })
    customers["risk_assessed_on"] = pd.to_datetime(customers["risk_assessed_on"])
    catalogue = []
    for i in range(n_products):
        offered = {c for c in rules.MATRIX_COLUMNS if rng.random() < 0.5}
        row = {c: int(c in offered) for c in rules.MATRIX_COLUMNS}
        catalogue.append(rules.ProductTerms(
            code=f"P{i}", risk=f"R{rng.integers(1, 6)}", required_flags=int(rng.choice([0, 1, 3, 16, 17, 255])),
            min_investment=Decimal(str(rng.choice([0, 400_000, 1_000_000]))),
            offered=frozenset(rules.offered_columns(row))))
    picks = rng.choice(n_customers, 400)
    overrides = pd.DataFrame({
        "customer_id": customers["id"].to_numpy()[picks],
        "product": [f"P{i}" for i in rng.integers(0, n_products, 400)],
        "waive_min_investment": rng.random(400) < 0.6, "waive_tier_matrix": rng.random(400) < 0.6,
    }).groupby(["customer_id", "product"], as_index=False).any()
    return customers, catalogue, overrides


def per_customer(customers, catalogue, overrides):
    waivers = {}
    for o in overrides.itertuples():
        waivers[(o.customer_id, o.product)] = {r for r, on in ((rules.MIN_INVESTMENT, o.waive_min_investment),
                                                               (rules.TIER_MATRIX, o.waive_tier_matrix)) if on}
    out = {}
    for row in customers.itertuples():
        facts = rules.Facts(
            customer_id=row.id, risk_level=row.risk_level,
            risk_assessed_on=None if pd.isna(row.risk_assessed_on) else row.risk_assessed_on.date(),
            permission_flags=int(row.permission_flags), assets=Decimal(str(row.f_assets)), star=row.f_star,
            stp_subtype=row.f_subtype)
        for terms in catalogue:
            out[(row.id, terms.code)] = rules.check(facts, terms, cutoff=CUTOFF,
                                                    waived=waivers.get((row.id, terms.code), ())).reason
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_agrees_with_per_customer_on_random_data(seed):
    customers, catalogue, overrides = random_world(seed)
    table = batch.reason_table(customers, catalogue, cutoff=CUTOFF, overrides=overrides)
    expected = per_customer(customers, catalogue, overrides)
    got = {(cid, code): table.at[cid, code] for cid in table.index for code in table.columns}
    assert got == expected
    # the data really exercised every outcome
    assert set(expected.values()) == {"", *rules.REASONS}


def test_tier_columns_agree():
    frame = pd.DataFrame([(s, t) for s in STARS for t in SUBS], columns=["f_star", "f_subtype"])
    assert list(batch.tier_columns(frame)) == [rules.column_for(s, t) for s, t in zip(frame.f_star, frame.f_subtype)]


@pytest.mark.django_db
def test_database_frame_and_single_read_agree(staff, make_customer):
    """The SQL read for many (facts_frame) and for one (facts_for) give the same answers, incl. fallbacks."""
    wa = staff(Role.WEALTH_ADVISOR)
    rng = np.random.default_rng(7)
    for i in range(60):
        has_tier = i % 5 != 0  # no tier row: column 1, assets from the latest snapshot (or 0)
        c = make_customer(wa, risk=str(rng.choice(["C1", "C2", "C3", "C4", "C5"])),
                          assessed=None if i % 7 == 0 else date.today() - timedelta(days=int(rng.integers(0, 900))),
                          perms=list(rng.choice(["margin", "options", "hk_connect"], int(rng.integers(0, 3)),
                                                replace=False)),
                          assets=int(rng.choice([0, 400_000, 1_000_000, 2_000_000])), tier=has_tier,
                          star=str(rng.choice(STARS[1:])), subtype=str(rng.choice(SUBS)))
        if not has_tier and i % 2:
            for day, amount in ((date(2026, 9, 30), 50), (date(2026, 10, 31), 1_500_000)):
                Snapshot.objects.create(customer=c, date=day, total_assets=amount, securities_value=amount,
                                        equity_fund_value=0, fixed_income_value=0, reits_trust_value=0,
                                        other_product_value=0, cash=0, margin_debt=0)
    ctx = selectors.match_context()
    from customers.models import Customer

    frame = selectors.facts_frame(Customer.objects.all())
    table = batch.reason_table(frame, ctx.catalogue, cutoff=ctx.cutoff)
    from customers.selectors import latest_snapshot

    for customer in Customer.objects.select_related("tier"):
        facts = selectors.facts_for(customer)
        assert selectors.facts_from(customer, latest_snapshot(customer)) == facts  # the page's no-query path
        for terms in ctx.catalogue:
            assert table.at[customer.pk, terms.code] == rules.check(facts, terms, cutoff=ctx.cutoff).reason
    fallback = frame[frame["f_assets"] == 1_500_000]
    assert len(fallback) == 6  # i in 5, 15, ..., 55: no tier, odd -> the latest snapshot's 1.5 M


@pytest.mark.django_db
def test_push_list_never_calls_the_per_customer_rule(staff, make_customer, monkeypatch):
    wa = staff(Role.WEALTH_ADVISOR)
    for _ in range(20):
        make_customer(wa, risk="C4", star="3")
    bm = staff(Role.BRANCH_MANAGER, "ZS")

    def forbidden(*args, **kwargs):
        raise AssertionError("per-customer rule called by the bulk path")

    monkeypatch.setattr(rules, "check", forbidden)
    frame = selectors.push_list(bm.user, "PUBLIC_FUND", selectors.match_context())
    assert len(frame) == 20


@pytest.mark.django_db
def test_staffing_report_by_hand(staff, make_customer):
    """Advisor grades: 3★ intermediate, 4★ senior, 5★ I–II chief, 5★ III–VI expert (advisor_levels.csv)."""
    from customers.models import AdvisorCapacityPolicy, Customer
    from customers.scope import scope_for

    AdvisorCapacityPolicy.objects.create(wealth_advisor_cap=3, investment_advisor_cap=2, institutional_advisor_cap=1)
    wa = staff(Role.WEALTH_ADVISOR)
    junior = staff(Role.INVESTMENT_ADVISOR, grade="junior")
    expert = staff(Role.INVESTMENT_ADVISOR, grade="expert")
    make_customer(wa, star="3", investment_advisor=junior)  # needs intermediate: below
    make_customer(wa, star="5", subtype="III", investment_advisor=expert)  # needs expert: fine
    make_customer(wa, star="5", subtype="I", investment_advisor=expert)  # needs chief: below
    make_customer(wa, star="4", subtype="II")  # needs senior, no IA
    make_customer(wa, star="1", investment_advisor=junior)  # needs nothing
    make_customer(staff(Role.WEALTH_ADVISOR, "HY"), star="3")  # another office: out of scope
    customers, advisors, load = selectors.staffing_inputs(scope_for(staff(Role.OFFICE_MANAGER).user))
    assert customers["n"].sum() == 5 and set(customers["office_code"]) == {"CS"}  # not `far` (HY)
    levels = selectors.active_policies()["advisor_levels"].data
    people, offices, below = batch.staffing(customers, advisors, load, {"wealth_advisor": 3,
                                            "investment_advisor": 2, "institutional_advisor": 1},
                                            dict(zip(levels["columns"], levels["grades"])))
    cs = offices.loc["CS"]
    # 5 customers; grade called for by 4 (all but the 1★); below: the 3★ (junior) and the 5★ I (expert);
    # without IA: the 4★ II; over cap: WA serves 5 > 3; expert serves 2 = cap; junior serves 2 = cap.
    assert (cs.customers, cs.needs_grade, cs.below_grade, cs.without_ia, cs.advisors_over_cap) == (5, 4, 2, 1, 1)
    by_code = people.set_index("staff_code")
    assert (by_code.loc[wa.staff_code, "load"], by_code.loc[wa.staff_code, "over_cap"]) == (5, 2)
    assert by_code.loc[junior.staff_code, "below_grade"] == 1 and by_code.loc[expert.staff_code, "below_grade"] == 1
    assert sorted(below["required"]) == ["chief", "intermediate"]
    assert Customer.objects.count() == 6


def test_vectorised_concentration_agrees_with_per_customer():
    params = {"concentration_threshold": 0.7, "holding_class_risk": {
        "securities": "R4", "equity_fund": "R4", "fixed_income": "R2", "reits_trust": "R5", "other_product": "R5"}}
    rng = np.random.default_rng(11)
    cols = list(batch.HOLDING_VALUE_COLUMNS.values())
    # whole numbers, many zeros and exact 70/30 splits, so the threshold boundary is hit
    values = rng.choice([0, 0, 3, 7, 30, 70, 100], size=(2000, len(cols)))
    frame = pd.DataFrame(values, columns=cols)
    frame.insert(0, "id", np.arange(1, 2001))
    got = batch.concentration(frame, params).set_index("id")
    flagged = 0
    for row in frame.itertuples(index=False):
        holdings = {cls: getattr(row, col) for cls, col in batch.HOLDING_VALUE_COLUMNS.items()}
        expected = rules.concentration(holdings, params)
        if expected is None:
            assert row.id not in got.index
            continue
        kinds = {f["kind"] for f in expected["flags"]}
        assert (bool(got.at[row.id, "class_flag"]), bool(got.at[row.id, "risk_flag"])) == (
            "class" in kinds, "risk" in kinds), row
        flagged += bool(kinds)
    assert 0 < flagged < len(got)
