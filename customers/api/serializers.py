from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH

from ..models import Application, Customer, Interaction
from ..models import TierChange, TierSnapshot
from ..scope import mask
from ..tiering.explain import change_reason, explain


class TierValueField(serializers.Field):
    """One value of the customer's current tier; null while the customer has no tier (or an empty one)."""

    def __init__(self, attribute, **kwargs):
        self.attribute = attribute
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, customer):
        tier = getattr(customer, "tier", None)  # None when the customer has no tier row yet
        value = getattr(tier, self.attribute, None) if tier else None
        if value in ("", None):
            return None
        return str(value) if hasattr(value, "quantize") else value


@extend_schema_field({"type": "string", "nullable": True})  # null while the customer has no tier
class TierTextField(TierValueField):
    pass


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class TierMoneyField(TierValueField):
    pass


@extend_schema_field({"type": "boolean", "nullable": True})
class TierWeakField(TierValueField):
    def to_representation(self, customer):
        tier = getattr(customer, "tier", None)
        return tier.stp_weak if tier and tier.stp_subtype else None


@extend_schema_field({"type": "string", "nullable": True})
class ExplanationField(serializers.Field):
    """The tier in plain words, in the request's language (null before the first run)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, customer):
        tier = getattr(customer, "tier", None)
        snapshot = getattr(tier, "snapshot", None) if tier else None
        return explain(snapshot) if snapshot else None


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "date", "nullable": True},
                      "example": {"margin": "2021-03-04", "star_market": None}})
class PermissionDatesField(serializers.Field):
    """Each held permission (the `permissions` codes) with the date it was opened, null where not known
    (products.md: the CRM records which permissions a customer has opened and when)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, customer):
        dates = customer.permission_dates or {}
        return {code: dates.get(code) for code in customer.permissions}


CHURN_REASONS_SHOWN = 3


@extend_schema_field({
    "type": "object", "nullable": True,
    "properties": {"risk": {"type": "number", "description": "probability of leaving within the model's horizon"},
                   "scored_on": {"type": "string", "format": "date"}, "model_version": {"type": "integer"},
                   "reasons": {"type": "array", "items": {"type": "string"}}},
    "example": {"risk": 0.23, "scored_on": "2026-12-04", "model_version": 3,
                "reasons": ["money transferred out in the last 30 days", "not contacted for a long time"]}})
class ChurnRiskField(serializers.Field):
    """The active churn model's latest score of the customer (issue 19) with its top reasons in the request's
    language; null without one, and null in a list of customers (read one customer for it: a list reads no
    score per row)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, customer):
        from alerts.churn.selectors import churn_risk_of

        if isinstance(getattr(self.parent, "parent", None), serializers.ListSerializer):
            return None
        risk = churn_risk_of(customer.pk)
        if risk is None:
            return None
        return {"risk": round(float(risk["risk"]), 4), "scored_on": risk["scored_on"].isoformat(),
                "model_version": risk["model_version"],
                "reasons": [r["text"] for r in risk["reasons"][:CHURN_REASONS_SHOWN]]}


class MaskedField(serializers.CharField):
    def to_representation(self, value):
        return mask(value)


class CustomerSerializer(serializers.ModelSerializer):
    """interfaces.md customer shape; tier fields are null until the nightly tiering fills them."""

    office = serializers.CharField(source="office.code", read_only=True)
    advisor = serializers.CharField(source="advisor.staff_code", read_only=True, allow_null=True, default=None)
    investment_advisor = serializers.CharField(
        source="investment_advisor.staff_code", read_only=True, allow_null=True, default=None
    )
    permissions = serializers.ListField(child=serializers.CharField(), read_only=True)
    permission_dates = PermissionDatesField()
    phone = MaskedField(read_only=True)
    id_number = MaskedField(read_only=True)
    total_assets = TierMoneyField("total_assets")
    star = TierTextField("star")
    legacy_star = TierTextField("legacy_star")
    stp_subtype = TierTextField("stp_subtype")
    stp_weak = TierWeakField("stp_weak")
    lifecycle_stage = TierTextField("lifecycle_stage")
    quadrant = TierTextField("quadrant")
    cev = TierMoneyField("cev")
    cpv = TierMoneyField("cpv")
    clv = TierMoneyField("clv")
    explanation = ExplanationField()
    churn_risk = ChurnRiskField()

    class Meta:
        model = Customer
        fields = [
            "customer_code", "name", "kind", "office", "advisor", "investment_advisor", "risk_level",
            "risk_assessed_on", "permissions", "permission_dates", "phone", "id_number", "opened_on", "first_funded_on", "closed_on",
            "total_assets", "star", "stp_subtype", "stp_weak", "lifecycle_stage", "quadrant", "cev", "cpv", "clv",
            "legacy_star", "explanation", "churn_risk", "marketing_consent", "do_not_contact",
        ]
        read_only_fields = ["marketing_consent", "do_not_contact"]  # the back office's, through the import


class TierChangeSerializer(serializers.ModelSerializer):
    """A move the run made: the field, from, to, and why — the rule and its figures as data (`reason`, e.g.
    {"rule": "demotion", "runs": 3, "computed": "1", "clv": 912.5, "top_share": 1.0}) and in words."""

    reason = serializers.JSONField(read_only=True)
    reason_text = serializers.SerializerMethodField()

    class Meta:
        model = TierChange
        fields = ["field", "old", "new", "reason", "reason_text"]

    def get_reason_text(self, obj) -> str:
        return change_reason(obj.reason)


class TierHistorySerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    stp_subtype = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = TierSnapshot
        fields = ["date", "star", "legacy_star", "stp_subtype", "stp_weak", "lifecycle_stage", "quadrant", "cev",
                  "cpv", "clv", "total_assets", "overridden", "policy_version", "explanation", "changes"]

    def get_stp_subtype(self, obj) -> str | None:
        return obj.stp_subtype or None

    def get_explanation(self, obj) -> str:
        return explain(obj)

    @extend_schema_field(TierChangeSerializer(many=True))
    def get_changes(self, obj):
        """The moves of this run date (context["changes"]: the customer's changes by date, read once)."""
        return TierChangeSerializer(self.context.get("changes", {}).get(obj.date, []), many=True).data


# Kind and status travel as plain strings listed in the help text (as in the alerts API): the service validates
# them and answers 400 per field, and the schema gets no enum whose name collides with other "kind"/"status" enums.
APPLICATION_KINDS = ", ".join(Application.Kind.values)
APPLICATION_STATUSES = ", ".join(Application.Status.values)


class ApplicationSerializer(serializers.ModelSerializer):
    """A closing or transfer-out application (转销户), as the back office delivers it."""

    customer_code = serializers.CharField(source="customer.customer_code", read_only=True)
    office = serializers.CharField(source="customer.office.code", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=APPLICATION_KINDS)
    status = serializers.CharField(read_only=True, help_text=APPLICATION_STATUSES)

    class Meta:
        model = Application
        fields = ["id", "customer_code", "office", "filed_on", "kind", "status"]
        read_only_fields = fields


class ApplicationInputSerializer(serializers.Serializer):
    customer_code = serializers.CharField(max_length=20)
    kind = serializers.CharField(max_length=16, help_text=APPLICATION_KINDS)
    filed_on = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="default today; not in the future")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ApplicationTransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=16, help_text="accepted or withdrawn (only from filed)")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class InteractionInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Interaction.Channel.choices)
    summary = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class InteractionSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.customer_code", read_only=True)
    staff_code = serializers.CharField(source="staff.staff_code", read_only=True, default=None)
    next_contact_on = serializers.DateField(source="customer.next_contact_on", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "customer_code", "staff_code", "at", "channel", "summary", "note", "next_contact_on"]
        read_only_fields = fields
