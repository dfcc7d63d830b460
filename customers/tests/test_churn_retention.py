"""The tiering policy switch of issue 19: the CPV's yearly retention from the rules or from the learned churn risk.

retention = (1 − risk) ** (365 / horizon_days), capped like the rules' (0 … retention_max, 0 in the churned stage);
customers without a score keep the rules and the explanation names the source and the score's date. Numbers are
worked by hand below (ln 0.9 = −0.1053605, ln 0.8 = −0.2231436, ln 0.5 = −0.6931472).
"""
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from alerts.models import ChurnModel, ChurnScore
from customers import services
from customers.models import CurrentTier, TieringPolicy, TierSnapshot
from customers.tiering import policy, rules
from customers.tiering.explain import explain
from customers.tiering.params import TieringParams

DAY = date(2026, 11, 26)
MODEL = TieringParams(retention_source="model")


def frame(**columns):
    """Four customers with the rules' neutral inputs: the rules give base + tenure 0.02 (2 years)."""
    n = len(next(iter(columns.values())))
    base = {"satisfaction": [np.nan] * n, "loyalty": [np.nan] * n, "tenure_days": [730.0] * n,
            "assets_elsewhere": [np.nan] * n, "open_warning": [False] * n}
    return pd.DataFrame({**base, **columns}, index=pd.Index(range(1, n + 1), name="customer_id"))


def test_the_model_gives_the_yearly_retention_of_its_risk_and_the_rules_fill_in():
    df = frame(model_risk=[0.1, 0.5, np.nan, 0.0], model_horizon_days=[90.0, 365.0, np.nan, 90.0],
               model_scored_on=pd.to_datetime(["2026-11-25", "2026-11-25", None, "2026-11-25"]))
    stage = np.array(["mature", "decline", "growth", "mature"], dtype=object)
    r, source, scored_on = rules.retention(df, stage, MODEL)
    # 1: 0.9 ** (365 / 90) = exp(4.055556 × −0.1053605) = exp(−0.427295) = 0.652271
    assert r[0] == pytest.approx(0.652271, abs=1e-6)
    # 2: a one-year horizon: 1 − 0.5 = 0.5 exactly
    assert r[1] == pytest.approx(0.5)
    # 3: no score: the rules — growth 0.85 + tenure 2 × 0.01 = 0.87
    assert r[2] == pytest.approx(0.87)
    # 4: no risk at all: capped at the rules' maximum 0.99
    assert r[3] == pytest.approx(0.99)
    assert list(source) == ["model", "model", "rules", "model"]
    assert scored_on.iloc[0] == pd.Timestamp("2026-11-25") and pd.isna(scored_on.iloc[2])


def test_a_churned_customer_keeps_no_retention_and_the_rules_policy_ignores_scores():
    df = frame(model_risk=[0.1, 0.1], model_horizon_days=[90.0, 90.0],
               model_scored_on=pd.to_datetime(["2026-11-25", "2026-11-25"]))
    stage = np.array(["churned", "mature"], dtype=object)
    r, source, _on = rules.retention(df, stage, MODEL)
    assert r[0] == 0.0 and source[0] == "model"
    r, source, on = rules.retention(df, stage, TieringParams())
    assert r[1] == pytest.approx(0.92)  # mature 0.9 + tenure 0.02: the rules policy reads no score
    assert list(source) == ["", ""] and on.isna().all()


def test_the_source_is_a_choice_of_two():
    assert TieringParams().retention_source == "rules"
    assert "retention_source" in TieringParams(retention_source="learned").validate()
    assert not TieringParams(retention_source="model").validate()


def test_the_explanation_names_the_source_and_the_scores_date():
    row = TierSnapshot(lifecycle_stage="mature", stage_reason="past_growth_window", stage_days=900,
                       stage_figure=360, cev=1000, cpv=3000, growth=0.05, retention=0.652271,
                       retention_source="model", retention_scored_on=date(2026, 11, 25))
    with translation.override("en"):
        assert "retention from the churn model's risk scored on 2026-11-25" in explain(row)
        row.retention_source = "rules"
        assert "retention from the rules: the churn model has no score for this customer" in explain(row)
        row.retention_source = ""
        assert "retention from" not in explain(row)


# --- on the database: the run and the policy preview ----------------------------------------------------------

@pytest.fixture
def branch(db):
    call_command("generate_branch", customers=300, seed=3, as_of=DAY, stdout=open("/dev/null", "w"))
    services.run_reclassification(day=DAY)


def active_model(horizon=90):
    return ChurnModel.objects.create(version=1, status="active", algorithm="logistic", horizon_days=horizon,
                                     trained_at=timezone.now(), file="churn_models/v1.joblib")


def scored(customer_ids, risk, model, on=DAY - timedelta(days=1)):
    ChurnScore.objects.bulk_create([ChurnScore(customer_id=c, model=model, scored_on=on, risk=risk, reasons=[])
                                    for c in customer_ids])


def model_policy():
    params = TieringParams.from_json(TieringPolicy.objects.get(status="active").params)
    return TieringPolicy.objects.create(version=2, params={**params.to_json(), "retention_source": "model"})


def test_a_run_under_the_model_policy_takes_scored_customers_retention_from_the_model(branch):
    ranked = list(CurrentTier.objects.filter(lifecycle_stage__in=["growth", "mature"])
                  .order_by("-clv").values_list("customer_id", flat=True))
    scored_ids, unscored = ranked[:5], ranked[5:8]
    scored(scored_ids, 0.2, active_model())
    draft = model_policy()
    rules_run = policy.compute_all(TieringParams.from_json(TieringPolicy.objects.get(version=1).params), DAY)
    model_run = policy.compute_all(TieringParams.from_json(draft.params), DAY)
    # 0.8 ** (365 / 90) = exp(4.055556 × −0.2231436) = exp(−0.904971) = 0.404554
    assert model_run.loc[scored_ids, "retention"].to_numpy() == pytest.approx([0.404554] * 5, abs=1e-6)
    assert (model_run.loc[scored_ids, "retention_source"] == "model").all()
    assert (model_run.loc[scored_ids, "retention_scored_on"] == "2026-11-25").all()
    assert model_run.loc[unscored, "retention"].to_numpy() == pytest.approx(
        rules_run.loc[unscored, "retention"].to_numpy())
    assert (model_run.loc[unscored, "retention_source"] == "rules").all()
    assert (rules_run["retention_source"] == "").all()
    # a lower retention shrinks the potential value: every scored customer's CPV falls (their rules' retention
    # was above 0.40: growth and mature start at 0.85 and 0.9)
    assert (model_run.loc[scored_ids, "cpv"] < rules_run.loc[scored_ids, "cpv"]).all()


def test_the_preview_shows_the_star_migration_the_switch_causes(branch):
    top = list(CurrentTier.objects.filter(star="5", lifecycle_stage__in=["growth", "mature"])
               .values_list("customer_id", flat=True))
    assert top, "the generated branch has 5★ customers in growth or maturity"
    scored(top, 0.9, active_model())  # 0.1 ** 4.06 ≈ 0.00009 a year: almost no potential value left
    result = policy.preview(model_policy(), day=DAY)
    stars = result["matrices"]["star"]
    moved_down = int(stars.loc["5"].drop("5", errors="ignore").sum())
    assert moved_down > 0 and result["moved"]["star"] >= moved_down
    assert int(stars.to_numpy().sum()) == TierSnapshot.objects.filter(date=DAY).count()


def test_without_an_active_model_the_model_policy_is_the_rules(branch):
    draft = model_policy()
    result = policy.preview(draft, day=DAY)
    assert result["moved"] == {"star": 0, "lifecycle_stage": 0, "quadrant": 0, "stp_subtype": 0}


def test_the_run_stores_the_source_and_the_explanation_reads_it(branch):
    customer_id = CurrentTier.objects.filter(lifecycle_stage="mature").values_list("customer_id", flat=True)[0]
    scored([customer_id], 0.1, active_model())
    draft = model_policy()
    TieringPolicy.objects.filter(version=1).update(status="retired")
    TieringPolicy.objects.filter(pk=draft.pk).update(status="active")
    services.run_reclassification(day=DAY + timedelta(days=1))
    row = TierSnapshot.objects.get(customer_id=customer_id, date=DAY + timedelta(days=1))
    assert row.retention_source == "model" and row.retention_scored_on == date(2026, 11, 25)
    assert row.retention == pytest.approx(0.652271, abs=1e-6)
    other = TierSnapshot.objects.filter(date=DAY + timedelta(days=1)).exclude(customer_id=customer_id).first()
    assert other.retention_source == "rules" and other.retention_scored_on is None
    with translation.override("en"):
        assert "retention from the churn model's risk scored on 2026-11-25" in explain(row)


def test_a_branch_manager_switches_the_source_in_the_labelled_policy_form(db, client_for):
    from django.urls import reverse

    from crm.tests.policy_forms import posted
    from customers.models import Role
    from customers.tests.factories import StaffFactory, office

    client = client_for(StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True))
    with translation.override("en"):
        form = client.get(reverse("customers:tiering-policy-new"), HTTP_ACCEPT_LANGUAGE="en")
        html = form.content.decode()
        assert "Retention from" in html and ">the churn model</option>" in html
        data = {**posted(form.context["form"]), "retention_source": "model", "note": "retention from the model"}
        assert client.post(reverse("customers:tiering-policy-new"), data).status_code == 302
        draft = TieringPolicy.objects.order_by("-version").first()
        assert draft.status == "draft" and draft.params["retention_source"] == "model"
        page = client.get(reverse("customers:tiering-policy", args=[draft.version]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "the rules" in page and "the churn model" in page and "retention_source" not in page
        refused = client.post(reverse("customers:tiering-policy-new"), {**data, "retention_source": "learned"})
        assert refused.status_code == 200 and TieringPolicy.objects.count() == 2
