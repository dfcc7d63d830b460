"""TierChange records its reason (issue 22): the rule of tiering.md that moved the customer and its figures, kept
as data and rendered in the reader's language (customer page, API tier history).

The book is test_tiering_batch's: 25 customers whose only income is interest on cash, so CEV = average cash over
the trailing year × 1.5 %, and the 16/32/32/16/4 % shares cut 25 ranked customers into 4, 8, 8, 4 and 1.
"""
from datetime import timedelta

import pytest
from django.utils import translation

from customers.models import Customer, TierChange, TierSnapshot
from customers.tests.test_tiering_batch import DAY, cash_snapshot, run, small_book
from customers.tiering.explain import change_reason


def change(customer, field, day):
    return TierChange.objects.get(customer=customer, field=field, date=day)


def test_demotion_promotion_and_quadrant_reasons(db):
    _wa, customers = small_book()
    top, second = customers[-1], customers[-2]  # B24 (cash 250,000: 5★), B23 (240,000: 4★)
    run(DAY)
    assert TierSnapshot.objects.get(customer=second, date=DAY).star == "4"
    for i in (1, 2, 3):  # the top customer's cash is gone, everyone else's grows tenfold a day
        day = DAY + timedelta(days=i)
        for c in customers:
            cash_snapshot(c, day, 0 if c == top else 10_000 * (customers.index(c) + 1) * 10 ** i)
        run(day)
    day1, day3 = DAY + timedelta(days=1), DAY + timedelta(days=3)

    # Day 1: B23 now ranks last of 25 by CLV from the top (position 24 of 0..24): 5★ at once, top 1/25 = 4 %.
    up = change(second, "star", day1)
    assert (up.old, up.new) == ("4", "5")
    assert up.reason["rule"] == "rank" and up.reason["top_share"] == pytest.approx(0.04)
    assert up.reason["clv"] == pytest.approx(float(TierSnapshot.objects.get(customer=second, date=day1).clv))

    # Day 1 quadrant of the top customer: its average cash (250,000 + 0) / 2 = 125,000 gives CEV 1,875; the
    # others' 10,000·k·(1 + 10) / 2 give 825·k (k = 1..24). The 80th percentile of the 25 sorted CEVs
    # [1,875, 825, 1,650, …] (1,875 sits between 825·2 and 825·3) is at rank 0.8 × 24 = 19.2:
    # 825·19 + 0.2 × (825·20 − 825·19) = 15,675 + 165 = 15,840. 1,875 is below it: low CEV now.
    moved = change(top, "quadrant", day1)
    assert moved.old in ("B", "D") and moved.new in ("A", "C")
    assert moved.reason["rule"] == "quadrant"
    assert moved.reason["cev"] == pytest.approx(1_875) and moved.reason["cev_cut"] == pytest.approx(15_840)
    assert moved.reason["percentile"] == 80

    # Day 3: ranked 1★ for three runs in a row, the top customer drops; it is now the lowest of 25 (top 100 %).
    down = change(top, "star", day3)
    assert (down.old, down.new) == ("5", "1")
    assert down.reason["rule"] == "demotion" and down.reason["runs"] == 3 and down.reason["computed"] == "1"
    assert down.reason["top_share"] == pytest.approx(1.0)
    # and below 4★ it has no sub-type any more (it was I: no trades, weak: 1,000 of securities beside cash)
    subtype = change(top, "stp_subtype", day3)
    assert (subtype.old, subtype.new) == ("I", "") and subtype.reason == {"rule": "not_eligible", "star": "1"}

    with translation.override("en"):
        assert change_reason(down.reason) == "ranked 1★ for 3 runs in a row (CLV in the top 100%)"
        assert change_reason(up.reason).endswith("ranks in the top 4%")
        assert change_reason(subtype.reason) == "no sub-type at 1★"
        assert change_reason(moved.reason).startswith("CEV 1,875 against the cut-off 15,840, CPV ")
        assert change_reason({}) == ""  # changes recorded before reasons were kept


def test_closing_an_account_records_the_stage_rule(db):
    _wa, customers = small_book()
    run(DAY)
    leaver = customers[0]  # 1★, quadrant A
    day = DAY + timedelta(days=1)
    Customer.objects.filter(pk=leaver.pk).update(closed_on=day)
    for i, c in enumerate(customers):
        cash_snapshot(c, day, 10_000 * (i + 1))
    run(day)
    stage = change(leaver, "lifecycle_stage", day)
    assert (stage.old, stage.new, stage.reason["rule"]) == ("mature", "churned", "closed")
    star = change(leaver, "star", day)
    assert (star.old, star.new, star.reason) == ("1", "", {"rule": "not_ranked", "stage": "churned"})
    assert change(leaver, "quadrant", day).reason == {"rule": "not_ranked", "stage": "churned"}
    with translation.override("en"):
        assert change_reason(stage.reason) == "account closed or transferred out"
        assert change_reason(star.reason) == "not ranked at stage churned"
    with translation.override("zh-hans"):
        assert change_reason(stage.reason) != "account closed or transferred out"  # translated (once merged)
