"""Issue 20: the survey sampling and SLA policy and the questionnaires edited by managers on pages, as labelled
forms and rows; every save a new, audited version."""
import pytest
from django.urls import reverse

from crm.models import AuditEvent
from surveys.models import Option, QuestionnaireVersion, SurveyPolicy

pytestmark = pytest.mark.django_db


def _policy_post(page):
    data = {}
    for name, field in page.context["form"].fields.items():
        value = field.initial
        if isinstance(value, dict):
            data.update({f"{name}__{k}": v for k, v in value.items()})
        elif isinstance(value, (list, tuple)):
            data.update({f"{name}__{i}": v for i, v in enumerate(value)})
        elif value is not None:
            data[name] = value
    return data


def test_office_manager_saves_a_new_survey_policy_version(make_staff, client_for):
    om = client_for(make_staff("office_manager"))
    page = om.get(reverse("surveys:policy"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customers per wealth advisor" in html and "per_wealth_advisor</label>" not in html  # labelled
    data = _policy_post(page)
    data.update(per_wealth_advisor=12, due_working_days__need=2, holidays__0="2026-10-01",
                questionnaire_by_stage__growth="E", note="more callbacks")
    response = om.post(reverse("surveys:policy"), data)
    assert response.status_code == 302
    active = SurveyPolicy.objects.get(status="active")
    assert active.version == 2 and active.note == "more callbacks"
    assert active.params["sampling"]["per_wealth_advisor"] == 12
    assert active.params["sampling"]["questionnaire_by_stage"]["growth"] == "E"
    assert active.params["follow_up"]["due_working_days"] == {"compliance": 1, "dissatisfied": 1, "need": 2}
    assert active.params["follow_up"]["holidays"] == ["2026-10-01"]
    assert active.params["profile"] == {"planned_ratio_cap": 1.0}  # untouched values kept
    assert SurveyPolicy.objects.get(version=1).status == "retired"  # a new version, v1 kept as it was
    assert AuditEvent.objects.filter(action="survey.policy.version", object_id=str(active.pk)).exists()
    history = om.get(reverse("surveys:policy")).content.decode()
    assert "Customers per wealth advisor: 10 → <strong>12</strong>" in history


def test_bad_survey_policy_values_are_field_errors_and_nothing_is_saved(make_staff, client_for):
    bm = client_for(make_staff("branch_manager"))
    data = _policy_post(bm.get(reverse("surveys:policy")))
    data.update(min_untraced_share=1.5, priority__need="first", questionnaire_by_stage__mature="ZZ")
    page = bm.post(reverse("surveys:policy"), data)
    errors = page.context["form"].errors
    assert page.status_code == 200
    assert errors["priority"] == ["stated need: enter a whole number"]
    assert errors["questionnaire_by_stage"] == ["mature: choose one of the listed values"]
    assert "min_untraced_share" in errors  # a share between 0 and 1 (services.check_policy)
    assert SurveyPolicy.objects.count() == 1


def test_who_reads_and_who_writes_the_survey_policy(make_staff, client_for):
    data = _policy_post(client_for(make_staff("branch_manager")).get(reverse("surveys:policy")))
    compliance = client_for(make_staff("compliance"))
    assert compliance.get(reverse("surveys:policy")).status_code == 200
    assert compliance.post(reverse("surveys:policy"), data).status_code == 403
    for role in ("operations", "wealth_advisor"):
        assert client_for(make_staff(role)).get(reverse("surveys:policy")).status_code == 403
    assert SurveyPolicy.objects.count() == 1


def test_new_questionnaire_version_from_rows(make_staff, client_for):
    om = client_for(make_staff("office_manager"))
    listing = om.get(reverse("surveys:questionnaires")).content.decode()
    assert "S2020" in listing and "v1" in listing
    page = om.get(reverse("surveys:questionnaire-new", args=["S2020"]))
    rows = page.context["rows"]
    assert len(rows) == 7 + 1  # the seven questions of S2020 and one blank question to add
    data = {"note": "Q5 reworded, Q7 removed, a new question"}
    for q in rows:
        data.update({f"q{q['i']}_zh": q["zh"], f"q{q['i']}_en": q["en"], f"q{q['i']}_kind": q["kind"]})
        if q["required"]:
            data[f"q{q['i']}_required"] = "1"
        for o in q["options"]:
            data.update({f"o{o['i']}_{o['j']}_zh": o["zh"], f"o{o['i']}_{o['j']}_en": o["en"],
                         f"o{o['i']}_{o['j']}_score": o["score"], f"o{o['i']}_{o['j']}_follow": o["follow"]})
            if o["reason"]:
                data[f"o{o['i']}_{o['j']}_reason"] = "1"
    data["q4_en"] = "Would you recommend us to friends?"
    data["q6_zh"] = data["q6_en"] = ""  # Q7 removed
    data.update(q7_zh="新问题", q7_en="A new question", q7_kind="single", q7_required="1",
                o7_0_zh="是", o7_0_en="Yes", o7_0_score="100", o7_1_zh="否", o7_1_en="No", o7_1_score="0",
                o7_1_follow="dissatisfied:service")
    response = om.post(reverse("surveys:questionnaire-new", args=["S2020"]), data)
    assert response.status_code == 302
    new = QuestionnaireVersion.objects.get(questionnaire__code="S2020", status="active")
    assert new.version == 2 and QuestionnaireVersion.objects.get(questionnaire__code="S2020", version=1).status == \
        "retired"
    questions = list(new.questions.order_by("position"))
    assert [q.code for q in questions] == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]  # renumbered in order
    assert questions[4].text_en == "Would you recommend us to friends?"
    assert questions[6].text_en == "A new question"
    options = list(questions[6].options.order_by("position"))
    assert [(o.code, o.score, o.follow_up, o.follow_up_category) for o in options] == [
        ("A", 100.0, "", ""), ("B", 0.0, "dissatisfied", "service")]
    q4 = Option.objects.get(question__version=new, question__code="Q4", code="A")
    assert (q4.follow_up, q4.follow_up_category) == ("compliance", "compliance")  # carried over unchanged
    assert AuditEvent.objects.filter(action="survey.questionnaire.version").count() == 1


def test_questionnaire_problems_are_words_and_nothing_is_saved(make_staff, client_for):
    bm = client_for(make_staff("branch_manager"))
    data = {"q0_zh": "只有一个选项?", "q0_en": "Only one option?", "q0_kind": "single", "o0_0_zh": "是",
            "o0_0_en": "Yes", "o0_0_score": "lots", "note": "x"}
    page = bm.post(reverse("surveys:questionnaire-new", args=["W"]), data)
    assert page.status_code == 200
    assert page.context["problems"] == ["Question 1, option A: the score is not a number."]
    data["o0_0_score"] = "50"
    page = bm.post(reverse("surveys:questionnaire-new", args=["W"]), data)
    assert page.context["problems"] == ["Question 1: A choice question needs at least two options."]
    assert QuestionnaireVersion.objects.filter(questionnaire__code="W").count() == 1
    assert client_for(make_staff("operations")).post(reverse("surveys:questionnaire-new", args=["W"]),
                                                     data).status_code == 403


def test_policy_pages_run_constant_queries(make_staff, client_for, django_assert_max_num_queries):
    from surveys import services

    staff = make_staff("branch_manager")
    bm = client_for(staff)
    for url in (reverse("surveys:policy"), reverse("surveys:questionnaires"),
                reverse("surveys:questionnaire-version", args=["S2020", 1]),
                reverse("surveys:questionnaire-new", args=["S2020"])):
        bm.get(url)
        with django_assert_max_num_queries(12):
            assert bm.get(url).status_code == 200
    active = SurveyPolicy.objects.get(status="active")
    for n in range(4):  # more versions, the same queries
        services.new_policy_version(actor=staff.user, params={**active.params}, note=f"v{n}")
    with django_assert_max_num_queries(12):
        bm.get(reverse("surveys:policy"))
