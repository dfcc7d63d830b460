"""crm.api.errors: how a service's refusals reach API callers (every writing endpoint shares it)."""
import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.exceptions import PermissionDenied, ValidationError

from crm.api.errors import object_id, service_errors


class Gone(Exception):
    pass


def test_ids_of_detail_urls():
    assert object_id("42") == 42
    for bad in ("abc", None, "4.2"):
        with pytest.raises(Http404):
            object_id(bad)


def test_each_refusal_becomes_its_answer():
    with pytest.raises(Http404), service_errors(not_found=Gone):
        raise Gone
    with pytest.raises(PermissionDenied, match="read only"), service_errors():
        raise DjangoPermissionDenied("read only")
    with pytest.raises(ValidationError) as by_field, service_errors():
        raise DjangoValidationError({"to": ["not filed any more"], "note": ["required"]})
    assert by_field.value.detail == {"to": ["not filed any more"], "note": ["required"]}
    with pytest.raises(ValidationError) as general, service_errors():  # a refusal that names no field
        raise DjangoValidationError("closed account")
    assert general.value.detail == {"non_field_errors": ["closed account"]}
    with pytest.raises(KeyError), service_errors(not_found=Gone):  # anything else is not the service's answer
        raise KeyError("x")
