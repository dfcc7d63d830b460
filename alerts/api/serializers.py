from rest_framework import serializers

from crm.textlimits import NOTE_MAX_LENGTH
from customers.models import Interaction

from ..models import Alert, DismissReason, Outcome, Status

# Status, outcome and channel travel as plain strings listed in the help text: the service validates them and
# answers 400 per field; the schema then has no enum whose name could collide with other apps' same-named fields.
STATUSES = ", ".join(Status.values)
OUTCOMES = ", ".join(Outcome.values)
CHANNELS = ", ".join(Interaction.Channel.values)
DISMISS_REASONS = ", ".join(DismissReason.values)


class AlertSerializer(serializers.ModelSerializer):
    """interfaces.md alert shape (id, customer_code, rule, level, status, evidence, owner, opened_at, due_at)
    plus the workflow fields."""

    customer_code = serializers.CharField(source="customer.customer_code", read_only=True)
    owner = serializers.CharField(source="owner.staff_code", read_only=True, allow_null=True, default=None)
    evidence = serializers.JSONField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUSES)
    outcome = serializers.CharField(read_only=True, help_text=f"set when resolved: {OUTCOMES}")
    dismiss_reason = serializers.CharField(read_only=True, help_text=f"set when dismissed: {DISMISS_REASONS}")

    class Meta:
        model = Alert
        fields = ["id", "customer_code", "rule", "level", "status", "evidence", "owner", "opened_at", "due_at",
                  "acknowledged_at", "contacted_at", "closed_at", "escalated_at", "outcome", "funds_returned",
                  "reason", "dismiss_reason", "snoozed_until", "first_fired_on", "last_fired_on"]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=16, help_text=f"the new status: {STATUSES}")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH,
                                 help_text="free text; required when dismissing with the reason other")
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=16,
                                    help_text=f"required when to = resolved: {OUTCOMES}")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True,
                                      default=None, help_text="required with the outcome funds_returned")
    channel = serializers.CharField(required=False, allow_blank=True, default="", max_length=8,
                                    help_text=f"required when to = contacted: {CHANNELS}")
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    dismiss_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=16,
                                           help_text=f"required when to = dismissed: {DISMISS_REASONS} "
                                                     "(other: with a note)")


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateField(required=False, allow_null=True, default=None, help_text="active again on this date: after today, within the policy's "
                                            "snooze_max_days")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    whole_card = serializers.BooleanField(required=False, default=False,
                                          help_text="every active alert of the same owner on the customer")
