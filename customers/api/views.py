from rest_framework import viewsets

from ..filters import CustomerFilter
from ..selectors import customer_list
from .serializers import CustomerSerializer


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers within the caller's data scope; look up by customer code."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    lookup_field = "customer_code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return customer_list(self.request.user)
