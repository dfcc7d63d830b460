from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views
from .api.views import ObtainTokenView, RevokeTokenView
from .auth.views import ThrottledAdminLoginView, ThrottledLoginView


def health(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health, name="health"),
    path("ping/", views.ping, name="ping"),  # trivial authenticated page: the floor of `bench web`
    path("workspace/", include("crm.workspaces.urls")),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", ThrottledAdminLoginView.as_view(), name="admin-login"),  # before the admin's own
    path("admin/", admin.site.urls),
    path("jobs/", views.job_runs, name="job-runs"),
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/export.<str:fmt>", views.audit_log_export, name="audit-log-export"),
    path("customers/", include("customers.urls")),
    path("products/", include("products.urls")),
    path("surveys/", include("surveys.urls")),
    path("alerts/", include("alerts.urls")),
    path("planner/", include("planner.urls")),
    path("outreach/", include("outreach.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("api/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/auth/token/revoke/", RevokeTokenView.as_view(), name="api-token-revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/customers/", include("customers.api.urls")),
    path("api/products/", include("products.api.urls")),
    path("api/surveys/", include("surveys.api.urls")),
    path("api/alerts/", include("alerts.api.urls")),
    path("api/planner/", include("planner.api.urls")),
    path("api/outreach/", include("outreach.api.urls")),
    path("api/campaigns/", include("campaigns.api.urls")),
    path("api/workspace/", include("crm.workspaces.api_urls")),
]
