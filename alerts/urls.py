from django.urls import path

from . import churn_views, views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export.<str:fmt>", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/snooze/", views.snooze, name="snooze"),
    path("measures/", views.measures, name="measures"),
    path("policy/", views.policy, name="policy"),
    path("run/", views.run_now, name="run"),
    path("churn/", churn_views.churn_models_page, name="churn"),
    path("churn/activate/", churn_views.activate, name="churn-activate"),
]
