from django.contrib import admin

from .models import FollowUpTask, Questionnaire, QuestionnaireVersion, SamplingPlan, SurveyPolicy


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ("questionnaire", "version", "status", "created_at")
    list_filter = ("status",)


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "note", "created_at")


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ("month", "office", "status", "released_at")
    list_filter = ("status",)


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "kind", "category", "status", "due_on", "owner")
    list_filter = ("status", "kind", "category")
    raw_id_fields = ("response", "customer", "question", "option", "owner", "escalated_to", "resurvey", "closed_by")
