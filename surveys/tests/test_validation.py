"""One validation for form, API and CSV: each kind of bad answer is a clear error, nothing is written."""
import pytest

from surveys import services
from surveys.models import Answer, SurveyResponse


def errors_of(actor, data):
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_response(actor=actor.user, data=data)
    assert SurveyResponse.objects.count() == 0 and Answer.objects.count() == 0
    return [(e["field"], e["message"]) for e in exc.value.errors]


def test_valid_response_is_written(ops, s2020_data):
    response = services.file_response(actor=ops.user, data=s2020_data())
    assert response.outcome == "completed"
    assert Answer.objects.filter(response=response).count() == 7  # one option for each of the 7 questions
    assert response.interviewer == ops  # defaults to the filing staff member


def test_unknown_option(ops, s2020_data):
    assert errors_of(ops, s2020_data(Q1="Z")) == [("Q1", "Unknown option; valid: A, B, C, D.")]


def test_missing_required_question(ops, s2020_data):
    data = s2020_data()
    del data["answers"]["Q4"]
    assert errors_of(ops, data) == [("Q4", "This question must be answered.")]


def test_single_choice_given_two(ops, s2020_data):
    assert errors_of(ops, s2020_data(Q6=["A", "B"])) == [("Q6", "Single choice: give exactly one option.")]


def test_unknown_question_and_reason_where_none_allowed(ops, s2020_data):
    data = s2020_data(Q9="A")
    data["reasons"] = {"Q1": "why"}
    assert errors_of(ops, data) == [("Q9", "No such question in this questionnaire."),
                                    ("Q1", "None of the chosen options takes a reason.")]


def test_answers_on_a_hang_up_and_bad_fields(ops, s2020_data):
    data = s2020_data()
    data["outcome"] = "hung_up"
    assert errors_of(ops, data)[0][1] == "Answers were given for an attempt that was not completed."
    bad = {"questionnaire": "X", "customer_code": "NOPE", "channel": "fax", "outcome": "maybe"}
    assert [f for f, _m in errors_of(ops, bad)] == ["questionnaire", "customer_code", "channel", "outcome"]


def test_counter_measures_required_for_counter_only(ops, s2020_data):
    data = s2020_data()
    data["channel"] = "counter"
    assert [f for f, _m in errors_of(ops, data)] == ["handling_minutes", "materials_complete"]
    data.update(handling_minutes="4.5", materials_complete="yes", review_minutes="2")
    response = services.file_response(actor=ops.user, data=data)
    assert float(response.handling_minutes) == 4.5 and response.materials_complete is True
    data = s2020_data(); data["handling_minutes"] = "3"
    with pytest.raises(services.SurveyInvalid) as exc:
        services.file_response(actor=ops.user, data=data)
    assert exc.value.errors[0]["field"] == "handling_minutes"


def test_multiple_choice_and_text(ops, customer):
    data = {"questionnaire": "N", "customer_code": customer.customer_code, "channel": "visit", "outcome": "completed",
            "answers": {"Q1": "A", "Q2": ["A", "C"], "Q3": ["A", "C"], "Q4": ["A", "C"], "Q5": ["A", "B"],
                        "Q6": "C", "Q7": "F", "Q8": "B", "Q9": "B", "Q11": "更多线下活动"}}
    response = services.file_response(actor=ops.user, data=data)
    # 1 + 2 + 2 + 2 + 2 + 1 + 1 + 1 + 1 options + 1 text = 14 rows
    assert response.answers.count() == 14
    assert response.answers.get(question__code="Q11").text == "更多线下活动"
