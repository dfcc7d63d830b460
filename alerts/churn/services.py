"""Writes of the churn model: training a new version (draft), activation (a branch manager, after reading the
backtest; audited) and the nightly scoring."""
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import ChurnModel
from crm.services import audit, job_run
from customers.rights import Write
from customers.scope import scope_for

# Choosing the model that ranks every advisor's customers is a branch policy decision, like the thresholds.
ACTIVATE_RIGHT = Write.EDIT_ALERT_POLICY


def can_activate(user):
    return scope_for(user).may(ACTIVATE_RIGHT)


@transaction.atomic
def activate(model, user):
    """Make `model` (a ChurnModel or its version) the one active version; the previous one is retired."""
    if not can_activate(user):
        raise PermissionDenied(_("Only branch managers activate a churn model."))
    version = model.version if isinstance(model, ChurnModel) else int(model)
    model = ChurnModel.objects.select_for_update().filter(version=version).first()
    if model is None:
        raise ValidationError(_("No churn model has version %(version)s.") % {"version": version})
    if model.status == ChurnModel.Status.ACTIVE:
        return model
    if not model.file:
        raise ValidationError(_("This churn model has no fitted estimator to score with."))
    previous = ChurnModel.objects.select_for_update().filter(status=ChurnModel.Status.ACTIVE).first()
    if previous:
        previous.status = ChurnModel.Status.RETIRED
        previous.save(update_fields=["status"])
    model.status = ChurnModel.Status.ACTIVE
    model.activated_at = timezone.now()
    model.activated_by = user if getattr(user, "is_authenticated", False) else None
    model.save(update_fields=["status", "activated_at", "activated_by"])
    audit(user, "churn_model.activate", model, version=model.version,
          replaced=previous.version if previous else None)
    transaction.on_commit(_queue_scoring)  # the pages read the new version's scores from tonight's data date
    return model


def _queue_scoring():
    from alerts.tasks import score_churn

    score_churn.delay()


def default_test_cutoff(horizon_days, day=None):
    """The latest cut-off whose horizon has been observed: the data date minus the horizon."""
    from alerts.selectors import default_scan_date

    return (day or default_scan_date()) - timedelta(days=horizon_days)


def train_model(*, user=None, test_cutoff=None, horizon_days=90, algorithm=None, history_days=None, task_id=""):
    """Train and backtest a new version (a draft until a manager activates it). The stored estimator is the one
    the backtest measured: trained on the cut-offs before `test_cutoff`, tested on it."""
    from . import model as churn_model

    test_cutoff = test_cutoff or default_test_cutoff(horizon_days)
    with job_run("churn_train", params={"date": test_cutoff.isoformat(), "horizon_days": horizon_days},
                 user=user, task_id=task_id) as run:
        bundle, report = churn_model.train_and_test(test_cutoff, horizon_days, algorithm=algorithm,
                                                    history_days=history_days or churn_model.HISTORY_DAYS)
        with transaction.atomic():
            version = (ChurnModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
            path, checksum = churn_model.save(bundle, version)
            model = ChurnModel.objects.create(
                version=version, status=ChurnModel.Status.DRAFT, algorithm=report["algorithm"],
                horizon_days=horizon_days, trained_at=timezone.now(),
                trained_by=user if getattr(user, "is_authenticated", False) else None,
                training_cutoffs=report["training_cutoffs"], test_cutoff=test_cutoff, features=bundle["features"],
                metrics=report, file=path, checksum=checksum)
            audit(user, "churn_model.train", model, version=version, algorithm=model.algorithm,
                  auc=report["model"]["auc"])
        run.counts = {"version": version, "rows": report["training_rows"], "auc": report["model"]["auc"]}
    return model


def score_branch(day=None, *, user=None, task_id=""):
    """Score every customer with the active model for `day` (default: the latest data date). None when no model
    is active (the rules stay the only warning)."""
    from alerts.selectors import default_scan_date

    from . import batch
    from .selectors import active_churn_model

    active = active_churn_model()
    if active is None:
        return None
    day = day or default_scan_date()
    with job_run("churn_score", params={"date": day.isoformat(), "version": active.version},
                 user=user, task_id=task_id) as run:
        run.counts = batch.score(day, active)
    return run
