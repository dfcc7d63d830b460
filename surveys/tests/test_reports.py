"""Reports: the seeded 2020 campaign reproduces study table 3-1; response rate; satisfaction index; SLA."""
from datetime import date

import pytest
from django.core.management import call_command

from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, office
from surveys import selectors, services
from surveys.models import SurveyResponse

# Table 3-1 (surveys.md), n = 65: percent × 65 = count, e.g. Q1 84.62 % × 65 = 55, 13.85 % = 9, 1.54 % = 1.
TABLE_3_1 = {
    "Q1": [(55, 84.62), (9, 13.85), (1, 1.54), (0, 0.0)],
    "Q2": [(39, 60.0), (17, 26.15), (3, 4.62), (5, 7.69), (1, 1.54)],
    "Q3": [(0, 0.0), (47, 72.31), (15, 23.08), (3, 4.62)],
    "Q4": [(0, 0.0), (65, 100.0)],
    "Q5": [(46, 70.77), (4, 6.15), (15, 23.08)],
    "Q6": [(54, 83.08), (3, 4.62), (7, 10.77), (1, 1.54)],
    "Q7": [(3, 4.62), (2, 3.08), (1, 1.54), (1, 1.54), (5, 7.69), (53, 81.54)],
}


@pytest.fixture
def seeded(db):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    for _i in range(65):
        CustomerFactory(office=office("CS"), advisor=wa)
    call_command("seed_survey_demo")
    return wa


def test_seeded_campaign_reproduces_table_3_1(seeded, make_staff, client_for):
    manager = make_staff(Role.BRANCH_MANAGER, "ZS")
    body = client_for(manager).get("/api/surveys/reports/S2020/?date_from=2020-01-01&date_to=2020-12-31").json()
    assert body["respondents"] == 65
    got = {q["code"]: [(o["count"], o["percent"]) for o in q["options"]] for q in body["questions"]}
    assert got == TABLE_3_1
    assert [o["label"] for o in body["questions"][0]["options"]] == ["Often", "Sometimes", "Rarely", "Never"]


def test_seed_is_idempotent_and_outside_the_period_nothing_counts(seeded):
    call_command("seed_survey_demo")
    assert SurveyResponse.objects.filter(source="seed").count() == 65
    _version, table = selectors.option_table(SurveyResponse.objects.filter(surveyed_on__gte=date(2021, 1, 1)),
                                             "S2020")
    assert all(o["count"] == 0 and o["percent"] is None for q in table for o in q["options"])


def test_response_rate_counts_hang_ups_in_the_denominator(ops, customer_of, advisor, s2020_data):
    services.file_response(actor=ops.user, data=s2020_data())
    for outcome in ("hung_up", "hung_up", "no_answer"):
        services.file_response(actor=ops.user, data={"questionnaire": "S2020", "channel": "phone",
                                                     "customer_code": customer_of(advisor).customer_code,
                                                     "outcome": outcome})
    rate = selectors.response_rate(SurveyResponse.objects.all(), "S2020")
    # 1 completed of 4 attempts = 25 %
    assert (rate["completed"], rate["attempted"], rate["rate"], rate["by_outcome"]["hung_up"]) == (1, 4, 25.0, 2)


def test_satisfaction_index_by_office_and_month(ops, s2020_data):
    a = s2020_data()  # scores: Q1 A 100, Q2 A 100, Q6 A 100 (Q3-Q5, Q7 have no score) → mean 100
    a["date"] = "2026-10-05"
    services.file_response(actor=ops.user, data=a)
    b = s2020_data(Q1="B", Q2="B", Q6="C")  # 60, 70, 50 → mean 60
    b["date"] = "2026-11-05"
    services.file_response(actor=ops.user, data=b)
    c = s2020_data(Q1="D", Q2="E", Q6="D")  # 0, (no score), 0 → the November mean of 60, 70, 50, 0, 0 = 36
    c["date"] = "2026-11-06"
    services.file_response(actor=ops.user, data=c)
    months, rows = selectors.satisfaction_index(SurveyResponse.objects.all(), "office")
    assert months == ["2026-10", "2026-11"] and rows == [("CS", [100.0, 36.0])]


def test_sla_figures(ops, s2020_data):
    d = s2020_data(Q6="C", Q7="A")
    d["date"] = "2026-11-20"  # Friday: dissatisfied due Mon 23, need due Wed 25
    services.file_response(actor=ops.user, data=d)
    from surveys.models import FollowUpTask

    sla = selectors.sla_figures(FollowUpTask.objects.all(), today=date(2026, 11, 24))
    assert sla["open"] == 2 and sla["overdue"] == 1  # on Tue 24 only the Monday task is overdue
    assert dict((k, (o, d)) for k, o, d, _t in sla["by_category"]) == {"service": (2, 1)}
