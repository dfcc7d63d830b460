"""Churn in the generated branch comes from a hidden process, not from the warning rules (issue 19).

What is checked is what a churn model can see: closings, applications, snapshots, activity and survey answers
of a 10,000-customer branch with 460 days of history (one block, seed 5). The churn dates come from tiering.md's
churned stage read on the rows (closed, an accepted application, dormant); the bounds are worked out from the
process's parameters in latent.py (docs/generator.md), not read back from a run.
"""
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from customers.generator import Generator
from customers.models import DailyActivity, Snapshot
from surveys.models import SurveyResponse

AS_OF = date(2026, 11, 26)
HISTORY = 460


@pytest.fixture(scope="module")
def branch():
    return Generator(10_000, seed=5, as_of=AS_OF, days=HISTORY, months=17, history_days=HISTORY).build()


def churn_dates(branch):
    """Per customer, the day it entered the churned stage by closing or an accepted application (NaT if not)."""
    c = branch.customers.set_index("id")
    closed = pd.to_datetime(c["closed_on"])
    apps = branch.applications[branch.applications["status"] == "accepted"]
    filed = pd.to_datetime(apps.groupby("customer_id")["filed_on"].min())
    return pd.concat([closed, filed.reindex(c.index)], axis=1).min(axis=1)


def test_churn_dates_spread_over_the_history(branch):
    """Four quarters back from the data date each see ~1-3 % of the customers effective at their start close or
    file: a weekly hazard of 0.00027·E[e^(1.4·d)]·(1 + 0.5/tenure) + 0.00045 with d of sd ~1.2 (E = e^(0.98·1.44)
    ≈ 4.1) is ~0.18 % a week, ~2.3 % a quarter, and three in four leavers close (the rest go dormant, read from
    snapshots); the closing follows the hazard's draw by 3-16 weeks of looking and 1-8 of draining."""
    c = branch.customers.set_index("id")
    gone = churn_dates(branch)
    funded = pd.to_datetime(c["first_funded_on"])
    rates = []
    for q in range(4):
        end = pd.Timestamp(AS_OF - timedelta(days=91 * q))
        start = end - pd.Timedelta(days=91)
        effective = funded.notna() & (funded <= start) & ~(gone <= start)
        left = effective & (gone > start) & (gone <= end)
        rates.append(left.sum() / effective.sum())
    assert all(0.008 <= r <= 0.04 for r in rates), rates
    assert max(rates) <= 2 * min(rates), rates  # roughly stable over time


def test_an_accepted_application_is_filed_by_its_closing(branch):
    c = branch.customers.set_index("id")
    apps = branch.applications
    accepted = apps[apps["status"] == "accepted"]
    closed = pd.to_datetime(c.loc[accepted["customer_id"], "closed_on"]).to_numpy()
    filed = pd.to_datetime(accepted["filed_on"]).to_numpy()
    assert len(accepted) > 100
    assert (pd.isna(closed) | (filed <= closed)).all()
    assert (filed <= np.datetime64(AS_OF - timedelta(days=3))).all()  # the last three days' are still "filed"


def test_some_leavers_go_dormant_with_the_account_open(branch):
    """An emptied account that stays open: month-end assets ≥ 100 CNY, then below 100 to the end."""
    s = branch.snapshots.sort_values(["customer_id", "date"])
    open_ids = set(branch.customers.loc[branch.customers["closed_on"].isna(), "id"])
    s = s[s["customer_id"].isin(open_ids)]
    low = s["total_assets"] < 100
    ends_low = low.groupby(s["customer_id"]).last()
    was_high = (~low).groupby(s["customer_id"]).any()
    dormant = ends_low & was_high
    assert dormant.sum() >= 30  # ~1/4 of ~8 % leavers a year of ~7,900 in play, minus the 180 days to show


def test_some_leavers_show_no_sign_and_some_stayers_look_bad(branch):
    """Silent leavers (a fifth of the hazard) empty the account within days of deciding: no transfer-out of
    20 % of their assets or more earlier than 25 days before they close (the ordinary withdrawals are 1-8 %).
    Money taken out and brought back, and money moved elsewhere by customers who stay, make large outflows that
    are not followed by churn."""
    act = branch.activity
    c = branch.customers.set_index("id")
    closed = pd.to_datetime(c["closed_on"]).dropna()
    recent = closed[closed >= pd.Timestamp(AS_OF - timedelta(days=300))]
    snaps = branch.snapshots[branch.snapshots["customer_id"].isin(recent.index)]
    snaps = snaps.assign(date=pd.to_datetime(snaps["date"]))
    snaps = snaps[snaps["date"] >= recent.reindex(snaps["customer_id"]).to_numpy() - pd.Timedelta(days=150)]
    peak = snaps.groupby("customer_id")["total_assets"].max()
    out = act[act["transfer_out"] > 0][["customer_id", "date", "transfer_out"]]
    out = out[out["customer_id"].isin(recent.index)]
    out = out.assign(date=pd.to_datetime(out["date"]))
    out["before"] = (recent.reindex(out["customer_id"]).to_numpy() - out["date"]).dt.days
    large = out["transfer_out"] >= 0.2 * peak.reindex(out["customer_id"]).to_numpy()
    early = set(out.loc[large & (out["before"] > 25), "customer_id"])
    quiet = 1 - len(early & set(recent.index)) / len(recent)
    assert 0.1 <= quiet <= 0.6, quiet

    big = act[act["transfer_out"] >= 100_000][["customer_id", "date"]]
    big = big[pd.to_datetime(big["date"]) <= pd.Timestamp(AS_OF - timedelta(days=120))]
    gone = churn_dates(branch)
    after = (gone.reindex(big["customer_id"]).to_numpy() - pd.to_datetime(big["date"]).to_numpy())
    stayed = ~(pd.to_timedelta(after) <= pd.Timedelta(days=90))
    assert stayed.mean() >= 0.3, stayed.mean()  # the large-outflow rule is far from a perfect warning


def test_unhappy_answers_come_before_leaving(branch):
    """Q6 (overall satisfaction) follows the hidden dissatisfaction at the call: after an "average" or
    "dissatisfied" answer customers leave within 150 days more often than after a "satisfied" one (d about
    1.5 sd higher at the call, fading at 0.96 a week; the hazard grows as e^(1.4 d))."""
    r = branch.survey_responses
    a = branch.survey_answers
    q6 = a[a["question"] == "Q6"].merge(r[["id", "customer_id", "surveyed_on"]], left_on="response_id",
                                         right_on="id")
    q6 = q6.assign(on=pd.to_datetime(q6["surveyed_on"]))
    q6 = q6[q6["on"] <= pd.Timestamp(AS_OF - timedelta(days=150))]  # a full 150 days after each answer
    gone = churn_dates(branch).reindex(q6["customer_id"]).to_numpy()
    left = (gone > q6["on"].to_numpy()) & (gone <= (q6["on"] + pd.Timedelta(days=150)).to_numpy())
    unhappy = q6["option"].isin(["C", "D"]).to_numpy()
    happy = (q6["option"] == "A").to_numpy()
    assert unhappy.sum() >= 150 and happy.sum() >= 1000
    assert left[unhappy].mean() >= 2 * left[happy].mean(), (left[unhappy].mean(), left[happy].mean())


def test_history_reaches_back_for_past_cut_offs(branch):
    """Cut-offs nine months back with 180-day windows: activity, snapshots, contacts, survey attempts and IPO
    quotas over the whole 460 days."""
    first = np.datetime64(AS_OF - timedelta(days=HISTORY))
    assert np.datetime64(branch.activity["date"].min()) <= first + 3
    assert len(branch.snapshots["date"].unique()) == 18  # 17 month-ends and the previous night
    assert pd.Timestamp(branch.snapshots["date"].min()) <= pd.Timestamp(AS_OF - timedelta(days=480))
    assert np.datetime64(pd.to_datetime(branch.interactions["at"]).min().date()) <= first + 14
    months = pd.to_datetime(branch.survey_responses["surveyed_on"]).dt.to_period("M").nunique()
    assert months >= 15
    assert pd.Timestamp(branch.ipo_quotas["date"].min()) <= pd.Timestamp(AS_OF - timedelta(days=400))
    assert pd.Timestamp(branch.alerts["first_fired_on"].min()) <= pd.Timestamp(AS_OF - timedelta(days=440))


def test_history_days_option_lengthens_days_and_months(db):
    call_command("generate_branch", customers=300, seed=2, as_of=AS_OF, history_days=400,
                 stdout=open("/dev/null", "w"))
    first = DailyActivity.objects.order_by("date").values_list("date", flat=True).first()
    assert AS_OF - timedelta(days=400) <= first <= AS_OF - timedelta(days=395)
    # ceil(400 / 30.4) + 1 = 15 month-ends, and the previous night
    assert Snapshot.objects.values("date").distinct().count() == 16
    oldest = SurveyResponse.objects.order_by("surveyed_on").values_list("surveyed_on", flat=True).first()
    assert oldest < AS_OF - timedelta(days=330)
