"""The churn model's stable reads (pages build on them) and its activation by a branch manager."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from alerts.churn import selectors, services
from alerts.models import ChurnModel, ChurnScore
from crm.models import AuditEvent
from customers.models import Role

NIGHT = date(2026, 11, 26)


def churn_model(version, status="draft", horizon=90):
    return ChurnModel.objects.create(version=version, status=status, algorithm="logistic", horizon_days=horizon,
                                     trained_at=timezone.now(), file=f"churn_models/v{version}.joblib")


def score(customer, model, day, risk, reasons=()):
    """reasons: (feature, contribution, direction) triples as the nightly batch stores them."""
    return ChurnScore.objects.create(customer=customer, model=model, scored_on=day, risk=risk, reasons=[
        {"feature": f, "contribution": c, "direction": d} for f, c, d in reasons])


@pytest.fixture
def two_customers(make_customer):
    return make_customer(), make_customer()


def test_no_active_model_reads_as_nothing(two_customers):
    first, _second = two_customers
    draft = churn_model(1)
    score(first, draft, NIGHT, 0.4)
    assert selectors.active_churn_model() is None
    assert selectors.churn_risks([first.pk], day=NIGHT).empty
    assert list(selectors.churn_risks([first.pk]).columns) == ["risk", "scored_on", "model_version", "reasons"]
    assert selectors.churn_risk_of(first.pk, day=NIGHT) is None


def test_risks_come_from_the_active_models_latest_night_on_or_before_the_day(two_customers):
    first, second = two_customers
    old, active = churn_model(1, "retired"), churn_model(2, "active", horizon=60)
    score(first, old, NIGHT - timedelta(days=2), 0.9)  # a retired model's score is not read
    score(first, active, NIGHT - timedelta(days=1), 0.2)
    score(second, active, NIGHT - timedelta(days=1), 0.05)
    score(first, active, NIGHT, 0.3, [("net_outflow_30", 0.8, "high"), ("contacts_90", 0.1, "low")])
    score(second, active, NIGHT, 0.07)
    score(first, active, NIGHT + timedelta(days=1), 0.5)  # after the day asked for

    with translation.override("en"):
        risks = selectors.churn_risks([first.pk, second.pk], day=NIGHT)
    assert risks.loc[first.pk, "risk"] == pytest.approx(0.3)
    assert risks.loc[second.pk, "risk"] == pytest.approx(0.07)
    assert risks.loc[first.pk, "scored_on"] == NIGHT
    assert risks.loc[first.pk, "model_version"] == 2
    assert risks.loc[first.pk, "reasons"] == [
        {"feature": "net_outflow_30", "text": "money transferred out in the last 30 days", "contribution": 0.8,
         "direction": "high"},
        {"feature": "contacts_90", "text": "few contacts in the last 90 days", "contribution": 0.1,
         "direction": "low"}]

    with translation.override("en"):
        one = selectors.churn_risk_of(first.pk, day=NIGHT)
    assert one["risk"] == pytest.approx(0.3) and one["horizon_days"] == 60 and one["model_version"] == 2
    assert one["reasons"][0]["text"] == "money transferred out in the last 30 days"
    # the history shows every night's score, whichever model gave it
    assert selectors.churn_risk_history(first.pk, days=3, day=NIGHT) == [
        (NIGHT - timedelta(days=2), 0.9), (NIGHT - timedelta(days=1), 0.2), (NIGHT, 0.3)]
    assert selectors.churn_risk_history(first.pk, days=1, day=NIGHT) == [(NIGHT, 0.3)]
    assert [v.version for v in selectors.churn_models()] == [2, 1]


def test_risks_read_in_a_constant_number_of_queries(two_customers, django_assert_max_num_queries):
    first, second = two_customers
    active = churn_model(1, "active")
    score(first, active, NIGHT, 0.3)
    score(second, active, NIGHT, 0.1)
    with django_assert_max_num_queries(3):
        risks = selectors.churn_risks(None, day=NIGHT)
    assert sorted(risks.index) == sorted([first.pk, second.pk])


def test_a_branch_manager_activates_and_the_previous_version_retires(make_staff):
    manager = make_staff(Role.BRANCH_MANAGER)
    first, second = churn_model(1, "active"), churn_model(2)
    services.activate(second, manager.user)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("retired", "active")
    assert second.activated_by == manager.user and second.activated_at is not None
    event = AuditEvent.objects.get(action="churn_model.activate")
    assert event.detail == {"version": 2, "replaced": 1}


@pytest.mark.parametrize("role", [Role.WEALTH_ADVISOR, Role.OFFICE_MANAGER, Role.COMPLIANCE])
def test_others_may_not_activate(make_staff, role):
    churn_model(1)
    with pytest.raises(PermissionDenied):
        services.activate(1, make_staff(role).user)
    assert ChurnModel.objects.get(version=1).status == "draft"


def test_one_active_model_at_most(db):
    churn_model(1, "active")
    with pytest.raises(IntegrityError), transaction.atomic():
        churn_model(2, "active")
