from rest_framework import serializers

from ..models import ProductVersion


class ProductSerializer(serializers.ModelSerializer):
    """The current version of a product (interfaces.md: codes are the `code` column of products.csv)."""

    code = serializers.CharField(source="product.code", read_only=True)
    required_permissions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ProductVersion
        fields = ["code", "name_zh", "name_en", "category", "channel", "schedule", "risk", "min_investment",
                  "fee_model", "required_permissions", "holding_class", "fits", "description_en", "retired",
                  "version"]


class ExclusionSerializer(serializers.Serializer):
    product = serializers.CharField()
    reason = serializers.ChoiceField(choices=["risk_level", "assessment_expired", "permission", "min_investment",
                                              "tier_matrix"])
    detail = serializers.CharField()


class RecommendationSerializer(serializers.Serializer):
    """interfaces.md: {"matched": [codes], "excluded": [{"product", "reason", "detail"}]}; more keys added."""

    customer_code = serializers.CharField()
    matched = serializers.ListField(child=serializers.CharField())
    excluded = ExclusionSerializer(many=True)
    overridden = serializers.ListField(child=serializers.CharField())
    column = serializers.CharField()
    white_list = serializers.BooleanField()
    financing = serializers.BooleanField()
    concentration = serializers.ListField(child=serializers.DictField())
    suggestions = serializers.ListField(child=serializers.CharField())
