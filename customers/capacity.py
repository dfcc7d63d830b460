"""The advisor capacity caps (AdvisorCapacityPolicy: how many customers one advisor may serve) as policy data:
typed values with labels for the branch manager's page, and the one write, a new audited version (the newest row
is in force; rows are never edited)."""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crm.param_labels import CUSTOMERS, Param, PolicyLabels, Section
from crm.params import JsonParams
from crm.services import audit

from .models import AdvisorCapacityPolicy
from .rights import Write, require
from .scope import scope_for

CAP_FIELDS = ("wealth_advisor_cap", "investment_advisor_cap", "institutional_advisor_cap")


@dataclass(frozen=True)
class CapacityCaps(JsonParams):
    wealth_advisor_cap: int = 800
    investment_advisor_cap: int = 400
    institutional_advisor_cap: int = 40

    @classmethod
    def of(cls, policy):
        return cls(**{name: getattr(policy, name) for name in CAP_FIELDS})

    def validate(self):
        errors = self.shape_errors()
        if errors:
            return errors
        for name in CAP_FIELDS:
            if not 1 <= getattr(self, name) <= 100_000:
                errors[name] = _("a whole number of customers from 1 to 100,000")
        return errors


LABELS = PolicyLabels(CapacityCaps, (
    Section("caps", _("Customers per advisor"),
            _("Assigning a customer to an advisor whose open accounts reach the cap is refused; the grade-fit "
              "report shows each advisor's load against it.")),
), {
    "wealth_advisor_cap": Param(_("Wealth advisor"), CUSTOMERS, _("Open accounts one wealth advisor may serve."),
                                "caps"),
    "investment_advisor_cap": Param(_("Investment advisor"), CUSTOMERS,
                                    _("Open accounts one investment advisor may serve."), "caps"),
    "institutional_advisor_cap": Param(_("Institutional advisor"), CUSTOMERS,
                                       _("Institutions one institutional advisor may serve."), "caps"),
})


@transaction.atomic
def new_capacity_policy(*, user, caps, note=""):
    """A new version of the caps (the newest row is in force), audited with the values before and after."""
    require(scope_for(user), Write.EDIT_CAPACITY)
    errors = caps.validate()
    if errors:
        raise ValidationError(errors)
    if len(note) > 200:
        raise ValidationError({"note": _("At most 200 characters.")})
    previous = AdvisorCapacityPolicy.objects.select_for_update().order_by("-created_at", "-id").first()
    before = CapacityCaps.of(previous).to_json() if previous else CapacityCaps().to_json()
    policy = AdvisorCapacityPolicy.objects.create(**caps.to_json(), note=note, created_by=user)
    audit(user, "capacity_policy.create", policy, before=before, after=caps.to_json(), note=note)
    return policy
