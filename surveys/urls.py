from django.urls import path

from . import policy_views, views

app_name = "surveys"
urlpatterns = [
    path("", views.response_list, name="responses"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("file/<str:code>/", views.file_response, name="file"),
    path("upload/", views.upload, name="upload"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/<int:pk>/attempt/", views.attempt, name="attempt"),
    path("worklist/attempts/<int:pk>/undo/", views.undo_attempt, name="attempt-undo"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("reports/<str:code>/", views.report, name="report"),
    path("policy/", policy_views.survey_policy, name="policy"),
    path("questionnaires/", policy_views.questionnaires, name="questionnaires"),
    path("questionnaires/<str:code>/new/", policy_views.questionnaire_new, name="questionnaire-new"),
    path("questionnaires/<str:code>/v<int:version>/", policy_views.questionnaire_version,
         name="questionnaire-version"),
]
