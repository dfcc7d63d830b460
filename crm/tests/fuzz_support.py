"""Support for the schemathesis API fuzz test (crm/tests/test_api_fuzz.py).

The API is called in-process through Django's WSGI handler, inside the test's database transaction:
the same connection, so the fuzzer sees the generated branch and everything it writes is rolled back.
"""
import json
from collections import Counter
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@contextmanager
def keep_test_connection():
    """A real WSGI handler closes "old" connections at the start and end of every request; inside a test
    transaction that would drop the test's connection (and its data) on PostgreSQL. Django's own test client
    disconnects the same receivers for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def wsgi_app():
    """Django's WSGI handler, minus the "old connections" receivers on every request: Django's test client
    connects them again after each of its own requests."""
    handler = get_wsgi_application()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return handler(environ, start_response)

    return app


def served_schema():
    """The OpenAPI document /api/schema/ serves, as JSON data, built without a request (no database needed)."""
    from drf_spectacular.renderers import OpenApiJsonRenderer
    from drf_spectacular.settings import spectacular_settings

    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    document = generator.get_schema(request=None, public=spectacular_settings.SERVE_PUBLIC)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


# DRF answers these on its own (validation errors, permission denied, no such object / page) and drf-spectacular
# does not document them; an undocumented 2xx/3xx/5xx or 401 (we are authenticated) is still a failure.
GENERIC_ERROR_STATUSES = {400, 403, 404}
undocumented_errors = set()  # (operation, status) seen, for the report
responses_checked = Counter()  # (operation, status) -> responses checked, for the report


def _routes(path):
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def status_code_conformance_or_generic_error(ctx, response, case):
    """schemathesis's status_code_conformance, except that DRF's generic 400/403/404 may be undocumented.

    Such a response must be DRF's JSON error shape (an object or list) - or, for a 404, Django's own page when the
    generated path parameter does not even match the URL pattern (e.g. a float id, a code with a dot)."""
    from urllib.parse import unquote, urlsplit

    from schemathesis.core.failures import Failure
    from schemathesis.specs.openapi.checks import status_code_conformance

    responses_checked[case.operation.label, response.status_code] += 1
    documented = {str(code) for code in case.operation.responses.status_codes}
    status = response.status_code
    if status in GENERIC_ERROR_STATUSES and str(status) not in documented and "4XX" not in documented:
        path = unquote(urlsplit(response.request.url).path)
        if status == 404 and not _routes(path):
            undocumented_errors.add((case.operation.label, "404 unroutable path (Django HTML page)"))
            return None
        undocumented_errors.add((case.operation.label, status))
        try:
            body = response.json()
        except Exception:
            body = None
        if not isinstance(body, (dict, list)):
            raise Failure(
                operation=case.operation.label,
                title="Generic error response is not DRF JSON",
                message=f"{status} with body {response.text[:200]!r}",
            )
        return None
    return status_code_conformance(ctx, response, case)
