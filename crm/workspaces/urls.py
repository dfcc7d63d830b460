from django.urls import path

from . import views

app_name = "workspaces"
urlpatterns = [
    path("advisor/", views.advisor_dashboard, name="advisor"),
    path("today/", views.today_page, name="today"),
    path("today/policy/", views.today_policy, name="today-policy"),
    path("manager/", views.manager_home, name="manager"),
    path("manager/targets/", views.kpi_targets, name="kpi-targets"),
    # one route per format (no URL parameter): the KPI table is the manager's scope, not one customer's data
    path("manager/kpis.csv", views.manager_kpi_export, {"fmt": "csv"}, name="manager-export-csv"),
    path("manager/kpis.xlsx", views.manager_kpi_export, {"fmt": "xlsx"}, name="manager-export-xlsx"),
]
