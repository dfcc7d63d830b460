from rest_framework import serializers

from products.models import Product

from ..models import Campaign


class CampaignSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all(), allow_null=True,
                                           required=False)
    office = serializers.CharField(source="office.code", read_only=True, allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True,
                                        default=None)

    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "template", "segment_kind", "segment_query", "product", "office",
                  "scheduled_at", "status", "created_by", "approved_by", "created_at", "submitted_at",
                  "approved_at", "sent_at", "finished_at"]
        read_only_fields = ["id", "office", "status", "created_by", "approved_by", "created_at", "submitted_at",
                            "approved_at", "sent_at", "finished_at"]


class SendBackSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ResultsSerializer(serializers.Serializer):
    recipients = serializers.DictField(child=serializers.IntegerField())
    messages = serializers.DictField(child=serializers.IntegerField())
    responses = serializers.DictField(child=serializers.IntegerField(allow_null=True))


class PreviewSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    outcomes = serializers.DictField(child=serializers.IntegerField())
