from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("", views.my_messages, name="messages"),
    path("failed/", views.failed, name="failed"),
    path("failed/retry/", views.retry, name="retry"),
    path("preferences/", views.preferences, name="preferences"),
]
