"""The synthetic branch: deterministic per seed, the study's customer mix, advisors within caps."""
from datetime import date

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from customers.generator import Generator, month_ends, snapshot_dates
from customers.models import Customer, CurrentTier, DailyActivity, Role, Snapshot, Staff

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def branch():
    return Generator(22_000, seed=7, as_of=AS_OF).build()


def test_same_seed_same_branch_other_seed_other_branch(branch):
    again = Generator(22_000, seed=7, as_of=AS_OF).build()
    for name in ("staff", "customers", "snapshots", "activity", "ipo_quotas", "applications", "events",
                 "interactions", "alerts", "alert_transitions", "survey_responses", "survey_answers"):
        pd.testing.assert_frame_equal(getattr(branch, name), getattr(again, name))
    other = Generator(22_000, seed=8, as_of=AS_OF).build()
    assert not branch.customers["name"].equals(other.customers["name"])


def test_customer_mix_follows_the_study(branch):
    c = branch.customers
    # 220,000 customers hold ~250 institutions, ~5,000 margin and ~2,000 restricted-stock accounts: scaled by 1/10.
    assert (c["kind"] == "institutional").sum() == 25
    margin = (c["permission_flags"] & 1) > 0
    # The 500 margin-segment customers, plus some wealthy customers who opened the permission without using it.
    assert 500 <= margin.sum() <= 0.045 * 22_000
    assert ((c["permission_flags"] & (1 << 5)) > 0).sum() == 200  # share_transfer = restricted-stock holders
    retail_rate = c.loc[c["kind"] == "retail", "commission_rate"]
    assert retail_rate.min() >= 0.2 and retail_rate.max() <= 3.0
    assert 0.01 < c["opened_on"].isna().mean() < 0.03  # prospects
    # churned: the hidden process (latent.py) closes ~2.5 % of the active retail book a quarter, three in four of the
    # leavers by closing (the rest go dormant), over the 13 months of this branch: ~7 % of all customers
    assert 0.05 < c["closed_on"].notna().mean() < 0.09


def test_assets_are_heavy_tailed(branch):
    last = branch.snapshots.loc[branch.snapshots["date"] == "2026-11-26", "total_assets"].sort_values(ascending=False)
    top_fifth = last.iloc[: len(last) // 5].sum() / last.sum()
    assert top_fifth > 0.75  # the 80/20 shape the value stars rely on


def test_snapshots_and_activity_shape(branch):
    dates = sorted(branch.snapshots["date"].unique())
    # 13 month-ends (the last is the data date) and the day before the data date, the previous night
    assert dates == [d.isoformat() for d in snapshot_dates(AS_OF, 13)]
    assert len(month_ends(AS_OF, 13)) == 13 and len(dates) == 14
    assert dates[0] == "2025-11-30" and dates[-2:] == ["2026-11-25", "2026-11-26"]
    s = branch.snapshots
    parts = s[["securities_value", "equity_fund_value", "fixed_income_value", "reits_trust_value",
               "other_product_value", "cash"]].sum(axis=1)
    assert np.allclose(parts, s["total_assets"], atol=0.011)
    assert (s[["securities_value", "cash", "margin_debt"]] >= 0).all().all()
    days = branch.activity["date"].nunique()
    assert days == 87  # weekdays from 2026-07-29 (120 days before the previous night) to 2026-11-26
    share = len(branch.activity) / (22_000 * days)
    # a trading day on ~29 % of days (beta(1.2, 3) mean) for the ~3/4 who trade, times the season of Aug-Nov (1, 0.8,
    # 0.75 in October) and the fading of unhappy and leaving customers: ~17 % of customer-days
    assert 0.13 < share < 0.21


def test_advisors_stay_within_caps_and_offices(branch):
    c, staff = branch.customers, branch.staff.set_index("id")
    caps = {Role.WEALTH_ADVISOR: 800, Role.INVESTMENT_ADVISOR: 400, Role.INSTITUTIONAL_ADVISOR: 40}
    for column in ("advisor_id", "investment_advisor_id"):
        load = c[column].dropna().astype(int).value_counts()
        for advisor_id, n in load.items():
            assert n <= caps[staff.at[advisor_id, "role"]]
        same_office = c.dropna(subset=[column])
        assert (same_office["office_id"].to_numpy() ==
                staff.loc[same_office[column].astype(int), "office_id"].to_numpy()).all()
    assert c.loc[c["kind"] == "institutional", "advisor_id"].map(staff["role"]).eq(Role.INSTITUTIONAL_ADVISOR).all()


def test_generate_branch_command_writes_everything(db):
    call_command("generate_branch", customers=400, seed=3, as_of=AS_OF, stdout=open("/dev/null", "w"))
    assert Customer.objects.count() == 400
    assert Staff.objects.filter(role=Role.BRANCH_MANAGER).count() == 1
    assert Snapshot.objects.filter(date=AS_OF).count() == CurrentTier.objects.filter(assets_on=AS_OF).count() > 280
    assert DailyActivity.objects.exists()
    first = list(Customer.objects.order_by("customer_code").values_list("customer_code", "name", "risk_level")[:50])
    call_command("generate_branch", customers=400, seed=3, as_of=AS_OF, replace=True, stdout=open("/dev/null", "w"))
    assert list(Customer.objects.order_by("customer_code").values_list("customer_code", "name", "risk_level")[:50]) \
        == first
