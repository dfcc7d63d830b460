from collections.abc import Mapping

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.auth import throttle, tokens
from crm.auth.addresses import client_address


class ObtainTokenView(ObtainAuthToken):
    """POST username + password -> {"token": …, "expires": …}; throttled by the login page's limiter."""

    permission_classes = [AllowAny]
    throttle_classes = []  # crm.auth.throttle instead: shared across processes, per address and username

    @extend_schema(responses={
        200: inline_serializer("IssuedToken", {"token": serializers.CharField(),
                                               "expires": serializers.DateTimeField()}),
        # the login limiter (crm.auth.throttle): too many failures from this address or for this username
        429: OpenApiResponse(description="too many failed logins; retry after the Retry-After seconds"),
    })
    def post(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, Mapping) else {}  # a JSON list or string: a 400 below
        try:
            attempt = throttle.begin_attempt(str(data.get("username") or ""), client_address(request))
        except throttle.Refused as refused:
            raise Throttled(wait=refused.seconds)
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        throttle.attempt_succeeded(attempt)
        token = tokens.issue(serializer.validated_data["user"])
        return Response({"token": token.key, "expires": tokens.expires_at(token)})


class RevokeTokenView(APIView):
    """POST: the caller's API token stops working (a new one comes from POST /api/auth/token/)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: OpenApiResponse(description="revoked")})
    def post(self, request):
        tokens.revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
