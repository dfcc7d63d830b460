from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..filters import CustomerFilter
from ..selectors import customer_list
from ..selectors import tier_history
from .serializers import CustomerSerializer, TierHistorySerializer


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers within the caller's data scope; look up by customer code."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    lookup_field = "customer_code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return customer_list(self.request.user)

    @extend_schema(responses=TierHistorySerializer(many=True))
    @action(detail=True, url_path="tier-history", pagination_class=None)
    def tier_history(self, request, customer_code=None):
        """One entry per run date, oldest first."""
        customer = self.get_object()
        return Response(TierHistorySerializer(tier_history(customer), many=True).data)
