"""Nightly scoring with the active model, set-based: the population's features a chunk of customer ids at a
time (features.ID_CHUNK), `predict_proba` and the contributions per chunk, one bulk write; history pruned.

Reasons only for customers whose risk is above the model's training base rate: a customer less likely to leave
than the average one has no risk worth explaining (the customer page then shows the risk without "mainly because
of")."""
import json
import time
from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import transaction

from alerts.models import ChurnScore
from crm.bulk import copy_frame, refresh_statistics

from . import model as churn_model
from .features import feature_frame, id_ranges, policies

KEEP_DAYS = 365  # score history kept (the customer page's trend, the measures)


def score(day, active):
    """Score every customer of the population on `day` with the ChurnModel `active`; returns counts."""
    timings = {}
    started = time.perf_counter()
    bundle, params = churn_model.load(active), policies()
    timings["features"] = timings["predict"] = 0.0
    parts = []
    for id_range in id_ranges():  # a chunk of customers at a time: memory is bounded by the chunk
        features = feature_frame(day, params=params, id_range=id_range)
        timings["features"] += time.perf_counter() - started
        started = time.perf_counter()
        risk = churn_model.predict(bundle, features)
        parts.append(pd.DataFrame({"customer_id": features.index.astype(int), "risk": risk.round(6),
                                   "reasons": _reasons(bundle, features, risk)}))
        timings["predict"] += time.perf_counter() - started
        started = time.perf_counter()
    timings = {k: round(v, 2) for k, v in timings.items()}
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["customer_id", "risk", "reasons"])
    rows.insert(1, "scored_on", day.isoformat())
    rows.insert(2, "model_id", active.pk)
    with transaction.atomic():
        ChurnScore.objects.filter(scored_on=day).delete()  # a re-run of the night replaces it
        pruned, _ = ChurnScore.objects.filter(scored_on__lt=day - timedelta(days=KEEP_DAYS)).delete()
        copy_frame(ChurnScore, rows)
    refresh_statistics(ChurnScore)
    timings["write"] = round(time.perf_counter() - started, 2)
    return {"customers": int(len(rows)), "version": active.version, "pruned": int(pruned),
            "explained": int((rows["reasons"] != "[]").sum()), **timings}


def _reasons(bundle, features, risk):
    """JSON reasons per row: the top contributions for rows above the training base rate, "[]" for the rest."""
    out = np.full(len(risk), "[]", dtype=object)
    explain = np.flatnonzero(risk > churn_model.base_rate(bundle))
    if len(explain):
        above = features.iloc[explain]
        contribution = churn_model.contributions(bundle, above, risk[explain])
        out[explain] = [json.dumps(r) for r in churn_model.top_reasons(bundle, above, contribution)]
    return out
