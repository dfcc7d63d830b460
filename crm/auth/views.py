from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import throttle
from .addresses import client_address

DEVICE_COOKIE, DEVICE_SALT = "crm_known_browser", "crm.auth.known-browser"
DEVICE_COOKIE_AGE = 180 * 24 * 3600  # a browser stays known for half a year of not logging in there


class ThrottledLoginView(LoginView):
    """The login page, throttled per client address and per username (crm.auth.throttle)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username") or ""
        known = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
        self.device = throttle.device_for(username, known)
        try:
            self.attempt = throttle.begin_attempt(username, client_address(request), device=self.device)
        except throttle.Refused as refused:
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(refused.seconds)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        throttle.attempt_succeeded(self.attempt)
        response = super().form_valid(form)
        # this browser is now known for this user: its attempts are counted apart from the username's lock
        response.set_signed_cookie(DEVICE_COOKIE, self.device or throttle.new_device(form.get_user().get_username()),
                                   salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
                                   secure=settings.SESSION_COOKIE_SECURE)
        return response


class ThrottledAdminLoginView(ThrottledLoginView):
    """The Django admin's login page with the same limiter and counts: left as Django ships it, it would be an
    unthrottled password oracle for the superuser's account, open to anyone already logged in."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm
    redirect_authenticated_user = False  # a logged-in non-staff user sees the admin's own "not authorised"

    def get(self, request, *args, **kwargs):
        if request.user.is_active and request.user.is_staff:
            return redirect("admin:index")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = {**super().get_context_data(**kwargs), **admin.site.each_context(self.request),
                   "title": _("Log in"), "subtitle": None, "app_path": self.request.get_full_path(),
                   "username": self.request.user.get_username()}
        if not (self.request.GET.get(REDIRECT_FIELD_NAME) or self.request.POST.get(REDIRECT_FIELD_NAME)):
            context[REDIRECT_FIELD_NAME] = reverse("admin:index")
        return context
