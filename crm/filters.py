"""The audit-log FilterSet, shared by the page, its export and the API."""
import django_filters as filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .filtersets import FixedFilterSet
from .models import AuditEvent


class AuditEventFilter(FixedFilterSet):
    actor = filters.CharFilter(field_name="actor__username", label=_("User"))
    action = filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action"))
    object_type = filters.CharFilter(field_name="object_type", label=_("Object type"))
    object_id = filters.CharFilter(field_name="object_id", label=_("Object"))
    date_from = filters.DateFilter(field_name="at", lookup_expr="date__gte", label=pgettext_lazy("date range", "From"))
    date_to = filters.DateFilter(field_name="at", lookup_expr="date__lte", label=pgettext_lazy("date range", "To"))

    class Meta:
        model = AuditEvent
        fields = []
