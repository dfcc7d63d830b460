"""The reclassification run on the database: shares, idempotence, atomicity, anti-flapping, overrides."""
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from crm.models import JobRun
from customers import services
from customers.models import (CurrentTier, Notification, Role, Snapshot, StarOverride, TierChange, TierSnapshot,
                              TierStaging)
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.tiering import batch

DAY = date(2026, 11, 26)


@pytest.fixture
def generated(db):
    call_command("generate_branch", customers=2_000, seed=11, as_of=DAY, stdout=open("/dev/null", "w"))


def run(day=DAY, **kwargs):
    result = services.run_reclassification(day=day, **kwargs)
    assert result.status == JobRun.Status.SUCCEEDED, result.error
    return result


def test_star_shares_within_one_customer(generated):
    run(chunk_size=700)  # three chunks, ranked together
    rows = TierSnapshot.objects.filter(date=DAY, customer__kind="retail").exclude(star="")
    n = rows.count()
    counts = Counter(rows.values_list("star", flat=True))
    for star, share in zip("12345", (0.16, 0.32, 0.32, 0.16, 0.04)):
        assert abs(counts[star] - share * n) <= 1, (star, counts[star], share * n)
    inst = Counter(TierSnapshot.objects.filter(date=DAY, customer__kind="institutional").exclude(star="")
                   .values_list("star", flat=True))
    assert set(inst) <= {"platinum", "diamond", "prestige"}
    # sub-types only for 4★ and 5★ (and diamond / prestige)
    assert not TierSnapshot.objects.filter(star__in="123").exclude(stp_subtype="").exists()
    assert TierSnapshot.objects.filter(star__in="45").exclude(stp_subtype="").count() == \
        TierSnapshot.objects.filter(star__in="45", customer__kind="retail").count()


def test_same_result_whatever_the_chunk_size(generated):
    run(chunk_size=50_000)
    one = dict(TierSnapshot.objects.values_list("customer_id", "star"))
    run(chunk_size=333)
    assert dict(TierSnapshot.objects.values_list("customer_id", "star")) == one


def test_rerun_replaces_the_days_snapshot(generated):
    first = run()
    second = run()
    assert TierSnapshot.objects.filter(date=DAY).count() == 2_000 == first.counts["customers"]
    assert second.counts["customers"] == 2_000
    assert not TierStaging.objects.exists()
    assert CurrentTier.objects.exclude(star="").count() == TierSnapshot.objects.exclude(star="").count()


def test_a_failure_mid_publish_leaves_the_previous_tiers(generated, monkeypatch):
    run()
    before = dict(CurrentTier.objects.values_list("customer_id", "star"))
    tomorrow = DAY + timedelta(days=1)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "_notify", explode)  # fails after the snapshot rows were written
    failed = services.run_reclassification(day=tomorrow)
    assert failed.status == JobRun.Status.FAILED and "disk full" in failed.error
    assert not TierSnapshot.objects.filter(date=tomorrow).exists()
    assert not TierChange.objects.filter(date=tomorrow).exists()
    assert dict(CurrentTier.objects.values_list("customer_id", "star")) == before
    assert not TierStaging.objects.exists()


def cash_snapshot(customer, day, cash):
    Snapshot.objects.create(customer=customer, date=day, total_assets=cash + 1000, securities_value=1000,
                            equity_fund_value=0, fixed_income_value=0, reits_trust_value=0,
                            other_product_value=0, cash=cash, margin_debt=0)


def small_book(with_user=False):
    """25 customers whose only income is interest on cash (CEV = average cash × 1.5 %).

    With 25 ranked customers the shares 16/32/32/16/4 % give exactly 4, 8, 8, 4 and 1 customers.
    """
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=with_user)
    customers = []
    for i in range(25):
        c = CustomerFactory(customer_code=f"B{i:02d}", advisor=wa, opened_on=date(2015, 1, 5),
                            first_funded_on=date(2015, 1, 10), prior_experience="yes")
        cash_snapshot(c, DAY, 10_000 * (i + 1))
        customers.append(c)
    return wa, customers


def test_demotion_waits_three_runs_and_promotion_is_immediate(db):
    wa, customers = small_book()
    top = customers[-1]  # the largest cash: the one 5★
    run(DAY)
    assert TierSnapshot.objects.get(customer=top, date=DAY).star == "5"
    # From the next day the top customer's cash is gone and everyone else's grows tenfold a day: by its average
    # cash (e.g. day 1: (250,000 + 0) / 2 = 125,000 against 55,000 × k for the others) it ranks among the 1★.
    day = DAY
    expected = ["5", "5", "1"]
    for i, star in enumerate(expected, start=1):
        day = DAY + timedelta(days=i)
        for c in customers:
            cash = 0 if c == top else 10_000 * (customers.index(c) + 1) * 10 ** i
            cash_snapshot(c, day, cash)
        run(day)
        snap = TierSnapshot.objects.get(customer=top, date=day)
        assert (snap.star, snap.computed_star) == (star, "1"), i
        assert snap.below_runs == (i if star == "5" else 0)
    change = TierChange.objects.get(customer=top, field="star")
    assert (change.date, change.old, change.new) == (day, "5", "1")
    note = Notification.objects.get(customer=top, kind="tier_change", detail__field="star")
    assert note.staff == wa and note.detail == {"field": "star", "old": "5", "new": "1"}


def test_override_pins_until_it_expires(db):
    _wa, customers = small_book()
    low = customers[0]
    StarOverride.objects.create(customer=low, star="4", reason="strategic account", expires_on=DAY)
    run(DAY)
    snap = TierSnapshot.objects.get(customer=low, date=DAY)
    assert (snap.star, snap.computed_star, snap.overridden) == ("4", "1", True)
    run(DAY + timedelta(days=1))  # expired yesterday: back to its rank (up moves are immediate, down after 3 runs)
    snap = TierSnapshot.objects.get(customer=low, date=DAY + timedelta(days=1))
    assert snap.overridden is False and snap.computed_star == "1" and snap.star == "4" and snap.below_runs == 1


def test_worker_path_with_staging_gives_the_same_tiers(generated):
    run(chunk_size=50_000)
    in_process = dict(TierSnapshot.objects.values_list("customer_id", "star"))
    started = services.start_reclassification(day=DAY, chunk_size=600)
    chunks = started.params["chunks"]
    assert len(chunks) == 4
    for lo, hi in reversed(chunks):  # any order, as workers would take them
        last = services.reclassify_chunk(started.pk, lo, hi)
    assert last is True and TierStaging.objects.count() == 2_000
    services.publish_reclassification(started.pk)
    started.refresh_from_db()
    assert started.status == JobRun.Status.SUCCEEDED and started.counts["customers"] == 2_000
    assert dict(TierSnapshot.objects.values_list("customer_id", "star")) == in_process
    assert not TierStaging.objects.exists()
    services.publish_reclassification(started.pk)  # a redelivered publish does nothing
    assert TierSnapshot.objects.filter(date=DAY).count() == 2_000


def test_advisor_sees_and_clears_their_notifications(db, client_for):
    wa, customers = small_book(with_user=True)
    top = customers[-1]
    run(DAY)
    for i in range(1, 4):
        day = DAY + timedelta(days=i)
        for c in customers:
            cash = 0 if c == top else 10_000 * (customers.index(c) + 1) * 10 ** i
            cash_snapshot(c, day, cash)
        run(day)
    client = client_for(wa)
    page = client.get("/customers/notifications/").content.decode()
    assert top.customer_code in page
    client.post("/customers/notifications/")
    assert not Notification.objects.filter(staff=wa, read_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reads_on_a_second_connection_give_the_same_frame(reference_data):
    """Outside a transaction the activity aggregate runs on a second connection (crm.bulk.read_beside):
    the chunk's frame must be the one the single-connection path reads."""
    from django.db import connection, transaction
    from pandas.testing import assert_frame_equal

    from customers.models import Customer
    from customers.tiering.inputs import activity_data_start, chunk_frame
    from customers.tiering.params import TieringParams

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    call_command("generate_branch", customers=300, seed=5, as_of=DAY, stdout=open("/dev/null", "w"))
    params, start = TieringParams(), activity_data_start()
    lo, hi = min(Customer.objects.values_list("id", flat=True)), 10**9
    beside = chunk_frame(lo, hi, DAY, start, params)
    with transaction.atomic():  # inside a transaction everything runs on this connection
        alone = chunk_frame(lo, hi, DAY, start, params)
    assert len(beside) == 300 and beside["trades_ever"].sum() > 0
    assert_frame_equal(beside, alone)


def test_report_cells_agree_with_the_snapshots_they_summarise(generated):
    """The report reads cells written at publish; counted here straight from the snapshot rows."""
    import pandas as pd

    from customers.models import Customer, TierMigrationCell, TierReport, TierReportCell
    from customers.tiering import reports

    run(day=DAY - timedelta(days=1))
    run()
    assert TierReportCell.objects.filter(date=DAY).exists()
    assert TierMigrationCell.objects.filter(date=DAY, date_from=DAY - timedelta(days=1)).exists()
    rows = pd.DataFrame(list(TierSnapshot.objects.filter(date=DAY).values(
        "customer_id", "star", "lifecycle_stage", "cev", "customer__office__code")))
    report = reports.tier_report(DAY)
    assert report["customers"] == 2_000
    ranked = rows[rows["star"] != ""]
    assert report["by_star"]["customers"].to_dict() == ranked["star"].value_counts().to_dict()
    assert report["by_star"].loc["5", "cev"] == pytest.approx(float(ranked.loc[ranked["star"] == "5", "cev"].sum()))
    assert report["stages"].to_dict() == rows["lifecycle_stage"].replace("", "—").value_counts().to_dict()
    by_office = pd.crosstab(ranked["customer__office__code"], ranked["star"])
    assert (report["by_office"].loc["CS"] == by_office.loc["CS", report["by_office"].columns]).all()
    before = dict(TierSnapshot.objects.filter(date=DAY - timedelta(days=1)).values_list("customer_id", "star"))
    after = dict(TierSnapshot.objects.filter(date=DAY).values_list("customer_id", "star"))
    moves = Counter((before[c] or "—", after[c] or "—") for c in after)
    stored = reports.migration(DAY - timedelta(days=1), DAY, "star")
    assert {(f, t): int(stored.loc[f, t]) for f in stored.index for t in stored.columns
            if stored.loc[f, t]} == dict(moves)
    # the report stored at publish (branch and each office) is the one computed from the cells
    for office_id in (None, Customer.objects.filter(office__code="HY").values_list("office_id", flat=True)[0]):
        kept, kept_moves, kept_from = reports.report_for(DAY, office_id)
        live = reports.tier_report(DAY, office_id)
        assert kept_from == DAY - timedelta(days=1) and kept["customers"] == live["customers"]
        for name in ("by_star", "by_office", "legacy_vs_value", "conversion"):
            pd.testing.assert_frame_equal(kept[name], live[name], check_dtype=False, check_index_type=False,
                                          check_column_type=False)
        assert kept["stages"].to_dict() == live["stages"].to_dict() and kept["funding"] == live["funding"]
        pd.testing.assert_frame_equal(kept_moves["star"], reports.migration(DAY - timedelta(days=1), DAY, "star",
                                                                            office_id), check_dtype=False)
    # without stored cells (a date published before they existed) the same figures come from one aggregate
    TierReportCell.objects.all().delete()
    TierMigrationCell.objects.all().delete()
    TierReport.objects.all().delete()
    assert reports.tier_report(DAY)["by_star"]["customers"].to_dict() == report["by_star"]["customers"].to_dict()
    assert reports.migration(DAY - timedelta(days=1), DAY, "star").equals(stored)


def test_re_running_an_earlier_date_refreshes_the_next_dates_moves(generated):
    """The report of a date shows the moves from the run before it: when that earlier run is redone (here a
    star pinned since), the later date's stored moves follow."""
    from customers.tiering import reports

    before_day = DAY - timedelta(days=1)
    run(day=before_day)
    run()
    snap = TierSnapshot.objects.filter(date=before_day, customer__kind="retail", star="2").first()
    StarOverride.objects.create(customer=snap.customer, star="5", reason="test", expires_on=DAY,
                                created_by=None)
    run(day=before_day)  # the earlier date again: that customer is now 5★ on it
    assert TierSnapshot.objects.get(customer=snap.customer, date=before_day).star == "5"
    _report, moves, day_from = reports.report_for(DAY)
    assert day_from == before_day
    rows = dict(TierSnapshot.objects.filter(date=before_day).values_list("customer_id", "star"))
    after = dict(TierSnapshot.objects.filter(date=DAY).values_list("customer_id", "star"))
    expected = Counter((rows[c] or "—", after[c] or "—") for c in after)
    stored = moves["star"]
    assert {(f, t): int(stored.loc[f, t]) for f in stored.index for t in stored.columns if stored.loc[f, t]} == \
        dict(expected)
