from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.scope import scope_for

from .models import JobRun

MAX_FAILED_LOGINS = 10
LOCKOUT_SECONDS = 300


def home(request):
    """Each role lands on its workspace; until the dashboards exist, the customer list."""
    return redirect("customers:list")


class ThrottledLoginView(LoginView):
    """Refuse further attempts for a while after repeated failures from one address for one username."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def _key(self):
        username = (self.request.POST.get("username") or "").lower()[:150]
        return f"login-fail:{self.request.META.get('REMOTE_ADDR', '')}:{username}"

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= MAX_FAILED_LOGINS:
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = self._key()
        cache.add(key, 0, LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, LOCKOUT_SECONDS)
        return super().form_invalid(form)


def job_runs(request):
    scope = scope_for(request.user)
    if not (scope.can_import or scope.is_branch_wide):
        raise PermissionDenied
    runs = JobRun.objects.select_related("started_by")[:100]
    return render(request, "crm/job_runs.html", {"runs": runs})
