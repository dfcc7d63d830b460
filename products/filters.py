"""The one product FilterSet, shared by the catalogue page, its export and the API."""
import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.filtersets import FixedFilterSet

from .models import Category, ProductVersion, RiskRating


class ProductFilter(FixedFilterSet):
    q = filters.CharFilter(method="search", label=_("Search"))
    category = filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    risk = filters.ChoiceFilter(choices=RiskRating.choices, label=_("Risk rating"))
    retired = filters.BooleanFilter(label=_("Retired"))

    class Meta:
        model = ProductVersion
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(product__code__icontains=value) | Q(name_zh__icontains=value)
                               | Q(name_en__icontains=value))
