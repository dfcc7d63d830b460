"""Writes of the churn model: activation (a branch manager, after reading the backtest; audited)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import ChurnModel
from crm.services import audit
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
    return model
