"""GET /api/workspace/today/: the today list of crm.workspaces.today in the shape of issue 18 (read-only)."""
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import APIView

from . import today
from .views import AdvisorRequired, today_target


class TodayView(APIView):
    """The advisor's today list: `{"date", "capacity", "items": [...], "later_count"}`, items by priority,
    highest first. Advisors get their own; managers and compliance pass `?advisor=<staff code>` in scope."""

    def get(self, request):
        try:
            _scope, advisor = today_target(request)
        except AdvisorRequired:
            return Response({"detail": _("Name an advisor: ?advisor=<staff code>.")}, status=400)
        return Response(today.as_api(today.today_list(request.user, advisor)))
