# Mounted at /api/planner/. The ICS feed lives here because /api/ is outside the login-everywhere middleware:
# a calendar app has no session; the secret token in the URL is its credential (planner.views.feed_ics).
from django.urls import path
from rest_framework.routers import DefaultRouter

from .. import views
from .views import TaskViewSet

router = DefaultRouter()
router.register("tasks", TaskViewSet, basename="planner-task")
urlpatterns = [
    path("feed/<str:token>.ics", views.feed_ics, name="planner-feed"),
    *router.urls,
]
