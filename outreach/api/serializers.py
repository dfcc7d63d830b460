from rest_framework import serializers

from ..models import Message
from ..selectors import masked


class MessageSerializer(serializers.ModelSerializer):
    event_kind_label = serializers.CharField(source="get_event_kind_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "event_kind", "event_kind_label", "channel", "channel_label", "address", "subject", "body",
                  "status", "status_label", "attempts", "last_error", "created_at", "sent_at", "campaign_id"]
        read_only_fields = fields

    def get_address(self, obj) -> str:
        return masked(obj.address)


class RetrySerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1,
                                max_length=1000)  # ids beyond a 64-bit integer name no message
