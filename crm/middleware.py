"""Login everywhere (only the login page, static files and the token endpoint are public); no caching of
anything Django answers; the API documentation's own Content-Security-Policy."""
from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import patch_cache_control

PUBLIC_PREFIXES = ("/accounts/login/", "/i18n/", "/api/auth/token/", "/health/")


class LoginRequiredEverywhereMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        path = request.path_info
        if (
            request.user.is_authenticated
            or path.startswith(PUBLIC_PREFIXES)
            or path.startswith(self.static_prefix)
            or path.startswith("/api/")  # DRF authenticates tokens itself and answers 401/403
        ):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path())


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response Django itself makes: pages, API answers and exports all
    carry customer data or a form's CSRF token, and none is worth keeping in a shared proxy or on the disk of
    a branch PC once the session ends. Static files are answered by WhiteNoise before this runs and keep their
    long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        return response


# The API documentation pages are drf-spectacular's own templates: an inline bootstrap script (Swagger UI,
# Redoc), styles injected at run time and a web worker (Redoc). They show only the API's schema, never customer
# data or anything a user typed, so they alone get a policy that allows these.
API_DOCS_URL_NAMES = ("api-docs", "api-redoc")
API_DOCS_POLICY = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "worker-src": [SELF, "blob:"],
}


class ApiDocsPolicyMiddleware:
    """Widens the site's Content-Security-Policy for the API documentation pages only (below CSPMiddleware,
    which reads `_csp_replace` from the response)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and match.url_name in API_DOCS_URL_NAMES:
            response._csp_replace = API_DOCS_POLICY
        return response
