"""The one alert FilterSet, shared by the inbox page, its export and the API."""
import django_filters as filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.filtersets import FixedFilterSet

from .models import ACTIVE, Alert, Level, Rule, Status
from .selectors import awake, snoozed, waiting

STATUS_CHOICES = [("active", _("Active (open, acknowledged, contacted)")), ("snoozed", _("Snoozed")),
                  ("waiting", _("Scheduled (opens later)")), *Status.choices]


class AlertFilter(FixedFilterSet):
    rule = filters.ChoiceFilter(choices=Rule.choices, label=_("Rule"))
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="by_status", label=_("Status"))
    level = filters.ChoiceFilter(choices=Level.choices, label=_("Level"))
    customer = filters.CharFilter(field_name="customer__customer_code", label=_("Customer code"))
    office = filters.CharFilter(field_name="customer__office__code", label=_("Office"))
    owner = filters.CharFilter(field_name="owner__staff_code", label=_("Owner (staff code)"))
    overdue = filters.BooleanFilter(method="by_overdue", label=_("Overdue"))
    escalated = filters.BooleanFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True,
                                      label=_("Escalated"))

    class Meta:
        model = Alert
        fields = []

    def by_status(self, queryset, name, value):
        if value == "active":  # the work to do now: snoozed alerts come back on their date
            return queryset.filter(awake(), status__in=ACTIVE)
        if value == "snoozed":
            return queryset.filter(snoozed(), status__in=ACTIVE)
        if value == "waiting":  # reminders that can wait, until their lead time
            return queryset.filter(waiting(), status__in=ACTIVE)
        return queryset.filter(status=value)

    def by_overdue(self, queryset, name, value):
        late = {"status": Status.OPEN, "due_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)
