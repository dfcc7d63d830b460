from django.contrib.auth.views import LoginView
from django.utils.translation import gettext as _

from . import throttle
from .addresses import client_address


class ThrottledLoginView(LoginView):
    """The login page, throttled per client address and per username (crm.auth.throttle)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        try:
            self.attempt = throttle.begin_attempt(request.POST.get("username") or "", client_address(request))
        except throttle.Refused as refused:
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(refused.seconds)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        throttle.attempt_succeeded(self.attempt)
        return super().form_valid(form)
