"""The generated branch exercises every rule on its first night and carries six months of history (issue 22).

One 5,000-customer branch (seed 1, the demo's) goes through what `make demo` runs: generate_branch with the
previous night, reclassify, scan_alerts. The expectations come from the spec's rules applied to the written
rows (alerts.md, tiering.md, products.md), not from the generator's own parameters.
"""
import json
from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from alerts.models import Alert, AlertTransition
from alerts.params import RULES
from customers import permissions
from customers.generator import Generator, core, write
from customers.models import Application, CurrentTier, Customer, Interaction, Snapshot, TierSnapshot
from surveys.models import Answer, SurveyResponse

AS_OF = date(2026, 11, 26)  # a Thursday: the day's transfers are in the data
QUIET = open("/dev/null", "w")


@pytest.fixture
def first_night(db):
    call_command("generate_branch", customers=5000, seed=1, as_of=AS_OF, previous_night=True, stdout=QUIET)
    call_command("reclassify", date=AS_OF, stdout=QUIET)
    call_command("scan_alerts", date=AS_OF.isoformat(), stdout=QUIET)


def test_every_rule_fires_on_the_first_night(first_night):
    tonight = Alert.objects.filter(first_fired_on=AS_OF, opened_run_id__isnull=False)
    counts = dict(tonight.values_list("rule").annotate(n=Count("id")))
    assert {rule for rule in RULES if not counts.get(rule)} == set(), counts

    # margin_ratio (alerts.md): debt > 0 and maintenance ratio < 150 % on the latest snapshot; red below 130 %
    latest = Snapshot.objects.filter(date=AS_OF, margin_debt__gt=0)
    below = dict(latest.filter(maintenance_ratio__lt=150).values_list("customer_id", "maintenance_ratio"))
    fired = dict(tonight.filter(rule="margin_ratio").values_list("customer_id", "level"))
    assert set(fired) == set(below) and len(below) >= 3
    assert all(level == ("red" if below[pk] < 130 else "yellow") for pk, level in fired.items())

    # lifecycle_decline fires on entering: each was in another stage on the previous night
    entered = set(tonight.filter(rule="lifecycle_decline").values_list("customer_id", flat=True))
    before = dict(TierSnapshot.objects.filter(date=AS_OF - timedelta(days=1), customer_id__in=entered)
                  .values_list("customer_id", "lifecycle_stage"))
    assert len(before) == len(entered) and "decline" not in before.values()
    assert set(CurrentTier.objects.filter(customer_id__in=entered).values_list("lifecycle_stage", flat=True)) == {
        "decline"}

    # contact_due: the plan carried over from before the first night left some 3★-5★ customers past due
    due = tonight.filter(rule="contact_due")
    assert due.exists()
    assert not due.exclude(customer__next_contact_on__lt=AS_OF).exists()


def test_value_investors_among_4_and_5_stars(first_night):
    top = TierSnapshot.objects.filter(date=AS_OF, star__in=["4", "5"], customer__kind="retail")
    mix = Counter(top.values_list("stp_subtype", flat=True))
    assert set(mix) == {"I", "II", "III", "IV", "V", "VI"}
    # STP I = a trading type (securities ≥ 60 % of assets, or "weak": the larger of securities and products) with
    # a holding period ≥ 3 years (tiering.md §6); the generator makes
    # about a third of the securities-heavy books over 200k long-term holders: ~8 % of 4★/5★ (2 of ~580 before)
    assert 0.05 <= mix["I"] / sum(mix.values()) <= 0.15, mix
    held = top.filter(stp_subtype="I").values_list("securities_share", "products_share", "stp_weak", "holding_days")
    assert all((sec >= 0.6 or (weak and sec >= prod)) and (days is None or days >= 3 * 365)
               for sec, prod, weak, days in held)


def test_six_months_of_alert_history(first_night):
    history = Alert.objects.filter(opened_run_id__isnull=True)
    first = history.order_by("first_fired_on").values_list("first_fired_on", flat=True).first()
    assert AS_OF - timedelta(days=183) <= first < AS_OF - timedelta(days=150)
    assert set(history.values_list("status", flat=True)) == {"resolved", "dismissed"}
    assert not history.filter(closed_at__isnull=True).exists()
    outcomes = Counter(history.filter(status="resolved").exclude(rule="birthday").values_list("outcome", flat=True))
    assert {"retained", "funds_returned", "lost", "not_a_risk"} <= set(outcomes)
    assert history.filter(status="dismissed").exclude(dismiss_reason="").count() == history.filter(
        status="dismissed").count()
    # every step is recorded: opened first, then the way to the final status
    steps = AlertTransition.objects.filter(alert__in=history)
    assert steps.filter(action="opened").count() == history.count()
    assert steps.filter(to_status="resolved").count() == history.filter(status="resolved").count()
    # the contact that worked a resolved alert is an interaction of the same customer by the alert's owner
    contacts = steps.filter(action="contact").values_list("interaction_id", "alert__customer_id", "alert__owner_id")
    logged = dict((pk, (c, s)) for pk, c, s in Interaction.objects.values_list("id", "customer_id", "staff_id"))
    assert contacts and all(logged[pk] == (customer, owner) for pk, customer, owner in contacts)
    # churned customers warned before they left mostly read "lost"
    churned = history.filter(customer__closed_on__isnull=False, rule__in=["large_outflow", "falling_trading"])
    assert Counter(churned.values_list("outcome", flat=True)).most_common(1)[0][0] == "lost"
    # an event-like warning carries the rule's own key (alerts.rules: filed_on:kind), so tonight's scan sees the
    # application as handled instead of opening it again
    filed = {(c, f"{d.isoformat()}:{k}") for c, d, k in Application.objects.values_list("customer_id", "filed_on",
                                                                                        "kind")}
    keyed = set(history.filter(rule="closing_application").values_list("customer_id", "fire_key"))
    assert keyed and keyed <= filed
    assert not tonight_reopens(history)
    # escalated exactly when acknowledged after the due time
    for due, acked, escalated in history.exclude(level="reminder").filter(status="resolved").values_list(
            "due_at", "acknowledged_at", "escalated_at"):
        assert (escalated is not None) == (acked > due)


def tonight_reopens(history):
    """Closing alerts opened tonight for an application a history alert already worked."""
    worked = set(history.filter(rule="closing_application").values_list("customer_id", "fire_key"))
    tonight = Alert.objects.filter(rule="closing_application", opened_run_id__isnull=False)
    return worked & set(tonight.values_list("customer_id", "fire_key"))


def test_survey_history_keeps_the_failed_attempts(first_night):
    gen = SurveyResponse.objects.filter(source="gen")
    outcomes = Counter(gen.values_list("outcome", flat=True))
    attempts = sum(outcomes.values())
    assert set(outcomes) == {"completed", "hung_up", "no_answer", "refused"}
    assert 0.2 <= (outcomes["hung_up"] + outcomes["no_answer"]) / attempts <= 0.35
    months = {d.strftime("%Y-%m") for d in gen.values_list("surveyed_on", flat=True)}
    assert len(months) >= 6 and max(gen.values_list("surveyed_on", flat=True)) < AS_OF
    # a completed callback answers the seven S2020 questions; a failed attempt has no answers
    per = dict(Answer.objects.filter(response__source="gen").values_list("response_id").annotate(n=Count("id")))
    completed = set(gen.filter(outcome="completed").values_list("id", flat=True))
    assert set(per) == completed and set(per.values()) == {7}
    assert not Answer.objects.filter(response__source="gen", option__isnull=True).exists()


def test_every_permission_has_an_opening_date(db):
    call_command("generate_branch", customers=2000, seed=1, as_of=AS_OF, stdout=QUIET)
    rows = Customer.objects.exclude(permission_flags=0).values_list("permission_flags", "permission_dates",
                                                                    "opened_on")
    assert len(rows) > 100
    for flags, dates, opened in rows:
        dates = json.loads(dates) if isinstance(dates, str) else dates
        assert set(dates) == set(permissions.to_codes(flags))
        assert all(opened < date.fromisoformat(d) < AS_OF for d in dates.values())
    assert not Customer.objects.filter(permission_flags=0).exclude(permission_dates={}).exists()


def test_blocks_are_written_one_by_one(db, monkeypatch):
    """Three blocks of 150 customers: every block lands, the explicit ids link across blocks, and the sequences
    continue after them (PostgreSQL) so the application's own inserts do not collide."""
    monkeypatch.setattr(core, "BLOCK", 150)
    calls = []
    copy = write.copy_frame

    def recording(model, frame):
        calls.append((model.__name__, len(frame)))
        return copy(model, frame)

    monkeypatch.setattr(write, "copy_frame", recording)
    call_command("generate_branch", customers=400, seed=3, as_of=AS_OF, stdout=QUIET)
    assert [k for name, k in calls if name == "Customer"] == [150, 150, 100]
    assert Customer.objects.count() == 400
    linked = AlertTransition.objects.exclude(interaction_id=None).values_list("interaction_id", flat=True)
    assert set(linked) <= set(Interaction.objects.values_list("id", flat=True))
    top = Interaction.objects.aggregate(m=Max("id"))["m"]
    customer = Customer.objects.first()
    made = Interaction.objects.create(customer=customer, at=pd.Timestamp("2026-11-27T10:00:00Z"), channel="phone",
                                      summary="x")
    assert made.id > top
    alert = Alert.objects.filter(opened_run_id__isnull=True).order_by("-id").first()
    assert Alert.objects.create(customer=customer, rule="birthday", level="reminder", opened_at=made.at,
                                first_fired_on=AS_OF, last_fired_on=AS_OF).id > alert.id


def test_blocks_do_not_depend_on_the_writer():
    """build() is the concatenation of the blocks write_branch streams; each block has its own stream."""
    whole = Generator(900, seed=4, as_of=AS_OF).build()
    blocks = list(Generator(900, seed=4, as_of=AS_OF).blocks())
    pd.testing.assert_frame_equal(whole.snapshots, pd.concat([b["snapshots"] for b in blocks], ignore_index=True))
    assert whole.interactions["id"].is_unique and whole.alerts["id"].is_unique
    assert whole.survey_responses["id"].is_unique
