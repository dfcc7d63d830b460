from django.urls import path

from . import views

app_name = "products"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.product_edit, name="new"),
    path("matrix/", views.matrix, name="matrix"),
    path("grades/", views.advisor_levels, name="grades"),
    path("parameters/", views.parameters, name="parameters"),
    path("overrides/", views.overrides, name="overrides"),
    path("overrides/new/<str:customer_code>/", views.override_create, name="override-create"),
    path("overrides/<int:pk>/revoke/", views.override_revoke, name="override-revoke"),
    path("staffing/", views.staffing, name="staffing"),
    path("matching/", views.reason_counts, name="matching"),
    path("concentration/", views.concentration, name="concentration"),
    path("p/<str:code>/", views.product_detail, name="detail"),
    path("p/<str:code>/edit/", views.product_edit, name="edit"),
    path("p/<str:code>/retire/", views.product_retire, name="retire"),
    path("p/<str:code>/push/", views.push_list, name="push"),
]
