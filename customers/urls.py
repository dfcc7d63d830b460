from django.urls import path

from . import views
from .views import applications, capacity

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.<str:fmt>", views.customer_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_batch, name="import-batch"),
    path("notifications/", views.notifications, name="notifications"),
    path("tiering/", views.tiering_home, name="tiering"),
    path("tiering/run/", views.run_now, name="tiering-run"),
    path("tiering/report/", views.tier_report, name="tier-report"),
    path("tiering/policy/new/", views.policy_new, name="tiering-policy-new"),
    path("tiering/policy/<int:version>/", views.policy_detail, name="tiering-policy"),
    path("tiering/policy/<int:version>/activate/", views.policy_activate, name="tiering-policy-activate"),
    path("capacity/", capacity.capacity_policy, name="capacity"),
    path("applications/", applications.application_list, name="applications"),
    path("applications/export.<str:fmt>", applications.application_export, name="applications-export"),
    path("applications/new/", applications.application_new, name="applications-new"),
    path("applications/<int:pk>/transition/", applications.application_transition, name="applications-transition"),
    path("<str:code>/", views.customer_detail, name="detail"),
    path("<str:code>/override/", views.star_override, name="star-override"),
    path("<str:code>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("<str:code>/interactions/", views.log_interaction, name="log-interaction"),
    path("<str:code>/assign/", views.assign, name="assign"),
]
