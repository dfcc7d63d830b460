"""Each rule at its thresholds, with hand-worked numbers (alerts.md). The rules read the database through
the scan's bulk inputs (batch.load), so these tests cover the reads too."""
from datetime import date, timedelta

import pandas as pd
import pytest

from alerts import batch, rules
from alerts.params import AlertParams
from customers.models import Application, CurrentTier, Event, Interaction

from .conftest import DAY, act, snap

P = AlertParams()


def fired(rule, day=DAY, params=P):
    frame = rules.RULE_FUNCTIONS[rule](batch.load(day, params), params)
    return {int(r.customer_id): r for r in frame.itertuples(index=False)}


def evidence(row):
    import json

    return json.loads(row.evidence)


# -- large outflow: transfer-out ≥ 100,000 or ≥ 30 % of the previous day's total assets (≥ 10,000 only)
def test_large_outflow_at_exactly_30_percent(make_customer):
    at, below, small, big = (make_customer() for _ in range(4))
    for c in (at, below):
        snap(c, DAY - timedelta(days=1), 200_000)
    act(at, DAY, transfer_out=60_000)  # 60,000 / 200,000 = 30.0 % → fires (≥)
    act(below, DAY, transfer_out=59_999.99)  # 29.99999 % → not
    snap(small, DAY - timedelta(days=1), 9_999)
    act(small, DAY, transfer_out=5_000)  # 50 % of 9,999, but customers < 10,000 are ignored
    snap(big, DAY - timedelta(days=1), 10_000_000)
    act(big, DAY, transfer_out=100_000)  # 1 % of assets, but 100,000 CNY → fires on the amount
    got = fired("large_outflow")
    assert set(got) == {at.pk, big.pk}
    ev = evidence(got[at.pk])
    assert ev["transfer_out"] == 60_000 and ev["previous_assets"] == 200_000 and ev["share"] == 0.3
    assert ev["previous_assets_on"] == "2026-11-25" and got[at.pk].level == "yellow"
    assert got[at.pk].owner_id == at.advisor_id


def test_large_outflow_amount_just_below(make_customer):
    c = make_customer()
    snap(c, DAY - timedelta(days=1), 1_000_000)
    act(c, DAY, transfer_out=99_999.99)  # < 100,000 and 10 % < 30 %
    act(c, DAY - timedelta(days=1), transfer_out=500_000)  # yesterday's outflow is not today's
    assert fired("large_outflow") == {}


# -- falling trading: last 30 days < 50 % of the monthly average of the 90 days before, baseline ≥ 4 / month
def _trades(customer, baseline, recent):
    act(customer, DAY - timedelta(days=60), trades=baseline)  # inside (D-120, D-30]
    if recent:
        act(customer, DAY - timedelta(days=5), trades=recent)  # inside (D-30, D]


def test_falling_trading_thresholds(make_customer):
    three_vs_4, two_vs_4, one_vs_4, low_base = (make_customer() for _ in range(4))
    _trades(three_vs_4, 12, 3)  # baseline 12 / 3 = 4 a month; 3 is not < 2 (50 % of 4)
    _trades(two_vs_4, 12, 2)  # 2 is not < 2 → not
    _trades(one_vs_4, 12, 1)  # 1 < 2 → fires
    _trades(low_base, 11, 0)  # 11 / 3 = 3.67 a month < 4: no baseline, never fires
    got = fired("falling_trading")
    assert set(got) == {one_vs_4.pk}
    ev = evidence(got[one_vs_4.pk])
    assert ev["recent_trades"] == 1 and ev["baseline_trades"] == 12 and ev["monthly_average"] == 4


def test_falling_trading_window_edges(make_customer):
    c = make_customer()
    act(c, DAY - timedelta(days=30), trades=12)  # D-30 belongs to the baseline window (D-120, D-30]
    act(c, DAY - timedelta(days=120), trades=50)  # D-120 is outside both windows
    got = fired("falling_trading")
    assert evidence(got[c.pk])["baseline_trades"] == 12 and evidence(got[c.pk])["recent_trades"] == 0


# -- P&L: cumulative over 60 days ≤ −20 % or ≥ +30 % of the assets at the start
def test_pnl_thresholds(make_customer, make_staff):
    ia = make_staff("investment_advisor")
    loss, small_loss, gain, small_gain = (make_customer() for _ in range(4))
    loss.investment_advisor = ia
    loss.save()
    start = DAY - timedelta(days=60)
    for c in (loss, small_loss, gain, small_gain):
        snap(c, start, 100_000)
    act(loss, DAY - timedelta(days=10), pnl=-15_000)
    act(loss, DAY - timedelta(days=3), pnl=-5_000)  # −20,000 / 100,000 = −20 % → fires (≤)
    act(small_loss, DAY, pnl=-19_999)  # −19.999 % → not
    act(gain, DAY, pnl=30_000)  # +30 % → fires (≥)
    act(small_gain, DAY, pnl=29_999)
    act(small_gain, start, pnl=50_000)  # the start day itself is outside (D-60, D]
    got = fired("pnl_threshold")
    assert set(got) == {loss.pk, gain.pk}
    assert evidence(got[loss.pk]) | {} == {"pnl": -20_000, "start_assets": 100_000, "start_on": start.isoformat(),
                                           "ratio": -0.2, "direction": "loss", "days": 60}
    assert evidence(got[gain.pk])["direction"] == "gain"
    assert got[loss.pk].owner_id == ia.pk  # the investment advisor owns it …
    assert got[gain.pk].owner_id == gain.advisor_id  # … falling back to the wealth advisor


# -- assets elsewhere: SH units × 10,000 + SZ units × 5,000 > 1.2 × market value held, gap ≥ 100,000
def test_assets_elsewhere_at_exactly_1_2_times(make_customer):
    from customers.models import IpoQuota

    exact, above, small_gap, gap_100k = (make_customer() for _ in range(4))
    snap(exact, DAY - timedelta(days=26), 600_000, securities=500_000)
    snap(above, DAY - timedelta(days=26), 600_000, securities=500_000)
    snap(small_gap, DAY - timedelta(days=26), 120_000, securities=100_000)
    snap(gap_100k, DAY - timedelta(days=26), 120_000, securities=100_000)
    q = DAY - timedelta(days=2)
    IpoQuota.objects.create(customer=exact, date=q, sh_units=30, sz_units=60)  # 300k + 300k = 600k = 1.2 × 500k
    IpoQuota.objects.create(customer=above, date=q, sh_units=31, sz_units=60)  # 610k > 600k, gap 110k → fires
    IpoQuota.objects.create(customer=small_gap, date=q, sh_units=19, sz_units=0)  # 190k > 120k but gap 90k
    IpoQuota.objects.create(customer=gap_100k, date=q, sh_units=20, sz_units=0)  # 200k, gap exactly 100k → fires
    got = fired("assets_elsewhere")
    assert set(got) == {above.pk, gap_100k.pk}
    ev = evidence(got[above.pk])
    assert ev["implied_value"] == 610_000 and ev["held_value"] == 500_000 and ev["estimated_elsewhere"] == 110_000


def test_closing_application_is_red_with_the_office_manager(make_customer, make_staff):
    manager = make_staff("office_manager")
    filed, withdrawn = make_customer(), make_customer()
    Application.objects.create(customer=filed, filed_on=DAY - timedelta(days=1), kind="transfer_out")
    Application.objects.create(customer=withdrawn, filed_on=DAY, kind="close", status="withdrawn")
    got = fired("closing_application")
    assert set(got) == {filed.pk} and got[filed.pk].level == "red"
    assert evidence(got[filed.pk]) == {"filed_on": "2026-11-25", "kind": "transfer_out"}
    full = batch.firings(DAY, P, pd.Timestamp("2026-11-26 09:00", tz="UTC").to_pydatetime())
    row = full[full["rule"] == "closing_application"].iloc[0]
    assert row["manager_id"] == manager.pk and row["owner_id"] == filed.advisor_id


def test_lifecycle_decline_fires_on_entering_decline(make_customer):
    """Only the customer the latest run moved into decline (a TierChange dated the current tier's as_of)."""
    from customers.models import TierChange

    entered, stayed, mature = make_customer(), make_customer(), make_customer()
    for c, stage in ((entered, "decline"), (stayed, "decline"), (mature, "mature")):
        CurrentTier.objects.create(customer=c, lifecycle_stage=stage, as_of=DAY, star="2")
    TierChange.objects.create(customer=entered, date=DAY, field="lifecycle_stage", old="mature", new="decline")
    TierChange.objects.create(customer=stayed, date=DAY - timedelta(days=10), field="lifecycle_stage",
                              old="growth", new="decline")  # in decline for 10 nights: no new firing
    got = fired("lifecycle_decline")
    assert set(got) == {entered.pk}
    assert got[entered.pk].fire_key == DAY.isoformat() and evidence(got[entered.pk])["from_stage"] == "mature"


# -- reminders
def test_id_expiry_within_30_days_or_expired(make_customer):
    at30, at31, expired = (make_customer(id_expires_on=DAY + timedelta(days=d)) for d in (30, 31, -5))
    got = fired("id_expiry")
    assert set(got) == {at30.pk, expired.pk}
    assert evidence(got[expired.pk])["days_left"] == -5 and got[at30.pk].fire_key == "2026-12-26"


def test_ipo_payment_only_when_cash_is_short(make_customer):
    short, enough = make_customer(), make_customer()
    for c, cash in ((short, 9_999.99), (enough, 10_000)):
        snap(c, DAY - timedelta(days=26), 50_000, cash=cash)
        Event.objects.create(customer=c, date=DAY - timedelta(days=1), kind="ipo_win", amount=10_000,
                             due_on=DAY + timedelta(days=1))
    got = fired("ipo_payment")
    assert set(got) == {short.pk}
    assert evidence(got[short.pk])["shortfall"] == 0.01


def test_rights_payment_due_within_the_lookahead(make_customer):
    soon, later = make_customer(), make_customer()
    Event.objects.create(customer=soon, date=DAY, kind="rights_issue", amount=5_000, due_on=DAY + timedelta(days=7))
    Event.objects.create(customer=later, date=DAY, kind="rights_issue", amount=5_000, due_on=DAY + timedelta(days=8))
    assert set(fired("rights_payment")) == {soon.pk}


def test_margin_ratio_warning_and_liquidation_lines(make_customer):
    cs = {r: make_customer() for r in (149.99, 150, 129.99, 130)}
    for r, c in cs.items():
        snap(c, DAY - timedelta(days=26), 300_000, securities=300_000, debt=200_000, ratio=r)
    got = fired("margin_ratio")
    assert set(got) == {cs[149.99].pk, cs[129.99].pk, cs[130].pk}  # 150.00 is not below 150
    assert got[cs[129.99].pk].level == "red" and got[cs[130].pk].level == "yellow"


def test_debt_maturity_within_7_days(make_customer):
    at7, at8 = make_customer(), make_customer()
    for c, d in ((at7, 7), (at8, 8)):
        Event.objects.create(customer=c, date=DAY - timedelta(days=175), kind="margin_debt_due", amount=80_000,
                             due_on=DAY + timedelta(days=d))
    got = fired("debt_maturity")
    assert set(got) == {at7.pk} and evidence(got[at7.pk])["days_left"] == 7


def test_assessment_expiry_after_24_months(make_customer):
    # assessed 2024-12-26 expires 2026-12-26 = D + 30 → fires; assessed 2024-12-27 expires D + 31 → not
    at30 = make_customer(risk_assessed_on=date(2024, 12, 26))
    make_customer(risk_assessed_on=date(2024, 12, 27))
    never = make_customer(risk_assessed_on=None)
    got = fired("assessment_expiry")
    assert set(got) == {at30.pk, never.pk}
    assert evidence(got[at30.pk])["expires_on"] == "2026-12-26"


def test_birthday_today_or_within_3_days(make_customer):
    today = make_customer(birth_date=date(1980, 11, 26))
    in3 = make_customer(birth_date=date(1990, 11, 29))
    make_customer(birth_date=date(1990, 11, 30))  # in 4 days
    make_customer(birth_date=date(1990, 11, 25))  # yesterday: next one is a year away
    got = fired("birthday")
    assert set(got) == {today.pk, in3.pk}
    assert evidence(got[in3.pk]) == {"birthday": "2026-11-29", "days_until": 3, "age": 36}


def test_birthday_across_new_year():
    from datetime import date as d

    from alerts.rules import ScanData, birthday

    customers = pd.DataFrame({"advisor_id": [1], "investment_advisor_id": [None],
                              "birth_date": pd.to_datetime(["1970-01-02"])}, index=pd.Index([7], name="customer_id"))
    data = ScanData(day=d(2026, 12, 30), customers=customers, activity=None, snapshots=None, quotas=None,
                    applications=None, events=None, tiers=None, contacts=None)
    got = birthday(data, P)
    assert list(got["customer_id"]) == [7] and got.iloc[0]["fire_key"] == "2027-01-02"  # 3 days later


def test_contact_due_fires_only_past_the_scheduled_date(make_customer):
    """Overdue means past the scheduled next contact (the contact plan), not "never contacted"."""
    past, today, future, unplanned = (make_customer() for _ in range(4))
    for c, next_on in ((past, DAY - timedelta(days=1)), (today, DAY), (future, DAY + timedelta(days=1))):
        c.next_contact_on, c.contact_cycle_months = next_on, 2
        c.save(update_fields=["next_contact_on", "contact_cycle_months"])
        CurrentTier.objects.create(customer=c, star="3", as_of=DAY)
    CurrentTier.objects.create(customer=unplanned, star="4", as_of=DAY)  # no plan yet: nothing is due
    got = fired("contact_due")
    assert set(got) == {past.pk}  # due today is not overdue yet
    ev = evidence(got[past.pk])
    assert ev["due_on"] == "2026-11-25" and ev["days_overdue"] == 1 and ev["every_months"] == 2
    assert got[past.pk].fire_key == "2026-11-25" and ev["star"] == "3"


def test_closed_accounts_are_not_scanned(make_customer):
    c = make_customer(closed_on=DAY - timedelta(days=1), id_expires_on=DAY)
    assert c.pk not in fired("id_expiry")


@pytest.mark.parametrize("field,value", [("outflow_share", 0.0), ("pnl_loss", 0.1), ("working_weekdays", [9]),
                                         ("holidays", ["2026-13-01"]), ("cooldown_days", {"nope": 1})])
def test_invalid_parameters_are_named(field, value):
    params = AlertParams.from_json({**AlertParams().to_json(), field: value})
    assert field in params.validate()


def test_parameter_errors_speak_the_readers_language():
    from django.utils import translation

    from customers.tiering.params import TieringParams

    alerts = AlertParams.from_json({**AlertParams().to_json(), "outflow_share": 2.0, "pnl_gain": -1.0})
    tiers = TieringParams.from_json({**TieringParams().to_json(), "star_shares": [0.5, 0.5, 0.5, 0.0, 0.0]})
    with translation.override("en"):
        assert alerts.validate() == {"outflow_share": "between 0 and 1", "pnl_gain": "above 0"}
        assert tiers.validate() == {"star_shares": "five non-negative shares adding up to 1"}
    with translation.override("zh-hans"):
        assert alerts.validate() == {"outflow_share": "介于 0 与 1 之间", "pnl_gain": "须大于 0"}
        assert tiers.validate() == {"star_shares": "五个非负比例，合计为 1"}
