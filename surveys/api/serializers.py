from rest_framework import serializers

from crm.textlimits import NOTE_MAX_LENGTH

from ..models import Channel, Option, Outcome, Question, QuestionnaireVersion, SurveyResponse


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["code", "text_zh", "text_en", "score", "follow_up", "follow_up_category", "allows_reason"]


class QuestionSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["code", "kind", "required", "text_zh", "text_en", "options"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="questionnaire.code")
    name_zh = serializers.CharField(source="questionnaire.name_zh")
    name_en = serializers.CharField(source="questionnaire.name_en")
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = QuestionnaireVersion
        fields = ["code", "name_zh", "name_en", "version", "questions"]


class ResponseSerializer(serializers.ModelSerializer):
    questionnaire = serializers.CharField(source="version.questionnaire.code")
    version = serializers.IntegerField(source="version.version")
    customer_code = serializers.CharField(source="customer.customer_code")
    interviewer = serializers.CharField(source="interviewer.staff_code", default=None)
    service_person = serializers.CharField(source="service_person.staff_code", default=None)
    answers = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = ["id", "questionnaire", "version", "customer_code", "channel", "outcome", "surveyed_on",
                  "interviewer", "service_person", "handling_minutes", "materials_complete", "review_minutes",
                  "answers"]

    def get_answers(self, obj) -> dict:
        out = {}
        for a in obj.answers.all():
            if a.option_id is None:
                out[a.question.code] = a.text
            elif a.question.kind == Question.Kind.MULTIPLE:
                out.setdefault(a.question.code, []).append(a.option.code)
            else:
                out[a.question.code] = a.option.code
        return out


class ResponseInputSerializer(serializers.Serializer):
    """Shape only; every rule is checked by surveys.services (the same validation as the form and CSV)."""

    questionnaire = serializers.CharField()
    customer_code = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    date = serializers.DateField(required=False)
    interviewer = serializers.CharField(required=False, allow_blank=True)
    service_person = serializers.CharField(required=False, allow_blank=True)
    handling_minutes = serializers.CharField(required=False, allow_blank=True)
    materials_complete = serializers.CharField(required=False, allow_blank=True)
    review_minutes = serializers.CharField(required=False, allow_blank=True)
    answers = serializers.DictField(child=serializers.JSONField(), required=False)  # text lengths: the service
    reasons = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=NOTE_MAX_LENGTH),
                                    required=False)
    plan_item = serializers.IntegerField(required=False, min_value=1,
                                         help_text="The worklist item this response completes or attempts.")
