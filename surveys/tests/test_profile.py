"""Feedback into the profile: the tiering batch reads each customer's latest answers (CPV inputs)."""
import math

from customers.tests.factories import TierFactory
from customers.tiering.inputs import survey_inputs
from surveys import services


def test_latest_answers_feed_the_cpv_inputs(ops, customer, customer_of, advisor, s2020_data):
    TierFactory(customer=customer, total_assets=200_000)
    old = s2020_data(Q6="D", Q5="B")
    old["date"] = "2026-01-05"
    services.file_response(actor=ops.user, data=old)
    new = s2020_data(Q6="B", Q5="C")  # 比较满意 → 0.75; Q5 "no comment" carries no loyalty value
    new["date"] = "2026-06-05"
    services.file_response(actor=ops.user, data=new)
    n = {"questionnaire": "N", "customer_code": customer.customer_code, "channel": "phone", "outcome": "completed",
         "date": "2026-07-01", "answers": {"Q1": "A", "Q2": ["A"], "Q3": ["A"], "Q4": ["A"], "Q5": ["A"],
                                            "Q6": "D", "Q7": "D", "Q8": "C", "Q9": "B"}}
    services.file_response(actor=ops.user, data=n)
    nobody = customer_of(advisor)
    frame = survey_inputs([customer.pk, nobody.pk])
    row = frame.loc[customer.pk]
    assert row["satisfaction"] == 0.75  # the June answer, not January's 0.0
    assert row["loyalty"] == 0.0  # the latest answer that says anything: January's "不愿意"
    assert row["expected_return"] == 0.10  # N Q8 C: 10 % or more a year
    assert row["planned_ratio"] == 0.5  # N Q9 B: 100,000 planned / 200,000 assets
    assert frame.loc[nobody.pk].isna().all()  # no answers: NaN = the policy's neutral value


def test_planned_ratio_is_capped_without_assets(ops, customer):
    n = {"questionnaire": "N", "customer_code": customer.customer_code, "channel": "phone", "outcome": "completed",
         "answers": {"Q1": "A", "Q2": ["A"], "Q3": ["A"], "Q4": ["A"], "Q5": ["A"], "Q6": "D", "Q7": "D",
                     "Q8": "A", "Q9": "E"}}
    services.file_response(actor=ops.user, data=n)
    row = survey_inputs([customer.pk]).loc[customer.pk]
    assert row["planned_ratio"] == 1.0 and row["expected_return"] == 0.02 and math.isnan(row["satisfaction"])


def test_customer_panel_shows_the_survey_profile(ops, customer, client_for, advisor):
    n = {"questionnaire": "N", "customer_code": customer.customer_code, "channel": "phone", "outcome": "completed",
         "answers": {"Q1": "A", "Q2": ["A"], "Q3": ["A"], "Q4": ["A"], "Q5": ["A"], "Q6": "D", "Q7": "D",
                     "Q8": "C", "Q9": "B"}}
    services.file_response(actor=ops.user, data=n)
    from surveys.selectors import customer_profile

    # N Q6 D = experience 4 of 5, Q7 D = within 3 years, Q8 C = 10 %, Q9 B = 100,000 or more
    assert customer_profile(customer) == {"expected_return": 0.10, "planned_amount": 100000.0, "experience": 4.0,
                                          "horizon_years": 3.0}
    client = client_for(advisor)
    text = client.get(f"/customers/{customer.customer_code}/").content.decode()
    assert "Investment experience" in text and "4 / 5" in text and "10 %" in text
    assert 'data-profile="planned_amount" data-use="used">≥ 100,000 <' in text  # English: separators
    client.cookies["django_language"] = "zh-hans"
    assert 'data-use="used">≥ 10.00万 <' in client.get(f"/customers/{customer.customer_code}/").content.decode()
