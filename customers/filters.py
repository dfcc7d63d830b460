"""The customer and application FilterSets, each shared by its list page, its export and the API."""
import django_filters as filters
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from crm.filtersets import FixedFilterSet

from .models import Application, Customer
from .rights import Write
from .scope import scope_for

PHONE_TAIL_DIGITS = 4  # the digits a masked phone number shows at its end


def _stage_label(code):
    from .tiering.explain import stage_label

    return str(stage_label(code))


def _star_label(code):
    from .tiering.explain import star_label

    return str(star_label(code))


def _subtype_label(code):
    from .tiering.explain import SUBTYPE_NAMES

    from django.utils.translation import gettext

    return f"{code} · {gettext(SUBTYPE_NAMES[code])}"


# Choices show the reader's words (铂金, 潜在期, II · 低频交易型); the values stay the stored codes. Lazy: the
# filter set's form is built once per process (crm.filtersets) and read in either language.
STAGES = [(s, lazy(_stage_label, str)(s)) for s in ("potential", "budding", "growth", "mature", "decline", "churned")]
STARS = [(s, lazy(_star_label, str)(s)) for s in ("1", "2", "3", "4", "5", "platinum", "diamond", "prestige")]
SUBTYPES = [(s, lazy(_subtype_label, str)(s)) for s in ("I", "II", "III", "IV", "V", "VI")]
QUADRANTS = [("A", _("A ordinary")), ("B", _("B important")), ("C", _("C core")), ("D", _("D high-value core"))]


class StableOrderingFilter(filters.OrderingFilter):
    """Sorts by the chosen columns, then by customer code, so that ties (every 3★ customer when sorting by
    star) keep one order and no customer appears on two pages or on none."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value in EMPTY_VALUES or not qs.query.order_by:
            return qs
        return qs.order_by(*qs.query.order_by, "customer_code")


class CustomerFilter(FixedFilterSet):
    q = filters.CharFilter(method="search", label=_("Search"))
    office = filters.CharFilter(field_name="office__code", label=_("Office"))
    advisor = filters.CharFilter(method="by_advisor", label=_("Advisor code"))
    kind = filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("Kind"))
    risk_level = filters.ChoiceFilter(choices=Customer.RiskLevel.choices, label=_("Risk level"))
    star = filters.ChoiceFilter(field_name="tier__star", choices=STARS, label=_("Star"))
    stp_subtype = filters.ChoiceFilter(field_name="tier__stp_subtype", choices=SUBTYPES, label=_("STP sub-type"))
    lifecycle_stage = filters.ChoiceFilter(field_name="tier__lifecycle_stage", choices=STAGES, label=_("Stage"))
    quadrant = filters.ChoiceFilter(field_name="tier__quadrant", choices=QUADRANTS, label=_("Quadrant"))
    min_assets = filters.NumberFilter(field_name="tier__total_assets", lookup_expr="gte", label=_("Assets from"))
    alert = filters.ChoiceFilter(method="by_alert", label=_("Alerts"), choices=[
        ("red", _("Red alert open")), ("any", _("Any open alert")), ("none", _("No open alert"))])
    ordering = StableOrderingFilter(
        fields=(
            ("customer_code", "customer_code"),
            ("name", "name"),
            ("tier__total_assets", "total_assets"),
            ("tier__clv", "clv"),
            ("tier__star", "star"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = Customer
        fields = []

    def search(self, queryset, name, value):
        """Code prefix or part of the name. A phone number matches by exactly its last four digits (what staff
        read off the masked 138****5678) or as the whole number, an ID number only whole and only for a role
        that may reveal it (an advisor may not: a whole-number match would be an oracle for the few hidden
        digits); any other length of digits would let a user rebuild a masked number without an audited
        reveal."""
        value = value.strip()[:100]
        if not value:
            return queryset
        match = Q(customer_code__istartswith=value) | Q(name__icontains=value)
        if value.isdigit() and len(value) == PHONE_TAIL_DIGITS:
            match |= Q(phone__endswith=value)
        elif len(value) > PHONE_TAIL_DIGITS:
            match |= Q(phone=value)
            if self.request is not None and scope_for(self.request.user).may(Write.REVEAL_ID):
                match |= Q(id_number__iexact=value)
        return queryset.filter(match)

    def by_alert(self, queryset, name, value):
        from alerts.selectors import active_alert_exists  # alerts builds on customers, not the other way

        if value == "none":
            return queryset.filter(~active_alert_exists())
        return queryset.filter(active_alert_exists(level="red" if value == "red" else None))

    def by_advisor(self, queryset, name, value):
        return queryset.filter(Q(advisor__staff_code=value) | Q(investment_advisor__staff_code=value))


class ApplicationFilter(FixedFilterSet):
    """Closing / transfer applications: the list page, its export and the API."""

    status = filters.ChoiceFilter(choices=Application.Status.choices, label=_("Status"))
    kind = filters.ChoiceFilter(choices=Application.Kind.choices, label=_("Kind"))
    office = filters.CharFilter(field_name="customer__office__code", label=_("Office"))
    customer = filters.CharFilter(field_name="customer__customer_code", label=_("Customer code"))
    date_from = filters.DateFilter(field_name="filed_on", lookup_expr="gte", label=_("Filed from"))
    date_to = filters.DateFilter(field_name="filed_on", lookup_expr="lte", label=_("Filed until"))

    class Meta:
        model = Application
        fields = []
