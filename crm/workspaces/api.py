"""GET /api/workspace/today/: the today list of crm.workspaces.today in the shape of issue 18 (read-only)."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import today


class TodayReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    level = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    text = serializers.CharField()


class TodayItemSerializer(serializers.Serializer):
    customer_code = serializers.CharField()
    name = serializers.CharField()
    priority = serializers.IntegerField()
    value_at_risk = serializers.FloatField()
    reasons = TodayReasonSerializer(many=True)
    suggested_action = serializers.CharField()


class TodayListSerializer(serializers.Serializer):
    """The documentation of the answer; the answer itself is built by today.as_api."""

    date = serializers.DateField()
    capacity = serializers.IntegerField()
    items = TodayItemSerializer(many=True)
    later_count = serializers.IntegerField()


class TodayView(APIView):
    """The advisor's today list: `{"date", "capacity", "items": [...], "later_count"}`, items by priority,
    highest first. Advisors get their own; managers and compliance pass `?advisor=<staff code>` in scope."""

    serializer_class = TodayListSerializer

    @extend_schema(responses=TodayListSerializer, operation_id="workspace_today")
    def get(self, request):
        try:
            scope, advisor = today.list_target(request.user, request.GET.get("advisor"))
        except today.AdvisorRequired:
            return Response({"detail": _("Name an advisor: ?advisor=<staff code>.")}, status=400)
        return Response(today.as_api(today.list_for(request.user, scope, advisor)))
