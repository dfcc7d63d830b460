"""Churn features and labels on a hand-built history whose answers are worked out here from the definitions
(alerts/churn/features.py, tiering.md's churned stage), and the no-leakage property: rows dated after the cut-off
change no feature."""
import math
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from django.utils import timezone

from alerts.churn.features import FEATURES, feature_frame, label_series, population
from alerts.tests.conftest import act, snap
from customers.models import Application, Interaction, IpoQuota, Role
from surveys import services as survey_services

C = date(2026, 6, 30)  # the cut-off
SATISFIED = {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}  # Q6 满意, Q5 愿意


def days(n):
    return C + timedelta(days=n)


def at_local(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def answer(actor, customer, on, **answers):
    survey_services.file_response(actor=actor, data={
        "questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
        "outcome": "completed", "date": on.isoformat(), "answers": {**SATISFIED, **answers}})


def declined(actor, customer, on):
    survey_services.file_response(actor=actor, data={
        "questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone", "outcome": "refused",
        "date": on.isoformat()})


def funded(make_customer, **kw):
    return make_customer(opened_on=date(2020, 1, 1), first_funded_on=date(2020, 1, 10), **kw)


def steady(customer, total=100_000, until=0):
    """Month-end-like snapshots every 30 days from C−210 to C+until, securities held (effective)."""
    for n in range(-210, until + 1, 30):
        snap(customer, days(n), total, securities=total * 0.8, cash=total * 0.2)


@pytest.fixture
def book(make_customer, make_staff):
    ops = make_staff(Role.OPERATIONS)
    leaver = funded(make_customer)  # outflow and falling trades, closes 20 days after the cut-off
    for n in (-180, -90, -30):
        snap(leaver, days(n), 100_000, securities=80_000, cash=20_000)
    snap(leaver, C, 50_000, securities=40_000, cash=10_000)
    act(leaver, days(-10), trades=3, transfer_out=50_000)
    for n in (-100, -80, -60):
        act(leaver, days(n), trades=3)
    leaver.closed_on = days(20)
    leaver.save()

    stayer = funded(make_customer, risk_level="C5", commission_rate="0.3500")  # steady; leaves after the horizon
    steady(stayer, until=120)
    Application.objects.create(customer=stayer, filed_on=days(-20), kind="close", status="withdrawn")
    Application.objects.create(customer=stayer, filed_on=days(100), kind="close", status="accepted")
    Interaction.objects.create(customer=stayer, at=at_local(days(-3)), channel="phone", summary="call")
    Interaction.objects.create(customer=stayer, at=at_local(days(-120)), channel="phone", summary="call")
    answer(ops.user, stayer, days(-10), Q6="B", Q5="B")  # 比较满意 0.75, 不愿意 0.0
    answer(ops.user, stayer, days(-40))  # older: the latest answer wins
    answer(ops.user, stayer, days(-800), Q6="D")  # older than the policy's 24 months
    IpoQuota.objects.create(customer=stayer, date=days(-5), sh_units=12, sz_units=0)  # 120,000 implied
    declined(ops.user, stayer, days(-50))
    declined(ops.user, stayer, days(-400))  # more than a year before

    exiting = funded(make_customer)
    steady(exiting)
    Application.objects.create(customer=exiting, filed_on=days(30), kind="transfer_out", status="accepted")

    fading = funded(make_customer)  # assets under 100 since C−100: dormant 180 days later, within the horizon
    snap(fading, days(-220), 5_000, securities=5_000)
    snap(fading, days(-100), 5_000, securities=5_000)
    for n in (-70, -40, -10, 20, 50, 80):
        snap(fading, days(n), 50, cash=50)

    gone = funded(make_customer, closed_on=days(-5))  # closed before the cut-off
    steady(gone)
    exited = funded(make_customer)  # accepted application filed before the cut-off
    steady(exited)
    Application.objects.create(customer=exited, filed_on=days(-15), kind="close", status="accepted")
    cash_only = funded(make_customer)  # funded, never traded nor held a product: not effective
    for n in (-60, -30, 0):
        snap(cash_only, days(n), 10_000, cash=10_000)
    asleep = funded(make_customer)  # dormant already at the cut-off (under 100 since C−200)
    snap(asleep, days(-200), 1_000, securities=1_000)
    for n in (-190, -100, 0):
        snap(asleep, days(n), 10, cash=10)
    return {"leaver": leaver, "stayer": stayer, "exiting": exiting, "fading": fading, "gone": gone,
            "exited": exited, "cash_only": cash_only, "asleep": asleep, "ops": ops}


def test_the_population_is_the_effective_customers_not_yet_churned(book):
    ids = set(population(C))
    assert ids == {book[k].pk for k in ("leaver", "stayer", "exiting", "fading")}


def test_labels_follow_the_churned_stage_within_the_horizon(book):
    labels = label_series(C, 90)
    assert labels[book["leaver"].pk]  # closed on C+20
    assert labels[book["exiting"].pk]  # accepted transfer filed on C+30
    assert labels[book["fading"].pk]  # under 100 from C−70, last ≥ 100 on C−100: 180 days on C+80
    assert not labels[book["stayer"].pk]  # its accepted application is filed on C+100, after the horizon
    assert not label_series(C, 60)[book["fading"].pk]  # on C+60 it has been under 100 for 160 days only


def test_features_of_the_hand_built_customers(book):
    frame = feature_frame(C)
    assert list(frame.columns) == FEATURES
    leaver, stayer = frame.loc[book["leaver"].pk], frame.loc[book["stayer"].pk]
    assert leaver["log_assets"] == pytest.approx(math.log10(50_001))
    assert leaver["assets_change_30"] == pytest.approx(-0.5)  # 100,000 → 50,000
    assert leaver["assets_change_180"] == pytest.approx(-0.5)
    assert leaver["net_outflow_30"] == pytest.approx(0.5)  # 50,000 out of the 100,000 of 30 days before
    assert leaver["trades_120"] == pytest.approx(math.log(1 + 12))
    # 3 trades in the last 30 days against 9 in the 90 before (3 per 30 days): ln((3+1)/(3+1)) = 0
    assert leaver["trading_vs_baseline"] == pytest.approx(0.0)
    assert leaver["trade_days_30"] == 1
    # one trading day in the last 30 against three in the 90 before (one per 30 days): ln((1+1)/(1+1)) = 0
    assert leaver["trade_days_vs_baseline"] == pytest.approx(0.0)
    assert leaver["cash_share_change_90"] == pytest.approx(0.0)  # 10,000 of 50,000 now, 20,000 of 100,000 then
    assert leaver["cash_share"] == pytest.approx(0.2)
    assert leaver["no_survey"] == 1 and math.isnan(leaver["satisfaction"])
    assert leaver["days_since_contact"] == 365  # never contacted: the cap
    assert leaver["pending_closing"] == 0

    assert stayer["assets_change_90"] == pytest.approx(0.0)
    assert stayer["risk_level"] == 5 and stayer["commission_rate"] == pytest.approx(0.35)
    assert stayer["survey_declined_365"] == 1 and leaver["survey_declined_365"] == 0
    assert stayer["tenure_years"] == pytest.approx((C - date(2020, 1, 1)).days / 365.25)
    assert (stayer["satisfaction"], stayer["referral"], stayer["no_survey"]) == (0.75, 0.0, 0.0)
    assert stayer["days_since_contact"] == 3 and stayer["contacts_90"] == 1
    assert stayer["pending_closing"] == 1  # filed C−20, withdrawn at some unrecorded date: pending then
    # quota implies 12 × 10,000 = 120,000 against 80,000 of securities held: 40,000 / (80,000 + 1,000)
    assert stayer["elsewhere_evidence"] == pytest.approx(40_000 / 81_000)


def test_rows_dated_after_the_cut_off_change_no_feature(book):
    before = feature_frame(C)
    leaver, stayer = book["leaver"], book["stayer"]
    for n in (1, 15, 29):
        snap(leaver, days(n), 1_000, securities=1_000)
        act(leaver, days(n), trades=20, transfer_out=40_000, pnl=-5_000, transfer_in=1)
        act(stayer, days(n), trades=1)
    Interaction.objects.create(customer=leaver, at=at_local(days(1), hour=0), channel="phone", summary="late")
    answer(book["ops"].user, leaver, days(1), Q6="D", Q5="B")
    declined(book["ops"].user, leaver, days(1))
    Application.objects.create(customer=leaver, filed_on=days(2), kind="close", status="filed")
    IpoQuota.objects.create(customer=leaver, date=days(1), sh_units=100, sz_units=100)
    after = feature_frame(C)
    pd.testing.assert_frame_equal(before, after)


def test_features_for_some_customers_only(book):
    both = feature_frame(C)
    one = feature_frame(C, customer_ids=[book["stayer"].pk])
    assert list(one.index) == [book["stayer"].pk]
    pd.testing.assert_series_equal(one.loc[book["stayer"].pk], both.loc[book["stayer"].pk])


def test_cut_offs_read_together_equal_each_read_alone(book):
    from alerts.churn.features import labelled_frames

    together = labelled_frames([days(-30), C], 90)
    for cutoff in (days(-30), C):
        pd.testing.assert_frame_equal(together[cutoff][0], feature_frame(cutoff))
        pd.testing.assert_series_equal(together[cutoff][1], label_series(cutoff, 90))
    # a month earlier the leaver's outflow (C−10) is still ahead
    assert together[days(-30)][0].loc[book["leaver"].pk, "net_outflow_30"] == 0
