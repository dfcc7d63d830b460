"""Managers' survey pages (issue 20): the sampling and SLA policy as a labelled form with its versions, and the
questionnaires with their versions and a new version edited as rows. Every save is a new version through the
services (audited there); nothing is edited in place."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.rights import Write, writes
from customers.scope import member_scope

from . import selectors, services
from .models import Option, Question, QuestionnaireVersion, SurveyPolicy
from .param_labels import LABELS, SurveyPolicyValues
from .policy_forms import QuestionnaireEditor, SurveyPolicyForm, follow_up_choices, problem_text, version_data


def _reader(request):
    """Managers and compliance read the survey policy and questionnaires; the rights table says who changes them."""
    scope = member_scope(request)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    return scope


@writes(Write.EDIT_SURVEY_POLICY)
def survey_policy(request):
    scope = _reader(request)
    can_edit = scope.may(Write.EDIT_SURVEY_POLICY)
    active = selectors.active_policy()
    form = SurveyPolicyForm(request.POST or None, initial_params=SurveyPolicyValues.from_policy(active.params),
                            editable=can_edit)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.new_policy_version(actor=request.user, params=form.cleaned_data["params"].to_policy(
                active.params), note=form.cleaned_data.get("note", ""))
        except services.SurveyInvalid as exc:
            for error in exc.errors:
                form.add_error(None, f"{error['field']}: {error['message']}")
        else:
            messages.success(request, _("Survey policy version %(v)s is now in force.") % {"v": created.version})
            return redirect("surveys:policy")
    versions = list(SurveyPolicy.objects.select_related("created_by").order_by("-version")[:50])
    flat = [SurveyPolicyValues.from_policy(v.params).to_json() for v in versions]
    return render(request, "surveys/policy.html", {
        "form": form, "active": active, "can_edit": can_edit,
        "versions": [{"policy": v, "changes": LABELS.changes(older, values) if older else []}
                     for v, values, older in zip(versions, flat, [*flat[1:], None])]})


def questionnaires(request):
    scope = _reader(request)
    versions = (QuestionnaireVersion.objects.select_related("questionnaire")
                .annotate(question_count=Count("questions", distinct=True),
                          response_count=Count("responses", distinct=True))
                .order_by("questionnaire_id", "-version"))
    groups = {}
    for v in versions:
        groups.setdefault(v.questionnaire, []).append(v)
    return render(request, "surveys/questionnaires.html", {
        "groups": list(groups.items()), "can_edit": scope.may(Write.EDIT_SURVEY_POLICY)})


def _version(code, version=None):
    queryset = (QuestionnaireVersion.objects.select_related("questionnaire")
                .prefetch_related(Prefetch("questions", Question.objects.order_by("position").prefetch_related(
                    Prefetch("options", Option.objects.order_by("position"))))))
    try:
        if version is None:
            return queryset.get(questionnaire__code=code, status="active")
        return queryset.get(questionnaire__code=code, version=version)
    except QuestionnaireVersion.DoesNotExist:
        raise Http404 from None


def questionnaire_version(request, code, version):
    scope = _reader(request)
    return render(request, "surveys/questionnaire_version.html", {
        "version": _version(code, version), "can_edit": scope.may(Write.EDIT_SURVEY_POLICY),
        "follow_ups": dict(follow_up_choices())})


@writes(Write.EDIT_SURVEY_POLICY)
def questionnaire_new(request, code):
    """A new version of questionnaire `code`, starting from its active version; it becomes the active one and
    responses already filed keep the version they were filed on."""
    scope = _reader(request)
    if not scope.may(Write.EDIT_SURVEY_POLICY):
        raise PermissionDenied
    base = _version(code)
    editor = QuestionnaireEditor(request.POST if request.method == "POST" else None, version_data(base))
    problems = []
    note = request.POST.get("note", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        data, problems = editor.parse()
        if not problems:
            try:
                created = services.new_questionnaire_version(actor=request.user, code=code, data=data, note=note)
            except services.SurveyInvalid as exc:
                problems = [problem_text(e) for e in exc.errors]
            else:
                messages.success(request, _("%(code)s version %(v)s is now in use.") % {
                    "code": code, "v": created.version})
                return redirect("surveys:questionnaire-version", code=code, version=created.version)
    return render(request, "surveys/questionnaire_form.html", {
        "base": base, "rows": editor.rows(), "problems": problems, "note": note, "kinds": Question.Kind.choices,
        "follow_ups": follow_up_choices()})
