from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm.api.errors import object_id, service_errors
from customers.rights import Write
from customers.scope import scope_for

from .. import selectors, services
from ..models import Campaign
from .serializers import CampaignSerializer, PreviewSerializer, ResultsSerializer, SendBackSerializer

REFUSALS = {403: OpenApiResponse(description="role may not, or the creator approving"),
            404: OpenApiResponse(description="not in scope"),
            400: OpenApiResponse(description="{field: [messages]} — not in the right status, bad template")}


class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns the caller sees (branch roles all, an office role its office's; advisors none). Create a draft,
    submit it, a manager other than its author approves (or sends it back), cancel until it sends; results."""

    serializer_class = CampaignSerializer
    write_actions = {"create": Write.EDIT_CAMPAIGNS, "submit": Write.EDIT_CAMPAIGNS,
                     "cancel": Write.EDIT_CAMPAIGNS, "approve": Write.APPROVE_CAMPAIGNS,
                     "send_back": Write.APPROVE_CAMPAIGNS}

    def get_queryset(self):
        scope = scope_for(self.request.user)
        if scope.is_advisor:
            raise PermissionDenied
        return selectors.visible_campaigns(scope)

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = services.create_campaign(self.request.user, serializer.validated_data)

    def _step(self, pk, step, *args):
        with service_errors(not_found=services.CampaignNotFound):
            campaign = step(self.request.user, object_id(pk), *args)
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=None, responses={200: CampaignSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """A draft goes to a manager for approval."""
        return self._step(pk, services.submit)

    @extend_schema(request=None, responses={200: CampaignSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A manager other than the author approves: the segment's customers become the recipients."""
        return self._step(pk, services.approve)

    @extend_schema(request=SendBackSerializer, responses={200: CampaignSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        payload = SendBackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._step(pk, services.send_back, payload.validated_data["note"])

    @extend_schema(request=None, responses={200: CampaignSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(pk, services.cancel)

    @extend_schema(responses={200: ResultsSerializer, 404: REFUSALS[404]})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Recipients by outcome, messages by status, customers who contacted the branch or bought afterwards."""
        campaign = self.get_object()
        return Response(selectors.results(campaign))

    @extend_schema(parameters=[OpenApiParameter("segment_kind", str), OpenApiParameter("segment_query", str),
                               OpenApiParameter("product", str, description="product code")],
                   responses={200: PreviewSerializer})
    @action(detail=False, methods=["get"])
    def preview(self, request):
        """The live count of a segment as the caller would create it."""
        scope = scope_for(request.user)
        if scope.is_advisor or not (scope.is_branch_wide or scope.may(Write.EDIT_CAMPAIGNS)):
            raise PermissionDenied
        kind = request.query_params.get("segment_kind") or Campaign.SegmentKind.FILTER
        code = request.query_params.get("product") or None
        office_id = None if scope.is_branch_wide else scope.office_id
        return Response(selectors.segment_preview(request.user, kind, selectors.clean_query(
            request.query_params.get("segment_query")), code, office_id))
