"""crm.filtersets.FixedFilterSet: filters and form built once per process, with what django-filter's own
FilterSet gives for every input (the same filtered query, the same errors, methods on the right FilterSet)."""
import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.utils import timezone

from alerts.filters import AlertFilter
from alerts.models import Alert
from crm.filtersets import FixedFilterSet
from customers.filters import CustomerFilter
from customers.models import Customer, Office


def plain_twin(fixed_class):
    """The same filters and methods on django-filter's own FilterSet: what the fixed one must match."""
    methods = {name: value for name, value in vars(fixed_class).items()
               if callable(value) and not name.startswith("_") and name not in fixed_class.base_filters}
    return type(f"Plain{fixed_class.__name__}", (django_filters.FilterSet,),
                {**fixed_class.base_filters, **methods, "Meta": fixed_class.Meta})


QUERIES = [
    (CustomerFilter, Customer, ""),
    (CustomerFilter, Customer, "q=K0001&star=5&ordering=-total_assets"),
    (CustomerFilter, Customer, "q=13812345678&lifecycle_stage=decline"),
    (CustomerFilter, Customer, "advisor=S00001&alert=red&kind=individual"),
    (CustomerFilter, Customer, "min_assets=abc&star=9&quadrant=A"),  # two errors, one valid value
    (CustomerFilter, Customer, "stp_subtype=III&risk_level=C4&office=HQ&ordering=name,-clv"),
    (AlertFilter, Alert, "overdue=true&status=active&escalated=false"),
    (AlertFilter, Alert, "overdue=false&level=red&owner=S00001"),
    (AlertFilter, Alert, "status=nonsense&overdue=maybe"),
]


@pytest.mark.parametrize("fixed_class, model, query", QUERIES)
def test_each_input_filters_and_fails_as_django_filters_own_filterset(db, monkeypatch, fixed_class, model, query):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # the overdue filter compares with the time of the call
    fixed = fixed_class(QueryDict(query), queryset=model.objects.all())
    plain = plain_twin(fixed_class)(QueryDict(query), queryset=model.objects.all())
    assert fixed.is_valid() == plain.is_valid()
    assert fixed.errors == plain.errors
    assert str(fixed.qs.query) == str(plain.qs.query)
    assert list(fixed.form.fields) == list(plain.form.fields)
    assert [str(f.label) for f in fixed.form.fields.values()] == [str(f.label) for f in plain.form.fields.values()]


def test_the_form_is_built_once_and_each_filterset_has_its_own_filters(db):
    first = CustomerFilter(QueryDict("star=5"), queryset=Customer.objects.all())
    second = CustomerFilter(QueryDict("min_assets=x"), queryset=Customer.objects.all())
    assert type(first.form) is type(second.form)
    assert first.form.fields["star"] is second.form.fields["star"]  # shared, not copied
    assert first.form.fields is not second.form.fields  # but each form has its own mapping
    assert first.filters["star"] is not second.filters["star"]
    assert first.filters["star"].parent is first and second.filters["star"].parent is second
    # one form's errors are not the other's
    assert first.is_valid() and not second.is_valid()
    assert list(second.errors) == ["min_assets"] and not first.errors


def test_a_method_filter_runs_on_its_own_filterset(db):
    """django-filter binds a `method=` filter to the filter it was declared on: each copy must call the method
    of the FilterSet that holds it, whatever order FilterSets are made in."""
    calls = []

    class Probe(FixedFilterSet):
        q = django_filters.CharFilter(method="search", label="Search")

        class Meta:
            model = Customer
            fields = []

        def search(self, queryset, name, value):
            calls.append((self, value))
            return queryset

    a = Probe(QueryDict("q=a"), queryset=Customer.objects.all())
    b = Probe(QueryDict("q=b"), queryset=Customer.objects.all())
    b.qs, a.qs  # noqa: B018 (evaluated for the calls they make)
    assert calls == [(b, "b"), (a, "a")]


def test_a_model_choice_filter_is_refused(db):
    class WithOffices(FixedFilterSet):
        office = django_filters.ModelChoiceFilter(queryset=Office.objects.all(), label="Office")

        class Meta:
            model = Customer
            fields = []

    with pytest.raises(ImproperlyConfigured, match="model choice filter"):
        WithOffices(QueryDict(""), queryset=Customer.objects.all()).form  # noqa: B018


def test_a_filter_without_a_label_is_refused(db):
    """django-filter names an unlabelled filter after its model field, in the language of the moment: a form
    kept for the process would show the first reader's language to everyone."""
    class Unlabelled(FixedFilterSet):
        code = django_filters.CharFilter(field_name="customer_code")

        class Meta:
            model = Customer
            fields = []

    with pytest.raises(ImproperlyConfigured, match="label"):
        Unlabelled(QueryDict(""), queryset=Customer.objects.all()).form  # noqa: B018
