"""Nightly scoring with the active model, set-based: the whole population's features in one frame,
`predict_proba` per chunk of rows, contributions one batch per feature, one bulk write; history pruned."""
import json
import time
from datetime import timedelta

import pandas as pd
from django.db import transaction

from alerts.models import ChurnScore
from crm.bulk import copy_frame, refresh_statistics

from . import model as churn_model
from .features import feature_frame, policies

KEEP_DAYS = 365  # score history kept (the customer page's trend, the measures)


def score(day, active):
    """Score every customer of the population on `day` with the ChurnModel `active`; returns counts."""
    timings = {}
    started = time.perf_counter()
    bundle = churn_model.load(active)
    features = feature_frame(day, params=policies())
    timings["features"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    risk = churn_model.predict(bundle, features)
    reasons = churn_model.top_reasons(bundle, features, churn_model.contributions(bundle, features, risk))
    timings["predict"] = round(time.perf_counter() - started, 2)
    rows = pd.DataFrame({
        "customer_id": features.index.astype(int), "scored_on": day.isoformat(), "model_id": active.pk,
        "risk": risk.round(6), "reasons": [json.dumps(r) for r in reasons]})
    started = time.perf_counter()
    with transaction.atomic():
        ChurnScore.objects.filter(scored_on=day).delete()  # a re-run of the night replaces it
        pruned, _ = ChurnScore.objects.filter(scored_on__lt=day - timedelta(days=KEEP_DAYS)).delete()
        copy_frame(ChurnScore, rows)
    refresh_statistics(ChurnScore)
    timings["write"] = round(time.perf_counter() - started, 2)
    return {"customers": int(len(rows)), "version": active.version, "pruned": int(pruned), **timings}
