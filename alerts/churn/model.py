"""Training data, the two candidate estimators, per-feature contributions and the serialized model.

- Cut-offs: the training cut-offs lie before the test cut-off D, each `horizon` days apart from D at least
  (c + horizon <= D: no training label looks past D), monthly (30 days apart), as far back as the activity data
  covers the longest feature window (HISTORY_DAYS) before them.
- Candidates: HistGradientBoostingClassifier, and a regularised (L2) logistic regression on standardised
  features. The choice is made on the training cut-offs only: fit on all but the latest, compare the AUC on the
  latest (a validation cut-off), then refit the winner on all of them. The test cut-off is never looked at.
- Contributions (log-odds): logistic = coefficient × standardised value (coef × (x − mean) / sd); gradient
  boosting = each tree's path attribution (Saabas): walking a customer's path from the root to the leaf, every
  split moves the expected score of the node (the training rows' mean below it) and that move is credited to
  the split's feature. Summed over the trees, the contributions plus the training rows' average score give the
  customer's score exactly. One vectorised walk per tree over all the rows, nothing per customer: a fraction of
  the one prediction per feature that replacing each feature by its mean cost (3.6 s for 21,840 customers).
"""
import hashlib
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings

from crm.bulk import read_frame

from .features import FEATURES, assets_of, id_ranges, labelled_frames

HISTORY_DAYS = 120  # the longest activity window of a feature (30 recent + 90 baseline days)
STEP_DAYS = 30
MAX_TRAINING_CUTOFFS = 12
MODEL_DIR = "churn_models"
ALGORITHMS = ("hgb", "logistic")
ALGORITHM_NAMES = {"hgb": "HistGradientBoostingClassifier", "logistic": "LogisticRegression (L2, standardised)"}
PREDICT_CHUNK = 50_000
# scikit-learn's OpenMP threads spin against the other workers on a shared host (2 cores, 4 workers here: the
# boosting fit took 52 s on 2 threads and 3 s on 1); one thread each, the workers run side by side
THREADS = 1
# Above this many rows (customers × cut-offs) the stayers are sampled as the training set is read, a chunk of
# customers at a time (every churner kept), and weighted back by 1 / share, so the probabilities keep their
# scale: the fit costs a fraction of the rows, churners are what it learns from, and memory holds the sample,
# not every customer at every cut-off.
SAMPLE_ABOVE_ROWS = 200_000
STAYER_SHARE = 0.25
# The share falls below a quarter where customers × cut-offs × share would pass this many rows, so the sample
# (and the memory of training) stops growing with the branch: a quarter at 220,000 customers and 9 cut-offs
# (495,000), 0.083 at 1 M customers (where a quarter kept 1.72 M rows and training peaked at 2.23 GB).
MAX_SAMPLED_STAYERS = 750_000


class NotEnoughHistory(Exception):
    """No training cut-off has both its feature window and its label horizon inside the data."""


def activity_start():
    frame = read_frame("SELECT MIN(date) AS first FROM customers_dailyactivity")
    first = frame["first"].iloc[0] if len(frame) else None
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def training_cutoffs(test_cutoff, horizon_days, history_days=HISTORY_DAYS, count=MAX_TRAINING_CUTOFFS):
    """Newest first: D − horizon, then 30 days earlier each, while the feature window fits in the data."""
    start = activity_start()
    if start is None:
        return []
    first_allowed = start + timedelta(days=history_days)
    out = []
    cutoff = test_cutoff - timedelta(days=horizon_days)
    while cutoff >= first_allowed and len(out) < count:
        out.append(cutoff)
        cutoff -= timedelta(days=STEP_DAYS)
    return out


def stayer_share(customer_cutoffs):
    """The share of stayers kept from `customer_cutoffs` (customers × cut-offs) rows."""
    return min(STAYER_SHARE, MAX_SAMPLED_STAYERS / customer_cutoffs) if customer_cutoffs else STAYER_SHARE


def stayer_kept(customer_ids, cutoff, share=STAYER_SHARE):
    """Whether a stayer row (customer, cut-off) is in the sample: a hash of both below `share`, so the sample is
    the same whatever the chunks and runs (and a smaller share keeps a subset of a larger one's rows)."""
    x = np.asarray(customer_ids, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(cutoff.toordinal())
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):  # splitmix64's finaliser
        x = (x ^ (x >> np.uint64(shift))) * np.uint64(factor)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(float) / 2.0 ** 53 < share


def _customer_count():
    return int(read_frame("SELECT COUNT(*) AS n FROM customers_customer")["n"].iloc[0])


def dataset(cutoffs, horizon_days, params=None, sample=None):
    """Features, labels, assets (for the assets-caught measure) and a `weight` of every cut-off, stacked;
    `cutoff` column; read a chunk of customer ids at a time. `sample` (default: when customers × cut-offs exceed
    SAMPLE_ABOVE_ROWS): keep every churner and the stayers `stayer_kept` picks at `stayer_share`, each weighted
    1 / share. `attrs["rows"]` / `attrs["positives"]`: the rows and churners before sampling; `attrs["share"]`."""
    customer_cutoffs = _customer_count() * len(cutoffs)
    if sample is None:
        sample = customer_cutoffs > SAMPLE_ABOVE_ROWS
    share = stayer_share(customer_cutoffs) if sample else 1.0
    frames, rows, positives = [], 0, 0
    for id_range in id_ranges():
        for cutoff, (features, labels) in labelled_frames(cutoffs, horizon_days, params=params,
                                                          id_range=id_range).items():
            churned = labels.reindex(features.index).to_numpy(bool)
            frame = features.assign(churned=churned, assets=assets_of(features), cutoff=pd.Timestamp(cutoff),
                                    weight=1.0)
            rows, positives = rows + len(frame), positives + int(churned.sum())
            if sample:
                frame = frame[churned | stayer_kept(frame.index, cutoff, share)]
                frame.loc[~frame["churned"], "weight"] = 1.0 / share
            frames.append(frame.reset_index())
    out = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame(columns=["customer_id", *FEATURES, "churned", "assets", "cutoff", "weight"])
    out["churned"] = out["churned"].astype(bool)
    out.attrs.update(rows=rows, positives=positives, share=share)
    return out


# -- estimators -------------------------------------------------------------------------------------------
def _estimator(algorithm):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if algorithm == "hgb":
        # shallow trees, many leaves' worth of data each: the churners are a few percent of the rows
        return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=200, max_leaf_nodes=15,
                                              min_samples_leaf=100, l2_regularization=1.0, random_state=0)
    if algorithm == "logistic":
        # in place: the matrix it is given is always this module's own copy (_matrix, _fit), and two more copies
        # of a million-row training set were the peak of a training run at 1 M customers (2.7 GB)
        return make_pipeline(SimpleImputer(strategy="mean", copy=False), StandardScaler(copy=False),
                             LogisticRegression(C=0.1, max_iter=2000))
    raise ValueError(f"unknown algorithm {algorithm}")


def _threads():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=THREADS)


def fit(algorithm, X, y, rows=None):
    """A bundle: the fitted estimator with what explaining and checking it needs. `rows`: a boolean mask of the
    rows of X (and y) to fit on, taken without copying the frame first."""
    with _threads():
        return _fit(algorithm, X, y, rows)


def _fit(algorithm, X, y, rows=None):
    started = time.perf_counter()
    rows = np.ones(len(X), bool) if rows is None else np.asarray(rows, bool)
    # rows sampled by `dataset` carry their weight; a frame without one (a small set) is every row once
    weights = X["weight"].to_numpy(float)[rows] if "weight" in X else np.ones(int(rows.sum()))
    # our own copy of the rows, filled a column at a time (no intermediate copy of the whole frame): the logistic
    # pipeline imputes and scales it in place
    M = np.empty((int(rows.sum()), len(FEATURES)))
    for j, feature in enumerate(FEATURES):
        M[:, j] = X[feature].to_numpy(float)[rows]
    target = np.asarray(y, bool)[rows]
    # the training means, before that: a sampled stayer counts with its weight, a missing value not at all
    present = ~np.isnan(M)
    means = (np.where(present, M, 0.0) * weights[:, None]).sum(axis=0) / np.maximum(
        (present * weights[:, None]).sum(axis=0), 1e-12)
    means = np.where(present.any(axis=0), means, 0.0)
    estimator = _estimator(algorithm)
    if algorithm == "logistic":
        estimator.fit(M, target, standardscaler__sample_weight=weights, logisticregression__sample_weight=weights)
    else:
        estimator.fit(M, target, sample_weight=weights)
    return {"algorithm": algorithm, "estimator": estimator, "features": list(FEATURES),
            "means": dict(zip(FEATURES, means.tolist())), "fit_seconds": round(time.perf_counter() - started, 2),
            "rows": int(round(weights.sum())), "fitted_rows": int(len(M)), "positives": int(np.sum(target))}


def _matrix(bundle, X):
    return X.reindex(columns=bundle["features"]).to_numpy(float)


def predict(bundle, X):
    """Probability of churning within the horizon, in chunks (one batch call per chunk)."""
    M = _matrix(bundle, X)
    if len(M) == 0:
        return np.zeros(0)
    with _threads():
        return np.concatenate([bundle["estimator"].predict_proba(M[i:i + PREDICT_CHUNK])[:, 1]
                               for i in range(0, len(M), PREDICT_CHUNK)])


def base_rate(bundle):
    """The share of churners among the training rows (before the stayers' sampling)."""
    return bundle["positives"] / bundle["rows"] if bundle.get("rows") else 0.0


def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def contributions(bundle, X, risk=None):
    """(n, features) log-odds contributions; positive raises the risk. `risk` is not needed (kept for callers)."""
    M = _matrix(bundle, X)
    if len(M) == 0:
        return np.zeros((0, len(bundle["features"])))
    estimator = bundle["estimator"]
    if bundle["algorithm"] == "logistic":
        imputer, scaler, logistic = estimator.named_steps.values()
        return scaler.transform(imputer.transform(M)) * logistic.coef_[0]
    return path_contributions(estimator, M)[0]


def _trees(estimator):
    """The node arrays of a fitted binary HistGradientBoostingClassifier, one per boosting iteration."""
    return [predictor.nodes for (predictor,) in estimator._predictors]


def _expected_scores(nodes):
    """Each node's expected raw score: a leaf's value, else the training-row-weighted mean of its children.
    (A split node's stored value is not shrunk by the learning rate as the leaves' are, so it is not used.)
    Nodes are stored root first, each before its children."""
    expected = nodes["value"].astype(float)
    count = nodes["count"].astype(float)
    for i in np.flatnonzero(~nodes["is_leaf"].astype(bool))[::-1]:
        left, right = nodes["left"][i], nodes["right"][i]
        assert left > i and right > i, "node order"
        weight = count[left] + count[right]
        expected[i] = (count[left] * expected[left] + count[right] * expected[right]) / weight if weight else 0.0
    return expected


def _path_table(nodes, expected, n_features):
    """(nodes, features): for each node, the contributions of the splits on the path from the root to it — what a
    row ending in that leaf is credited, feature by feature (Saabas)."""
    table = np.zeros((len(nodes), n_features))
    for i in np.flatnonzero(~nodes["is_leaf"].astype(bool)):  # parents come before their children
        for child in (nodes["left"][i], nodes["right"][i]):
            table[child] = table[i]
            table[child, nodes["feature_idx"][i]] += expected[child] - expected[i]
    return table


def _leaf_finder(predictor):
    """The tree with each leaf's value replaced by its own node index: the compiled predictor then returns the
    leaf a row ends in, by the estimator's own rules (thresholds, where missing values go)."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    nodes = predictor.nodes.copy()
    nodes["value"] = np.arange(len(nodes))
    return TreePredictor(nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets)


def path_contributions(estimator, M):
    """(contributions (n, features), bias (n,)) with bias + contributions.sum(1) = the raw score (log-odds).

    Set-based: per tree the compiled predictor finds each row's leaf; a sparse (rows × every tree's nodes)
    indicator times the stacked path tables sums the credits of all trees in one product."""
    from scipy import sparse

    M = np.ascontiguousarray(M, dtype=float)
    bias = float(np.ravel(estimator._baseline_prediction)[0])
    known_categories, feature_map = estimator._bin_mapper.make_known_categories_bitsets()
    tables, columns, offset = [], [], 0
    for (predictor,) in estimator._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not explained")
        expected = _expected_scores(nodes)
        bias += expected[0]
        tables.append(_path_table(nodes, expected, M.shape[1]))
        leaves = _leaf_finder(predictor).predict(M, known_categories, feature_map, n_threads=THREADS)
        columns.append(offset + leaves.astype(np.int64))
        offset += len(nodes)
    if not tables:
        return np.zeros(M.shape), np.full(len(M), bias)
    rows = np.repeat(np.arange(len(M)), len(columns))
    indicator = sparse.csr_matrix((np.ones(len(rows)), (rows, np.column_stack(columns).ravel())),
                                  shape=(len(M), offset))
    return np.asarray(indicator @ np.vstack(tables)), np.full(len(M), bias)


def top_reasons(bundle, X, contribution, count=3):
    """Per row the `count` largest positive contributions as [{"feature", "contribution", "direction"}], the
    direction being the customer's value against the training mean (set-based;
    a missing value is never a reason: "no recent survey answer" says it in words)."""
    if len(contribution) == 0:
        return []
    M = _matrix(bundle, X)
    contribution = np.where(np.isnan(M), 0.0, contribution)
    order = np.argsort(-contribution, axis=1)[:, :count]
    values = np.take_along_axis(contribution, order, axis=1)
    means = np.array([bundle["means"][f] for f in bundle["features"]])
    high = np.take_along_axis(M > means, order, axis=1)
    names = np.asarray(bundle["features"])[order]
    return [[{"feature": str(n), "contribution": round(float(v), 4), "direction": "high" if h else "low"}
             for n, v, h in zip(row_names, row_values, row_high) if v > 0]
            for row_names, row_values, row_high in zip(names, values, high)]


# -- choosing and storing -----------------------------------------------------------------------------------
def choose_algorithm(data, algorithms=ALGORITHMS):
    """AUC of each candidate on the latest training cut-off, fitted on the earlier ones. With a single training
    cut-off there is nothing to validate on: gradient boosting's default is kept and said so."""
    from sklearn.metrics import roc_auc_score

    cutoffs = sorted(data["cutoff"].unique())
    if len(cutoffs) < 2:
        return algorithms[0], {"validation_cutoff": None, "auc": {}}
    latest = (data["cutoff"] == cutoffs[-1]).to_numpy()
    valid = data.loc[latest, [*FEATURES, "churned", "weight"]]  # the training rows are fitted through a mask
    churned = data["churned"].to_numpy(bool)
    scores = {}
    for algorithm in algorithms:
        if len(set(churned[~latest])) < 2 or valid["churned"].nunique() < 2:
            continue
        bundle = fit(algorithm, data, churned, rows=~latest)
        weight = valid["weight"] if "weight" in valid else None
        scores[algorithm] = round(float(roc_auc_score(valid["churned"], predict(bundle, valid),
                                                      sample_weight=weight)), 4)
    chosen = max(scores, key=scores.get) if scores else algorithms[0]
    return chosen, {"validation_cutoff": pd.Timestamp(cutoffs[-1]).date().isoformat(), "auc": scores}


def save(bundle, version):
    """joblib file under MEDIA_ROOT/churn_models/ -> (relative path, sha256). The name carries a random part:
    a second database sharing the media directory (a copy of the branch, a staging site) numbers its versions
    from 1 too, and must not overwrite this one's file."""
    import secrets

    import joblib

    relative = f"{MODEL_DIR}/churn_model_v{version}_{secrets.token_hex(4)}.joblib"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, path, compress=3)
    return relative, hashlib.sha256(path.read_bytes()).hexdigest()


class ModelFileError(Exception):
    """The stored file is missing or its checksum differs from the one recorded at training."""


def load(churn_model):
    import joblib

    path = Path(settings.MEDIA_ROOT) / churn_model.file
    if not churn_model.file or not path.exists():
        raise ModelFileError(f"churn model v{churn_model.version}: file {churn_model.file!r} is missing")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != churn_model.checksum:
        raise ModelFileError(f"churn model v{churn_model.version}: checksum mismatch")
    return joblib.load(path)


# -- the whole backtest -------------------------------------------------------------------------------------
def train_and_test(test_cutoff, horizon_days, algorithm=None, with_rules=True, params=None,
                   history_days=HISTORY_DAYS):
    """Train on the cut-offs before `test_cutoff` (choosing the algorithm on them unless given), then measure
    the model and the rules on the test cut-off. Returns (bundle, report)."""
    from .backtest import compare, rule_flags
    from .features import policies

    params = params or policies()
    cutoffs = training_cutoffs(test_cutoff, horizon_days, history_days)
    if not cutoffs:
        raise NotEnoughHistory(
            f"no training cut-off: each needs {history_days} days of activity before it and {horizon_days} days "
            f"after it ending on or before {test_cutoff} (activity starts {activity_start()})")
    timings = {}
    started = time.perf_counter()
    train = dataset(cutoffs, horizon_days, params)
    timings["training_features"] = round(time.perf_counter() - started, 2)
    if train["churned"].nunique() < 2:
        raise NotEnoughHistory("the training cut-offs hold no churned customer (or only churned ones)")
    chosen, selection = (algorithm, {"validation_cutoff": None, "auc": {}}) if algorithm else choose_algorithm(train)
    started = time.perf_counter()
    bundle = fit(chosen, train, train["churned"])
    timings["fit"] = round(time.perf_counter() - started, 2)
    bundle.update(horizon_days=horizon_days, rows=train.attrs["rows"], positives=train.attrs["positives"])
    sample = {"training_rows": int(train.attrs["rows"]), "training_churned": int(train.attrs["positives"]),
              "fitted_rows": int(len(train)), "stayer_share": round(float(train.attrs["share"]), 4)}
    del train  # the test cut-off and the rules read the whole population next: not beside the training set
    started = time.perf_counter()
    test = dataset([test_cutoff], horizon_days, params, sample=False)  # measured on everyone
    timings["test_features"] = round(time.perf_counter() - started, 2)
    risk = predict(bundle, test)
    report = {
        "test_cutoff": test_cutoff.isoformat(), "horizon_days": horizon_days,
        "training_cutoffs": [c.isoformat() for c in cutoffs], "algorithm": chosen, "selection": selection,
        **sample,
    }
    if with_rules:
        started = time.perf_counter()
        flags = rule_flags(test_cutoff, test["customer_id"], params[1])
        timings["rules"] = round(time.perf_counter() - started, 2)
        report.update(compare(risk, test["churned"], test["assets"], flags.reset_index(drop=True)))
    else:
        from .backtest import measures

        report["model"] = measures(risk, test["churned"], test["assets"], probability=True)
    report["timings"] = timings
    return bundle, report
