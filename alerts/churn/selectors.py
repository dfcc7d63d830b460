"""Reads of the churn model for pages and other apps (stable API: add, don't change).

Scores are read from the active model's latest nightly run on or before a day: a constant number of queries
whatever the number of customers."""
from datetime import timedelta

import pandas as pd
from django.db.models import Max
from django.utils import timezone

from alerts.models import ChurnModel, ChurnScore

from .labels import reason_text

RISK_COLUMNS = ["risk", "scored_on", "model_version", "reasons"]


def active_churn_model():
    return ChurnModel.objects.filter(status=ChurnModel.Status.ACTIVE).first()


def churn_models():
    """Every version, newest first, with who trained and activated it."""
    return ChurnModel.objects.select_related("trained_by", "activated_by").order_by("-version")


def _latest_run_day(model, day):
    return (ChurnScore.objects.filter(model=model, scored_on__lte=day)
            .aggregate(latest=Max("scored_on"))["latest"])


def _worded(reasons):
    return [{"feature": r["feature"], "text": reason_text(r["feature"], r.get("direction", "high")),
             "contribution": r["contribution"], "direction": r.get("direction", "high")} for r in reasons or []]


def _empty_risks():
    frame = pd.DataFrame(columns=RISK_COLUMNS)
    frame.index.name = "customer_id"
    return frame


def churn_risks(customer_ids, day=None, model=None):
    """Risk of each customer (index customer_id) from the active model's latest run on or before `day`
    (default today): risk (probability of churning within the model's horizon), scored_on, model_version,
    reasons (top contributions raising the risk: feature code, text in the active language, contribution in
    log-odds, direction "high"/"low" = the customer's value against the training mean). customer_ids=None: everyone
    scored that night. Empty when no model is active or it has not scored yet; customers not scored that night
    (closed since) are absent."""
    model = model or active_churn_model()
    if model is None:
        return _empty_risks()
    run_day = _latest_run_day(model, day or timezone.localdate())
    if run_day is None:
        return _empty_risks()
    rows = ChurnScore.objects.filter(model=model, scored_on=run_day)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=list(customer_ids))
    frame = pd.DataFrame(list(rows.values_list("customer_id", "risk", "reasons")),
                         columns=["customer_id", "risk", "reasons"])
    if frame.empty:
        return _empty_risks()
    frame["risk"] = frame["risk"].astype(float)
    frame["scored_on"] = run_day
    frame["model_version"] = model.version
    frame["reasons"] = frame["reasons"].map(_worded)
    return frame.set_index("customer_id")[RISK_COLUMNS]


def churn_risk_of(customer_id, day=None):
    """One customer's latest risk with its reasons and the model's horizon, or None (no active model or score)."""
    model = active_churn_model()
    if model is None:
        return None
    score = (ChurnScore.objects.filter(model=model, customer_id=customer_id,
                                       scored_on__lte=day or timezone.localdate())
             .order_by("-scored_on").first())
    if score is None:
        return None
    return {"risk": float(score.risk), "scored_on": score.scored_on, "model_version": model.version,
            "horizon_days": model.horizon_days, "reasons": _worded(score.reasons)}


def churn_risk_history(customer_id, days=180, day=None):
    """[(date, risk)] of the customer's nightly scores over the last `days` days, oldest first (every model:
    the history shows what advisors saw each night)."""
    end = day or timezone.localdate()
    rows = (ChurnScore.objects.filter(customer_id=customer_id, scored_on__gt=end - timedelta(days=days),
                                      scored_on__lte=end)
            .order_by("scored_on").values_list("scored_on", "risk"))
    return [(scored_on, float(risk)) for scored_on, risk in rows]


def scored(day):
    """Whether the active model has scored `day` (the late safety run then does nothing)."""
    model = active_churn_model()
    return model is not None and ChurnScore.objects.filter(model=model, scored_on=day).exists()
