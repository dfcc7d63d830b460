from django.urls import path

from .api import TodayView

urlpatterns = [
    path("today/", TodayView.as_view(), name="api-workspace-today"),
]
