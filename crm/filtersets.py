"""A FilterSet whose filters and form are built once per process instead of once per request.

django-filter deep-copies every filter for each FilterSet, builds a form field from each copy and a form class
from the fields; the form then deep-copies every field again (Django's BaseForm). For the customer list's ten
filters and their fifty choices that was about 700 copies: a millisecond of every list view and API list. The
filters of a FixedFilterSet keep no state between requests (choices fixed in code, no querysets, nothing that
depends on the request, labels that translate when shown), so each FilterSet gets shallow copies of its filters
and every form shares one set of fields, which forms only read. Model choice filters and unlabelled filters
are refused."""
import copy

from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django_filters import FilterSet
from django_filters.filters import FilterMethod, QuerySetRequestMixin


class SharedFields(dict):
    """A form class's fields, handed to each form as they are: `copy.deepcopy` (what BaseForm.__init__ does to
    its base_fields) copies only the mapping."""

    def __deepcopy__(self, memo):
        return dict(self)


class FixedFilterSet(FilterSet):
    _fixed_form_class = None  # per subclass, set by get_form_class

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            filter_.model, filter_.parent = queryset.model, self
            if isinstance(filter_.__dict__.get("filter"), FilterMethod):
                filter_.filter = FilterMethod(filter_)  # the copy's method resolves on this FilterSet
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        if cls.__dict__.get("_fixed_form_class") is None:
            for name, filter_ in self.filters.items():
                if isinstance(filter_, QuerySetRequestMixin):  # its queryset would be read once, then kept
                    raise ImproperlyConfigured(f"{cls.__name__}.{name}: a model choice filter needs a fresh field "
                                               f"for each request; derive from django_filters.FilterSet")
                if filter_._label is None:  # django-filter would spell one in the language of the first request
                    raise ImproperlyConfigured(f"{cls.__name__}.{name}: give the filter a label (gettext_lazy)")
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            form_class = type(f"{cls.__name__}Form", (self._meta.form,), fields)
            form_class.base_fields = SharedFields(form_class.base_fields)
            cls._fixed_form_class = form_class
        return cls._fixed_form_class

