"""Login everywhere: only the login page, static files and the token endpoint are public."""
from django.conf import settings
from django.contrib.auth.views import redirect_to_login

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
