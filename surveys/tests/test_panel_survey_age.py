"""Issue 20: the customer page's survey panel tells the star's story — an answer older than the tiering
policy's survey age at the run behind the star was not used for it (customers.tiering.explain says the same)."""
from datetime import date

from customers.models import TierSnapshot
from customers.tests.factories import TierFactory
from surveys import services
from surveys.panels import AFTER_RUN, TOO_OLD, USED, answer_use, customer_panel


def test_answer_use_by_hand():
    # run on 2026-11-26 with a 24-month survey age: answers on or before 2024-11-26 are too old
    day, cutoff = date(2026, 11, 26), date(2024, 11, 26)
    assert answer_use(date(2020, 5, 10), day, cutoff) == TOO_OLD
    assert answer_use(date(2024, 11, 26), day, cutoff) == TOO_OLD
    assert answer_use(date(2024, 11, 27), day, cutoff) == USED
    assert answer_use(date(2026, 11, 26), day, cutoff) == USED
    assert answer_use(date(2026, 11, 27), day, cutoff) == AFTER_RUN


def test_the_panel_marks_each_answer_and_profile_value_by_the_run_behind_the_star(ops, customer, s2020_data):
    services.file_response(actor=ops.user, data={**s2020_data(Q6="D"), "date": "2020-05-10"})  # 不满意
    services.file_response(actor=ops.user, data={**s2020_data(Q6="A"), "date": "2026-12-01"})  # 满意, after
    customer._tier_run, customer._tier_run_day = TierSnapshot(survey_max_age=12), date(2026, 11, 26)
    panel = customer_panel(None, customer, None)
    assert [(r.surveyed_on.isoformat(), r.use) for r in panel["responses"]] == [
        ("2026-12-01", AFTER_RUN), ("2020-05-10", TOO_OLD)]
    assert panel["max_age"] == 12 and panel["any_too_old"]
    # the profile reads the newest answer carrying each value: the one after the run, marked as such
    satisfaction = next(p for p in panel["profile"] if p["key"] == "satisfaction")
    assert (satisfaction["on"], satisfaction["use"]) == (date(2026, 12, 1), AFTER_RUN)


def test_the_customer_page_says_which_answers_the_star_did_not_use(ops, customer, advisor, s2020_data, client_for):
    TierFactory(customer=customer, star="3", as_of=date(2026, 11, 26))  # no run row: the policy default, 24
    services.file_response(actor=ops.user, data={**s2020_data(), "date": "2020-05-10"})
    page = client_for(advisor).get(f"/customers/{customer.customer_code}/").content.decode()
    assert 'data-use="too_old"' in page and 'data-use="used"' not in page
    assert "Answers over 24 months old are shown for the record but not used for the star" in page
    assert "over 24 months old: not used for the star" in page
