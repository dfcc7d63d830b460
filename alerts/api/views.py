from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.errors import object_id, service_errors
from customers.rights import Write

from .. import selectors, services
from ..filters import AlertFilter
from .serializers import AlertSerializer, SnoozeSerializer, TransitionSerializer


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts within the caller's data scope; red first, then the earliest due."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    write_actions = {"transition": Write.TRANSITION_ALERT, "snooze": Write.TRANSITION_ALERT}

    def get_queryset(self):
        return selectors.alert_list(self.request.user)

    @extend_schema(request=TransitionSerializer, responses={
        200: AlertSerializer, 400: OpenApiResponse(description="{field: [messages]} — illegal move or missing "
                                                               "details"),
        403: OpenApiResponse(description="read-only role"), 404: OpenApiResponse(description="not in scope")})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the alert: open → acknowledged → contacted → resolved (with an outcome), or dismissed."""
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        alert_id = object_id(pk)
        with service_errors(not_found=services.AlertNotFound):
            services.transition(alert_id=alert_id, actor=request.user, **data)
        return Response(AlertSerializer(selectors.alert_detail(request.user, alert_id)).data)

    @extend_schema(request=SnoozeSerializer, responses={
        200: AlertSerializer, 400: OpenApiResponse(description="{field: [messages]} — closed alert or a date "
                                                               "outside the policy"),
        403: OpenApiResponse(description="read-only role"), 404: OpenApiResponse(description="not in scope")})
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        """Snooze the alert until a date: out of the active inbox, today's list and escalation until then."""
        payload = SnoozeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        alert_id = object_id(pk)
        with service_errors(not_found=services.AlertNotFound):
            services.snooze(alert_id=alert_id, actor=request.user, **payload.validated_data)
        return Response(AlertSerializer(selectors.alert_detail(request.user, alert_id)).data)
