from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.permissions import IsStaffMember
from customers.models import Customer
from customers.scope import scope_for

from .. import selectors
from ..filters import ProductFilter
from ..reasons import explain
from .serializers import ProductSerializer, RecommendationSerializer


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue (current versions, retired ones included with `retired: true`); look up by code."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    lookup_field = "product__code"
    lookup_url_kwarg = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.current_versions()


class RecommendationView(APIView):
    """Matched products of one customer in the caller's scope, and the first failing reason of the rest."""

    permission_classes = [IsStaffMember]

    @extend_schema(responses=RecommendationSerializer)
    def get(self, request, customer_code):
        try:
            customer = scope_for(request.user).customers().select_related("tier").get(customer_code=customer_code)
        except Customer.DoesNotExist:
            raise Http404 from None  # out of scope looks exactly like absent
        rec = selectors.recommendations_for(customer)
        conc = rec["concentration"]
        data = {
            "customer_code": customer.customer_code,
            "matched": [v.product for v in rec["matched"]],
            "excluded": [{"product": v.product, "reason": v.reason, "detail": explain(v)} for v in rec["excluded"]],
            "overridden": [v.product for v in rec["matched"] if v.detail.get("overridden")],
            "column": rec["column"],
            "white_list": rec["flags"]["white_list"],
            "financing": rec["flags"]["financing"],
            "concentration": [{"kind": f["kind"], "key": f["key"], "share": round(float(f["share"]), 4)}
                              for f in (conc["flags"] if conc else [])],
            "suggestions": [v.product.code for v in rec["suggestions"]],
        }
        return Response(RecommendationSerializer(data).data)
