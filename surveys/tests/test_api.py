"""API: questionnaires, filing with the same validation, scoped lists and reports."""
from customers.models import Role
from surveys import services


def test_questionnaires(ops, client_for):
    body = client_for(ops).get("/api/surveys/questionnaires/").json()
    assert [q["code"] for q in body] == ["S2020", "P", "N", "E", "W"]
    s = client_for(ops).get("/api/surveys/questionnaires/S2020/").json()
    assert [o["code"] for o in s["questions"][6]["options"]] == ["A", "B", "C", "D", "E", "F"]


def test_post_response_and_validation_errors(ops, customer, client_for):
    client = client_for(ops)
    data = {"questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
            "outcome": "completed", "answers": {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A",
                                                 "Q6": ["A", "B"], "Q7": "Z"}}
    bad = client.post("/api/surveys/responses/", data, content_type="application/json")
    assert bad.status_code == 400
    assert [(e["field"], e["message"]) for e in bad.json()["errors"]] == [
        ("Q6", "Single choice: give exactly one option."), ("Q7", "Unknown option; valid: A, B, C, D, E, F.")]
    data["answers"].update(Q6="A", Q7="F")
    ok = client.post("/api/surveys/responses/", data, content_type="application/json")
    assert ok.status_code == 201
    assert ok.json()["answers"]["Q6"] == "A" and ok.json()["customer_code"] == customer.customer_code


def test_api_scope(ops, customer, make_staff, client_for, s2020_data, advisor):
    services.file_response(actor=ops.user, data=s2020_data())
    other_advisor = make_staff(Role.WEALTH_ADVISOR, "CS")
    xs_ops = make_staff(Role.OPERATIONS, "XS")
    assert client_for(advisor).get("/api/surveys/responses/").json()["count"] == 1
    assert client_for(other_advisor).get("/api/surveys/responses/").json()["count"] == 0
    assert client_for(xs_ops).get("/api/surveys/responses/").json()["count"] == 0
    assert client_for(other_advisor).get("/api/surveys/reports/S2020/").json()["respondents"] == 0
    # another office's operations cannot file for this customer
    bad = client_for(xs_ops).post("/api/surveys/responses/", s2020_data(), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "customer_code"
    # advisors do not file
    assert client_for(advisor).post("/api/surveys/responses/", s2020_data(),
                                    content_type="application/json").status_code == 403


def test_report_filters(ops, client_for, s2020_data):
    services.file_response(actor=ops.user, data=s2020_data())
    client = client_for(ops)
    assert client.get("/api/surveys/reports/S2020/?channel=ivr").json()["respondents"] == 0
    assert client.get("/api/surveys/reports/S2020/?channel=phone&office=CS").json()["respondents"] == 1
    assert client.get("/api/surveys/reports/NOPE/").status_code == 404


def test_odd_json_is_a_clear_error_not_a_crash(ops, customer, client_for):
    data = {"questionnaire": "N", "customer_code": customer.customer_code, "channel": "counter",
            "outcome": "completed", "handling_minutes": "NaN", "materials_complete": "maybe",
            "answers": {"Q1": {"x": 1}, "Q2": [1, None], "Q11": 42}}
    response = client_for(ops).post("/api/surveys/responses/", data, content_type="application/json")
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields[:2] == ["handling_minutes", "materials_complete"]
    assert {"Q1", "Q2", "Q11"} <= set(fields)
