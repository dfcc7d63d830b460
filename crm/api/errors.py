"""A service's refusals as API answers, the same for every endpoint that writes through a service."""
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.exceptions import PermissionDenied, ValidationError


def object_id(pk):
    """The integer id of a detail URL; anything else reads like an absent object (404)."""
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


@contextmanager
def service_errors(not_found=()):
    """Inside the block, the service's PermissionDenied is a 403 with its message, its ValidationError a 400
    with every message by field, and the `not_found` exceptions a 404 (out of scope reads like absent)."""
    try:
        yield
    except not_found:
        raise Http404 from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise ValidationError(detail) from None
