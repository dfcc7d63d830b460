from rest_framework import serializers

from customers.models import Interaction

from ..models import Alert, Outcome, Status


class AlertSerializer(serializers.ModelSerializer):
    """interfaces.md alert shape (id, customer_code, rule, level, status, evidence, owner, opened_at, due_at)
    plus the workflow fields."""

    customer_code = serializers.CharField(source="customer.customer_code", read_only=True)
    owner = serializers.CharField(source="owner.staff_code", read_only=True, allow_null=True, default=None)
    evidence = serializers.JSONField(read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "customer_code", "rule", "level", "status", "evidence", "owner", "opened_at", "due_at",
                  "acknowledged_at", "contacted_at", "closed_at", "escalated_at", "outcome", "funds_returned",
                  "reason", "first_fired_on", "last_fired_on"]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True,
                                      default=None)
    channel = serializers.ChoiceField(choices=Interaction.Channel.choices, required=False, allow_blank=True,
                                      default="", help_text="required when to = contacted")
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
