from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.errors import object_id, service_errors

from .. import applications, services
from ..filters import ApplicationFilter, CustomerFilter
from ..rights import Write
from ..selectors import customer_list
from ..selectors import tier_changes, tier_history
from .serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    ApplicationTransitionSerializer,
    CustomerSerializer,
    InteractionInputSerializer,
    InteractionSerializer,
    TierHistorySerializer,
)


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers within the caller's data scope; look up by customer code."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    write_actions = {"interactions": Write.LOG_CONTACT}
    lookup_field = "customer_code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return customer_list(self.request.user)

    @extend_schema(responses=TierHistorySerializer(many=True))
    @action(detail=True, url_path="tier-history", pagination_class=None)
    def tier_history(self, request, customer_code=None):
        """One entry per run date, oldest first, each with the moves that run made and why (`changes`)."""
        customer = self.get_object()
        changes = {}
        for change in tier_changes(customer, limit=None):
            changes.setdefault(change.date, []).append(change)
        return Response(TierHistorySerializer(tier_history(customer), many=True, context={"changes": changes}).data)

    @extend_schema(request=InteractionInputSerializer, responses={
        201: InteractionSerializer,
        400: OpenApiResponse(description="{field: [messages]} — unknown channel, summary or note too long"),
        403: OpenApiResponse(description="a role that does not log contacts"),
        404: OpenApiResponse(description="not in scope")})
    @action(detail=True, methods=["post"], pagination_class=None)
    def interactions(self, request, customer_code=None):
        """Log a contact: {"channel", "summary", "note"}. The contact clears the work: the next scheduled contact
        moves to today + the customer's cycle, the contact-due reminder is resolved, open warnings become
        contacted."""
        customer = self.get_object()
        payload = InteractionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            interaction = services.log_interaction(customer=customer, actor=request.user, **payload.validated_data)
        interaction = type(interaction).objects.select_related("customer", "staff").get(pk=interaction.pk)
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


class ApplicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Closing / transfer-out applications within the caller's data scope, newest first. POST files one and
    `transition` accepts or withdraws a filed one (operations staff, office and branch managers)."""

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    write_actions = {"create": Write.HANDLE_APPLICATION, "transition": Write.HANDLE_APPLICATION}

    def get_queryset(self):
        return applications.application_list(self.request.user)

    def get_serializer_class(self):
        return ApplicationInputSerializer if self.action == "create" else ApplicationSerializer

    @extend_schema(request=ApplicationInputSerializer, responses={
        201: ApplicationSerializer,
        400: OpenApiResponse(description="{field: [messages]} — unknown or out-of-scope customer, closed account, "
                                         "duplicate, date in the future"),
        403: OpenApiResponse(description="a role that only reads")})
    def create(self, request, *args, **kwargs):
        payload = ApplicationInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            application = applications.file_application(actor=request.user, **payload.validated_data)
        return Response(ApplicationSerializer(self.get_queryset().get(pk=application.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationTransitionSerializer, responses={
        200: ApplicationSerializer,
        400: OpenApiResponse(description="{field: [messages]} — not filed any more, or an unknown status"),
        403: OpenApiResponse(description="a role that only reads"),
        404: OpenApiResponse(description="not in scope")})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Accept or withdraw a filed application: {"to": "accepted" | "withdrawn", "note": "…"}."""
        payload = ApplicationTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        application_id = object_id(pk)
        with service_errors(not_found=applications.ApplicationNotFound):
            applications.transition_application(application_id=application_id, actor=request.user,
                                                **payload.validated_data)
        return Response(ApplicationSerializer(applications.application_detail(request.user, application_id)).data)
