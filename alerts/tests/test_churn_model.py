"""The churn model's parts on hand-made numbers: training cut-offs, backtest measures worked out by hand,
contributions (logistic: coefficient × standardised value; boosting: path attribution, a stump by hand), top
reasons with their direction, the stored file's checksum."""
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from alerts.churn import model
from alerts.churn.backtest import measures
from alerts.churn.features import FEATURES
from alerts.tests.conftest import act

SCORES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
CHURNED = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
ASSETS = [100, 50, 200, 10, 10, 10, 10, 10, 10, 700]


def test_training_cut_offs_end_their_horizon_before_the_test_and_fit_in_the_data(make_customer):
    start = date(2025, 1, 1)
    act(make_customer(), start, trades=1)
    test = start + timedelta(days=400)
    cutoffs = model.training_cutoffs(test, 90, history_days=120)
    # D − 90 = start + 310, then every 30 days back while 120 days of activity lie before: + 130 is the last
    assert cutoffs == [start + timedelta(days=n) for n in (310, 280, 250, 220, 190, 160, 130)]
    assert all(c + timedelta(days=90) <= test for c in cutoffs)
    assert model.training_cutoffs(start + timedelta(days=200), 90, history_days=120) == []


def test_measures_of_a_probability_by_hand():
    m = measures(SCORES, CHURNED, ASSETS, probability=True)
    assert (m["n"], m["churned"], m["base_rate"]) == (10, 3, 0.3)
    # churners score 0.9 (above all 7 others), 0.7 (above 6, below 0.8) and 0.05 (above none): 13 of 21 pairs
    assert m["auc"] == pytest.approx(13 / 21, abs=1e-4)
    # top 5 % and 10 % of 10 customers = the first one (0.9, a churner with 100 of the 1,000 churned assets)
    assert (m["top5_precision"], m["top5_recall"], m["top5_assets_caught"]) == (1.0, pytest.approx(1 / 3, abs=1e-4),
                                                                                 0.1)
    half = next(p for p in m["lift"] if p["share"] == 0.5)  # the first five hold two of the three churners
    assert half["captured"] == pytest.approx(2 / 3, abs=1e-4) and half["lift"] == pytest.approx(4 / 3, abs=1e-3)
    assert m["calibration"][0] == {"decile": 1, "n": 1, "predicted": 0.05, "observed": 1.0}
    assert m["calibration"][9] == {"decile": 10, "n": 1, "predicted": 0.9, "observed": 1.0}


def test_a_rule_is_a_flag_and_equal_flags_take_the_larger_assets_first():
    flags = [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    m = measures(flags, CHURNED, ASSETS)
    # flagged: customer 1 (50, stayed) and customer 2 (200, churned): the top one is customer 2
    assert m["top5_precision"] == 1.0 and m["top5_assets_caught"] == 0.2
    # pairs: churner 2 beats 6 unflagged and ties the flagged stayer (½); churners 0 and 9 tie 6 each (3 + 3)
    assert m["auc"] == pytest.approx(12.5 / 21, abs=1e-4)
    assert m["calibration"] == [{"score": 0.0, "n": 8, "observed": 0.25}, {"score": 1.0, "n": 2, "observed": 0.5}]


def _toy(n=400, seed=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    y = (X["net_outflow_30"] * 2 - X["contacts_90"] + rng.normal(size=n)) > 1.5
    return X, y


def test_logistic_contributions_are_coefficient_times_standardised_value():
    X, y = _toy()
    bundle = model.fit("logistic", X, y)
    contribution = model.contributions(bundle, X)
    _imputer, scaler, logistic = bundle["estimator"].named_steps.values()
    z = (X.to_numpy() - scaler.mean_) / scaler.scale_
    np.testing.assert_allclose(contribution, z * logistic.coef_[0])
    # with the intercept they add up to the predicted log-odds
    p = model.predict(bundle, X)
    np.testing.assert_allclose(contribution.sum(axis=1) + logistic.intercept_[0], np.log(p / (1 - p)), rtol=1e-6)


def _stump(share_high, n=100):
    """One tree with one split (learning rate 1, no regularisation) on a feature x that is the label itself:
    `share_high` of the rows have x = 1 and churned, the rest x = 0 and stayed; every other feature is 0."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    high = int(round(n * share_high))
    X = np.zeros((n, len(FEATURES)))
    j = FEATURES.index("net_outflow_30")
    X[:high, j] = 1.0
    y = X[:, j] > 0
    estimator = HistGradientBoostingClassifier(max_iter=1, learning_rate=1.0, max_leaf_nodes=2, min_samples_leaf=1,
                                               l2_regularization=0.0, early_stopping=False).fit(X, y)
    return estimator, X, j


def test_boosting_path_contributions_of_a_stump_by_hand():
    # 70 % churned: the baseline score is logit(0.7) = ln(7/3); every row predicts p = 0.7 before the tree.
    # Newton leaves: gradient p − y, hessian p(1 − p) = 0.21 -> x = 0 leaf: −0.7 / 0.21 = −10/3; x = 1 leaf:
    # 0.3 / 0.21 = +10/7. The root's expected score is 0.3 × (−10/3) + 0.7 × 10/7 = 0, so the split credits
    # x with −10/3 (stayers) and +10/7 (churners) and nothing to any other feature.
    estimator, X, j = _stump(0.7)
    contribution, bias = model.path_contributions(estimator, X)
    np.testing.assert_allclose(bias, np.log(7 / 3), rtol=1e-6)
    np.testing.assert_allclose(contribution[:, j], np.where(X[:, j] > 0, 10 / 7, -10 / 3), rtol=1e-4)
    assert np.count_nonzero(np.delete(contribution, j, axis=1)) == 0
    np.testing.assert_allclose(bias + contribution.sum(axis=1), estimator.decision_function(X), rtol=1e-6)


def test_boosting_contributions_add_up_to_the_score_without_a_prediction_per_feature():
    X, y = _toy()
    X.loc[X.index[:40], "satisfaction"] = np.nan  # missing values walk the side training sent them
    bundle = model.fit("hgb", X, y)
    estimator = bundle["estimator"]
    calls = []
    original = estimator.predict_proba
    estimator.predict_proba = lambda M: calls.append(len(M)) or original(M)
    contribution = model.contributions(bundle, X)
    assert calls == []  # one walk per tree, no prediction per feature or per customer
    _same, bias = model.path_contributions(estimator, X[FEATURES].to_numpy(float))
    risk = model.predict(bundle, X)
    np.testing.assert_allclose(bias + contribution.sum(axis=1), np.log(risk / (1 - risk)), rtol=1e-6, atol=1e-9)
    # the features the label was built from carry the most weight, and a feature no tree splits on carries none
    weight = np.abs(contribution).mean(axis=0)
    assert set(np.asarray(FEATURES)[np.argsort(-weight)[:2]]) == {"net_outflow_30", "contacts_90"}
    used = {f for nodes in model._trees(estimator) for f in nodes["feature_idx"][~nodes["is_leaf"].astype(bool)]}
    unused = [k for k in range(len(FEATURES)) if k not in used]
    assert np.count_nonzero(contribution[:, unused]) == 0


def _walked(estimator, row):
    """One row's Saabas credits, walked node by node in plain Python: the oracle for the set-based product."""
    credit = np.zeros(len(row))
    for nodes in model._trees(estimator):
        expected, i = model._expected_scores(nodes), 0
        while not nodes["is_leaf"][i]:
            x = row[nodes["feature_idx"][i]]
            left = nodes["missing_go_to_left"][i] if np.isnan(x) else x <= nodes["num_threshold"][i]
            child = nodes["left"][i] if left else nodes["right"][i]
            credit[nodes["feature_idx"][i]] += expected[child] - expected[i]
            i = child
    return credit


def test_boosting_contributions_equal_a_walk_of_each_rows_path():
    X, y = _toy(n=600, seed=5)
    X.loc[X.index[::7], "net_outflow_30"] = np.nan  # a feature the trees split on, missing for some rows
    bundle = model.fit("hgb", X, y)
    M = X[FEATURES].to_numpy(float)
    contribution, _bias = model.path_contributions(bundle["estimator"], M)
    assert len(model._trees(bundle["estimator"])) > 10
    for i in (0, 7, 14, 99, 350, 599):  # rows with and without the missing value
        np.testing.assert_allclose(contribution[i], _walked(bundle["estimator"], M[i]), rtol=1e-9, atol=1e-12)


def test_top_reasons_are_the_largest_positive_contributions_with_the_values_direction():
    bundle = {"features": ["a", "b", "c", "d"], "means": {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}}
    X = pd.DataFrame({"a": [1.0, -1.0], "b": [-2.0, 2.0], "c": [float("nan"), 3.0], "d": [0.5, 0.5]})
    contribution = np.array([[0.3, 0.9, 5.0, -0.1],   # c is missing: never a reason; d lowers the risk
                             [0.2, 0.1, 0.05, 0.4]])
    reasons = model.top_reasons(bundle, X, contribution)
    assert reasons[0] == [{"feature": "b", "contribution": 0.9, "direction": "low"},
                          {"feature": "a", "contribution": 0.3, "direction": "high"}]
    assert [r["feature"] for r in reasons[1]] == ["d", "a", "b"]
    assert [r["direction"] for r in reasons[1]] == ["high", "low", "high"]


def test_a_changed_file_is_refused(settings, tmp_path):
    from alerts.models import ChurnModel

    settings.MEDIA_ROOT = tmp_path
    X, y = _toy()
    path, checksum = model.save(model.fit("logistic", X, y), 7)
    stored = ChurnModel(version=7, file=path, checksum=checksum)
    assert model.load(stored)["algorithm"] == "logistic"
    (tmp_path / path).write_bytes((tmp_path / path).read_bytes() + b"x")
    with pytest.raises(model.ModelFileError):
        model.load(stored)


def test_a_second_database_saving_the_same_version_keeps_the_first_file(settings, tmp_path):
    from alerts.models import ChurnModel

    settings.MEDIA_ROOT = tmp_path
    X, y = _toy()
    first = ChurnModel(version=1, **dict(zip(("file", "checksum"), model.save(model.fit("logistic", X, y), 1))))
    second_path, _checksum = model.save(model.fit("hgb", X, y), 1)  # another branch's version 1, same directory
    assert second_path != first.file
    assert model.load(first)["algorithm"] == "logistic"


def test_the_stayers_sample_is_a_quarter_fixed_by_customer_and_cut_off():
    ids = np.arange(1, 100_001)
    kept = model.stayer_kept(ids, date(2026, 6, 7))
    assert 0.24 < kept.mean() < 0.26
    # the same rows whatever the chunks (a function of the id and the cut-off alone), another set next month
    assert (model.stayer_kept(ids[50_000:], date(2026, 6, 7)) == kept[50_000:]).all()
    assert 0.2 < (kept & model.stayer_kept(ids, date(2026, 7, 7))).mean() / kept.mean() < 0.3


def test_the_stayers_share_is_a_quarter_until_the_sample_would_pass_its_cap():
    assert model.MAX_SAMPLED_STAYERS == 750_000
    assert model.stayer_share(220_000 * 11) == 0.25  # 605,000 stayers' draws: under the cap
    assert model.stayer_share(3_000_000) == 0.25  # exactly at the cap
    assert model.stayer_share(1_000_000 * 11) == pytest.approx(0.0681818, abs=1e-6)  # 750,000 / 11,000,000
    assert model.stayer_share(0) == 0.25


def test_a_smaller_share_keeps_a_subset_of_a_larger_ones_stayers():
    ids = np.arange(1, 200_001)
    quarter = model.stayer_kept(ids, date(2026, 6, 7))
    small = model.stayer_kept(ids, date(2026, 6, 7), share=0.068)
    assert 0.066 < small.mean() < 0.070
    assert not (small & ~quarter).any()


def test_a_sampled_training_set_fits_with_its_weights_and_weighted_means():
    # three churners (weight 1) and two sampled stayers standing for four each: the training mean of a feature
    # is (1 + 2 + 3 + 4 × 10 + 4 × 20) / (3 + 8) = 126 / 11, a missing value left out of its column's mean
    X = pd.DataFrame(0.0, index=range(5), columns=FEATURES)
    X["net_outflow_30"] = [1.0, 2.0, 3.0, 10.0, 20.0]
    X["satisfaction"] = [np.nan, 1.0, 1.0, 0.0, 0.0]  # (1 + 1) / (1 + 1 + 4 + 4) = 0.2
    X["weight"] = [1.0, 1.0, 1.0, 4.0, 4.0]
    y = np.array([True, True, True, False, False])
    bundle = model.fit("logistic", X, y)
    assert bundle["means"]["net_outflow_30"] == pytest.approx(126 / 11)
    assert bundle["means"]["satisfaction"] == pytest.approx(0.2)
    assert (bundle["rows"], bundle["fitted_rows"], bundle["positives"]) == (11, 5, 3)
