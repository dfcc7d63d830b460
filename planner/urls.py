from django.urls import path

from . import views

app_name = "planner"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("tasks/new/", views.task_new, name="task-new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("alerts/<int:pk>/task/", views.task_from_alert, name="task-from-alert"),
    path("surveys/<int:pk>/task/", views.task_from_survey, name="task-from-survey"),
    path("feed/", views.feed_settings, name="feed"),
]
