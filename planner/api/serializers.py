from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH

from ..models import Task


class PlanDateTimeField(serializers.DateTimeField):
    """DRF's date-time, with a date at the calendar's ends (0001-01-01 read in Beijing time) refused as invalid
    instead of overflowing."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("invalid", format="ISO 8601")


class TaskSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.staff_code", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    customer = serializers.CharField(source="customer.customer_code", read_only=True, allow_null=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "owner", "owner_name", "customer", "customer_name", "kind", "title", "notes", "due_at",
                  "ends_at", "location", "status", "source", "source_id", "created_at", "completed_at"]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer):
    """A task by hand (customer code optional, owner's staff code for a manager planning for a colleague) or
    the next step of a contact (`interaction`: its id; the customer is the contact's)."""

    customer = serializers.CharField(max_length=20, required=False, allow_blank=True)
    owner = serializers.CharField(max_length=16, required=False, allow_blank=True)
    interaction = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(choices=Task.Kind.choices, default=Task.Kind.CALL_BACK)
    title = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")
    due_at = PlanDateTimeField()
    ends_at = PlanDateTimeField(required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH, required=False, allow_blank=True,
                                     default="")

    def validate(self, data):
        if not data.get("interaction") and not (data.get("title") or "").strip():
            raise serializers.ValidationError({"title": [_("Give the task a title.")]})
        return data


class RescheduleSerializer(serializers.Serializer):
    due_at = PlanDateTimeField()
    ends_at = PlanDateTimeField(required=False, allow_null=True, default=None)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")
