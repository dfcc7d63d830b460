from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from customers.rights import Write
from customers.scope import scope_for

from .. import access, selectors, services
from .serializers import MessageSerializer, RetrySerializer


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own messages, newest first; `failed/` lists the failed messages a manager answers for."""

    serializer_class = MessageSerializer
    write_actions = {"retry": Write.RETRY_MESSAGES}

    def get_queryset(self):
        return selectors.own_messages(scope_for(self.request.user))

    @extend_schema(responses={200: MessageSerializer(many=True), 403: OpenApiResponse(description="not a manager")})
    @action(detail=False, methods=["get"])
    def failed(self, request):
        scope = scope_for(request.user)
        if not access.sees_failed(scope):
            raise PermissionDenied
        page = self.paginate_queryset(selectors.failed_messages(scope))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=RetrySerializer, responses={
        200: inline_serializer("RetryResult", {"queued": serializers.IntegerField()}),
        403: OpenApiResponse(description="not a manager")})
    # JSON only: a list of up to 1,000 ids as form fields would pass Django's limit on the number of fields
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def retry(self, request):
        """Queue failed messages again (those in the caller's scope; others are ignored)."""
        payload = RetrySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response({"queued": services.retry_failed(payload.validated_data["ids"], request.user)})
