from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from .. import selectors, services
from ..filters import AlertFilter
from .serializers import AlertSerializer, TransitionSerializer


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts within the caller's data scope; red first, then the earliest due."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter

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
        try:
            alert_id = int(pk)
        except (TypeError, ValueError):
            raise Http404 from None
        try:
            services.transition(alert_id=alert_id, actor=request.user, **data)
        except services.AlertNotFound:
            raise Http404 from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(AlertSerializer(selectors.alert_detail(request.user, alert_id)).data)
