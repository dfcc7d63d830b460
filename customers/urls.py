from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.<str:fmt>", views.customer_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_batch, name="import-batch"),
    path("<str:code>/", views.customer_detail, name="detail"),
    path("<str:code>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("<str:code>/interactions/", views.log_interaction, name="log-interaction"),
    path("<str:code>/assign/", views.assign, name="assign"),
]
