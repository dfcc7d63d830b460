"""ONE FilterSet for survey responses, shared by the pages, the reports and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.filters import STARS  # labelled: 5★, 铂金 …
from customers.models import Office

from .models import Channel, Outcome, Questionnaire

STAGES = [("potential", _("potential")), ("budding", _("budding")), ("growth", _("growth")),
          ("mature", _("mature")), ("decline", _("decline")), ("churned", _("churned"))]


class ResponseFilter(django_filters.FilterSet):
    questionnaire = django_filters.ModelChoiceFilter(
        label=_("Questionnaire"), field_name="version__questionnaire", to_field_name="code",
        queryset=Questionnaire.objects.all())
    date_from = django_filters.DateFilter(label=pgettext_lazy("date range", "From"), field_name="surveyed_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=pgettext_lazy("date range", "To"), field_name="surveyed_on", lookup_expr="lte")
    office = django_filters.ModelChoiceFilter(label=_("Office"), field_name="customer__office", to_field_name="code",
                                              queryset=Office.objects.all())
    advisor = django_filters.CharFilter(label=_("Advisor (staff code)"), method="filter_advisor")
    star = django_filters.ChoiceFilter(label=_("Star"), field_name="customer__tier__star", choices=STARS)
    stage = django_filters.ChoiceFilter(label=_("Stage"), field_name="customer__tier__lifecycle_stage",
                                        choices=STAGES)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Outcome.choices)
    customer = django_filters.CharFilter(label=_("Customer code"), field_name="customer__customer_code")

    def filter_advisor(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(customer__advisor__staff_code=value) | Q(customer__investment_advisor__staff_code=value)
                               | Q(service_person__staff_code=value))
