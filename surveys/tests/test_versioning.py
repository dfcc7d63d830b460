"""Questionnaires and the survey policy are versioned data: edits make new versions, history is kept."""
import copy
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from customers.models import Role
from surveys import selectors, services
from surveys.loading import read
from surveys.models import FollowUpTask, QuestionnaireVersion, SurveyResponse


def test_editing_a_questionnaire_keeps_old_responses_on_their_version(ops, make_staff, s2020_data):
    old = services.file_response(actor=ops.user, data=s2020_data(Q6="B"))
    manager = make_staff(Role.BRANCH_MANAGER, "ZS")
    data = read("S2020")
    data["questions"][5]["en"] = "How do you rate your service person overall?"
    with pytest.raises(PermissionDenied):
        services.new_questionnaire_version(actor=ops.user, code="S2020", data=data)
    v2 = services.new_questionnaire_version(actor=manager.user, code="S2020", data=data, note="Q6 reworded")
    assert v2.version == 2
    assert list(QuestionnaireVersion.objects.filter(questionnaire__code="S2020").values_list("version", "status")
                .order_by("version")) == [(1, "retired"), (2, "active")]
    old.refresh_from_db()
    assert old.version.version == 1
    again = s2020_data(Q6="B")
    again["channel"] = "visit"  # the same day's phone survey is filed once (issue 17)
    new = services.file_response(actor=ops.user, data=again)
    assert new.version == v2
    _v, table = selectors.option_table(SurveyResponse.objects.all(), "S2020")
    q6 = table[5]
    assert q6["text"] == "How do you rate your service person overall?"
    assert q6["options"][1]["count"] == 2  # one answer on each version, counted under Q6 B


def test_a_bad_questionnaire_definition_is_refused(make_staff):
    manager = make_staff(Role.BRANCH_MANAGER, "ZS")
    data = copy.deepcopy(read("W"))
    data["questions"][1]["options"][1]["code"] = "C"
    data["questions"][0]["kind"] = "ranking"
    with pytest.raises(services.SurveyInvalid) as exc:
        services.new_questionnaire_version(actor=manager.user, code="W", data=data)
    assert [e["field"] for e in exc.value.errors] == ["Q1", "Q2"]
    assert QuestionnaireVersion.objects.filter(questionnaire__code="W").count() == 1


def test_policy_versions_drive_due_dates(ops, make_staff, s2020_data):
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    params = copy.deepcopy(selectors.policy_params())
    params["follow_up"]["due_working_days"]["need"] = 5
    bad = copy.deepcopy(params)
    bad["sampling"]["min_untraced_share"] = 1.5
    with pytest.raises(services.SurveyInvalid):
        services.new_policy_version(actor=manager.user, params=bad)
    policy = services.new_policy_version(actor=manager.user, params=params, note="needs: 5 days")
    assert policy.version == 2 and selectors.active_policy() == policy
    data = s2020_data(Q7="B")
    data["date"] = "2026-11-20"  # Friday + 5 working days = Friday 27 Nov
    services.file_response(actor=ops.user, data=data)
    assert FollowUpTask.objects.get().due_on == date(2026, 11, 27)
