"""Survey age (issue 22): the CPV reads only survey answers younger than the tiering policy's survey age (default
24 months) at the run date, and the explanation names the answer's date or says it was too old to be used.

Hand-worked on the 25-customer cash book of test_tiering_batch (opened and funded in January 2015, so mature on
2026-11-26, with a year of tenure credit well past its 5 % cap). The retention r of tiering.md §3 for such a
customer is: mature 0.90 + 0.2 × (satisfaction − 0.5) + 0.1 × (loyalty − 0.5) + tenure 0.05 (cap), at most 0.99.
  - no answer read (neutral 0.5 and 0.5): 0.90 + 0 + 0 + 0.05 = 0.95
  - the S2020 "satisfied, would refer" answer read (1.0 and 1.0): 0.90 + 0.10 + 0.05 + 0.05 = 1.10 → 0.99
"""
from datetime import date

import pytest
from django.utils import translation

from customers.models import TieringPolicy, TierSnapshot
from customers.tests.factories import StaffFactory
from customers.tests.test_tiering_batch import DAY, run, small_book
from customers.tiering.explain import explain
from customers.tiering.params import TieringParams
from surveys import services as survey_services

SATISFIED = {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}  # Q6 满意, Q5 愿意
ALL_NEUTRAL = "satisfaction,loyalty,planned_ratio,expected_return"


def answer(actor, customer, on):
    survey_services.file_response(actor=actor, data={
        "questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
        "outcome": "completed", "date": on.isoformat(), "answers": SATISFIED})


def snapshot(customer):
    return TierSnapshot.objects.get(customer=customer, date=DAY)


@pytest.fixture
def book(db):
    from customers.models import Role

    _wa, customers = small_book()
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True).user
    return ops, customers


def test_a_three_year_old_answer_is_ignored_and_the_explanation_says_so(book):
    ops, customers = book
    old, recent, untouched = customers[10], customers[11], customers[12]
    answer(ops, old, date(2023, 11, 20))  # three years before the run
    answer(ops, recent, date(2025, 11, 20))  # one year before
    run()

    stale = snapshot(old)
    assert stale.neutral_inputs == ALL_NEUTRAL  # the 2023 answer counts for nothing
    assert (stale.survey_on, stale.survey_stale_on, stale.survey_max_age) == (None, date(2023, 11, 20), 24)
    assert stale.retention == pytest.approx(0.95)  # as if never surveyed
    assert snapshot(untouched).retention == pytest.approx(0.95)

    fresh = snapshot(recent)
    assert fresh.neutral_inputs == "planned_ratio,expected_return"
    assert (fresh.survey_on, fresh.survey_stale_on) == (date(2025, 11, 20), None)
    assert fresh.retention == pytest.approx(0.99)

    with translation.override("en"):
        said = explain(stale)
        assert "the latest survey answer, of 2023-11-20, is over 24 months old and was not used" in said
        assert "neutral values used for: satisfaction, loyalty, planned investment, expected return" in said
        assert "no survey answers yet" not in said  # there is one: it is too old
        told = explain(fresh)
        assert "survey answers of 2025-11-20 used" in told and "was not used" not in told
        assert "neutral values used for: planned investment, expected return" in told
        assert "no survey answers yet, neutral values used for" in explain(snapshot(untouched))


def test_the_age_is_a_policy_value_and_younger_means_strictly_younger(book):
    ops, customers = book
    on_the_day, day_after = customers[10], customers[11]
    answer(ops, on_the_day, date(2024, 11, 26))  # exactly 24 months before 2026-11-26: not younger, not used
    answer(ops, day_after, date(2024, 11, 27))  # one day younger: used
    run()
    assert snapshot(on_the_day).survey_stale_on == date(2024, 11, 26)
    assert snapshot(on_the_day).retention == pytest.approx(0.95)
    assert snapshot(day_after).survey_on == date(2024, 11, 27)
    assert snapshot(day_after).retention == pytest.approx(0.99)

    # A policy of 36 months reads both (re-running the date replaces its snapshot)
    policy = TieringPolicy.objects.get(status=TieringPolicy.Status.ACTIVE)
    policy.params = {**policy.params, "survey_max_age_months": 36}
    policy.save(update_fields=["params"])
    run()
    assert snapshot(on_the_day).survey_on == date(2024, 11, 26)
    assert snapshot(on_the_day).retention == pytest.approx(0.99)
    assert snapshot(on_the_day).survey_max_age == 36


def test_an_answer_after_the_run_date_is_not_read(book):
    """Re-running a past date gives that date's result: an answer filed after it does not count."""
    ops, customers = book
    answer(ops, customers[10], date(2026, 11, 27))
    run()
    assert snapshot(customers[10]).neutral_inputs == ALL_NEUTRAL
    assert (snapshot(customers[10]).survey_on, snapshot(customers[10]).survey_stale_on) == (None, None)


def test_a_newer_answer_is_read_and_an_older_one_for_other_inputs_is_named(book):
    """A recent answer saying nothing about loyalty (Q5 "no comment") and a 2020 one that said "would refer":
    satisfaction comes from the recent one (Q6 不满意 = 0), loyalty stays neutral, and the explanation names
    both dates."""
    ops, customers = book
    c = customers[10]
    answer(ops, c, date(2020, 6, 1))
    survey_services.file_response(actor=ops, data={
        "questionnaire": "S2020", "customer_code": c.customer_code, "channel": "phone", "outcome": "completed",
        "date": "2026-10-01", "answers": {**SATISFIED, "Q5": "C", "Q6": "D"}})
    run()
    snap = snapshot(c)
    assert snap.neutral_inputs == "loyalty,planned_ratio,expected_return"
    assert (snap.survey_on, snap.survey_stale_on) == (date(2026, 10, 1), date(2020, 6, 1))
    # 0.90 + 0.2 × (0 − 0.5) + 0.1 × 0 (neutral loyalty) + 0.05 = 0.85 (the 2020 "would refer" would add 0.05)
    assert snap.retention == pytest.approx(0.85)
    with translation.override("en"):
        said = explain(snap)
    assert "survey answers of 2026-10-01 used" in said
    assert "an older answer of 2020-06-01 is over 24 months old and was not used" in said
    assert "neutral values used for: loyalty, planned investment, expected return" in said


def test_the_survey_age_is_validated():
    assert "survey_max_age_months" in TieringParams(survey_max_age_months=0).validate()
    assert "survey_max_age_months" in TieringParams(survey_max_age_months=121).validate()
    assert "survey_max_age_months" not in TieringParams().validate()
    assert TieringParams().survey_max_age_months == 24


def test_the_customer_page_and_api_explain_with_the_answers_date(db, client_for):
    from customers.models import Role

    wa, customers = small_book(with_user=True)
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True).user
    c = customers[10]
    answer(ops, c, date(2023, 11, 20))
    run()
    client = client_for(wa)
    page = client.get(f"/customers/{c.customer_code}/").content.decode()
    said = "the latest survey answer, of 2023-11-20, is over 24 months old and was not used"
    assert said in page
    assert said in client.get(f"/api/customers/customers/{c.customer_code}/").json()["explanation"]
