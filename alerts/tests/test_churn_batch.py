"""Nightly scoring: every customer of the population in one set-based pass (one batch prediction per chunk,
never per customer), a re-run replaces the night, history older than a year goes; tasks and the command."""
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts import tasks
from alerts.churn import features, model, services
from alerts.churn.features import FEATURES
from alerts.models import ChurnModel, ChurnScore
from alerts.tests.conftest import act, snap
from crm.models import JobRun

NIGHT = date(2026, 11, 26)


class CountingEstimator:
    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def predict_proba(self, M):
        self.calls.append(len(M))
        return self.inner.predict_proba(M)

    def __getattr__(self, name):  # the logistic pipeline's steps, the trees of boosting: read, not called
        return getattr(self.inner, name)


def _bundle(algorithm="logistic"):
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(300, len(FEATURES))), columns=FEATURES)
    y = X["net_outflow_30"] + rng.normal(size=300) > 1.0
    return model.fit(algorithm, X, y)


@pytest.fixture
def active_model(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    def make(algorithm="logistic", version=1):
        path, checksum = model.save(_bundle(algorithm), version)
        return ChurnModel.objects.create(version=version, status="active", algorithm=algorithm, horizon_days=90,
                                         trained_at=timezone.now(), file=path, checksum=checksum,
                                         features=FEATURES)
    return make


@pytest.fixture
def branch(make_customer):
    """Five effective customers (securities held), one of them moving money out; one closed before the night."""
    customers = []
    for i in range(5):
        c = make_customer(opened_on=date(2020, 1, 1), first_funded_on=date(2020, 1, 2))
        for n in (90, 60, 30, 0):
            snap(c, NIGHT - timedelta(days=n), 100_000, securities=80_000, cash=20_000)
        act(c, NIGHT - timedelta(days=5), trades=2, transfer_out=60_000 if i == 0 else 0)
        customers.append(c)
    closed = make_customer(opened_on=date(2020, 1, 1), first_funded_on=date(2020, 1, 2),
                           closed_on=NIGHT - timedelta(days=3))
    snap(closed, NIGHT - timedelta(days=30), 100_000, securities=80_000)
    return customers


def _counting_load(monkeypatch, positives_share=None):
    """Count the estimator's calls; `positives_share` overrides the training base rate (0: everyone is above
    it, 1: nobody is)."""
    counters = []
    real_load = model.load

    def counted_load(churn_model):
        bundle = real_load(churn_model)
        bundle["estimator"] = CountingEstimator(bundle["estimator"])
        if positives_share is not None:
            bundle["positives"] = int(bundle["rows"] * positives_share)
        counters.append(bundle["estimator"])
        return bundle

    monkeypatch.setattr(model, "load", counted_load)
    return counters


@pytest.mark.parametrize("algorithm", ["logistic", "hgb"])
def test_the_night_scores_everyone_in_one_pass(branch, active_model, monkeypatch, algorithm):
    active = active_model(algorithm)
    counters = _counting_load(monkeypatch, positives_share=0)  # every risk is above a base rate of 0
    run = services.score_branch(NIGHT)
    assert run.counts["customers"] == 5  # the closed account is not scored
    scores = ChurnScore.objects.filter(scored_on=NIGHT, model=active)
    assert sorted(scores.values_list("customer_id", flat=True)) == sorted(c.pk for c in branch)
    # five customers, one call for the risk; the reasons read the coefficients or walk the trees: never a
    # prediction per customer or per feature
    assert counters[0].calls == [5]
    for s in scores:
        assert 0 <= s.risk <= 1 and len(s.reasons) <= 3
        assert all(r["contribution"] > 0 and r["feature"] in FEATURES for r in s.reasons)
    assert any(s.reasons for s in scores)
    assert JobRun.objects.get(job="churn_score").status == JobRun.Status.SUCCEEDED


@pytest.mark.parametrize("algorithm", ["logistic", "hgb"])
def test_no_reasons_at_or_below_the_training_base_rate(branch, active_model, monkeypatch, algorithm):
    active = active_model(algorithm)
    counters = _counting_load(monkeypatch, positives_share=1)  # a base rate of 1: no risk is above it
    run = services.score_branch(NIGHT)
    assert run.counts["customers"] == 5 and run.counts["explained"] == 0
    assert counters[0].calls == [5]  # the risk only: no prediction for reasons
    assert all(s.reasons == [] for s in ChurnScore.objects.filter(scored_on=NIGHT, model=active))


def test_scoring_a_chunk_of_customers_at_a_time_gives_the_same_scores(branch, active_model, monkeypatch):
    active = active_model("hgb")
    services.score_branch(NIGHT)
    whole = {s.customer_id: (s.risk, s.reasons) for s in ChurnScore.objects.filter(scored_on=NIGHT, model=active)}
    monkeypatch.setattr(features, "ID_CHUNK", 2)  # five customers in three or more reads
    ranges = features.id_ranges()
    assert len(ranges) >= 3 and all(hi - lo == 1 for lo, hi in ranges[:-1])
    run = services.score_branch(NIGHT)
    chunked = {s.customer_id: (s.risk, s.reasons) for s in ChurnScore.objects.filter(scored_on=NIGHT, model=active)}
    assert run.counts["customers"] == 5 and chunked == whole


def test_a_rerun_replaces_the_night_and_a_year_old_history_goes(branch, active_model):
    active = active_model()
    old = ChurnScore.objects.create(customer=branch[1], model=active, scored_on=NIGHT - timedelta(days=366),
                                    risk=0.5, reasons=[])
    kept = ChurnScore.objects.create(customer=branch[1], model=active, scored_on=NIGHT - timedelta(days=365),
                                     risk=0.5, reasons=[])
    services.score_branch(NIGHT)
    services.score_branch(NIGHT)
    assert ChurnScore.objects.filter(scored_on=NIGHT).count() == 5
    assert not ChurnScore.objects.filter(pk=old.pk).exists()
    assert ChurnScore.objects.filter(pk=kept.pk).exists()


def test_no_active_model_scores_nothing(branch):
    assert services.score_branch(NIGHT) is None
    assert tasks.score_churn(NIGHT.isoformat()) is None
    assert not ChurnScore.objects.exists()


def test_the_late_safety_run_skips_a_scored_night(branch, active_model):
    active_model()
    first = tasks.score_churn(NIGHT.isoformat(), unless_done=True)
    assert first is not None
    assert tasks.score_churn(NIGHT.isoformat(), unless_done=True) is None
    assert JobRun.objects.filter(job="churn_score").count() == 1


def test_the_score_command_says_when_no_model_is_active(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no churn model is active"):
        call_command("churn_model", "score", "--date", NIGHT.isoformat())


def test_beat_runs_the_safety_scoring_and_the_monthly_training():
    from crm.celery import app

    tasks_by_entry = {v["task"]: v for v in app.conf.beat_schedule.values()}
    assert tasks_by_entry["alerts.tasks.score_churn"]["kwargs"] == {"unless_done": True}
    assert "alerts.tasks.train_churn_model" in tasks_by_entry


@pytest.mark.postgres
def test_the_scoring_benchmark_reports_the_night_beside_the_reclassification_and_its_floor(branch, active_model,
                                                                                          monkeypatch):
    from django.db import connection

    from alerts.churn import benchmark

    if connection.vendor != "postgresql":
        pytest.skip("the benchmark measures PostgreSQL")
    active = active_model("hgb")
    monkeypatch.setattr("alerts.selectors.default_scan_date", lambda: NIGHT)
    out = []
    figures = benchmark.run(type("Out", (), {"write": lambda self, line: out.append(line)})())
    text = "\n".join(out)
    assert figures["customers"] == 5
    assert ChurnScore.objects.filter(scored_on=NIGHT, model=active).count() == 5
    assert JobRun.objects.filter(job="churn_score", status="succeeded").exists()
    assert "scoring / reclassification" in text and "(target ≤ 10 %)" in text and "data floor" in text
    assert figures["scoring"] > 0 and figures["reclassification"] > 0 and figures["floor"] > 0
