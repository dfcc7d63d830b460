# Mounted at /api/surveys/.
from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import QuestionnaireViewSet, ReportView, ResponseViewSet

router = DefaultRouter()
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register("responses", ResponseViewSet, basename="response")
urlpatterns = [path("reports/<str:code>/", ReportView.as_view(), name="survey-report")] + router.urls
