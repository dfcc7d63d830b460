"""Survey data: questionnaires as versioned data, responses, sampling plans, follow-up tasks, policy."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext_lazy as _, pgettext_lazy

from crm.models import PolicyVersion
from customers.models import Customer, Staff


def _zh():
    return (get_language() or "zh-hans").startswith("zh")


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("policy status", "draft")
    ACTIVE = "active", pgettext_lazy("policy status", "active")
    RETIRED = "retired", pgettext_lazy("policy status", "retired")


class SurveyPolicy(PolicyVersion):
    """Sampling, follow-up and profile parameters (surveys/data/policy.json). One version is active."""

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)

    class Meta(PolicyVersion.Meta):
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="active"),
                                               name="one_active_survey_policy")]
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")


class Questionnaire(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name = _("questionnaire")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self):
        return self.name_zh if _zh() else self.name_en


class QuestionnaireVersion(models.Model):
    """Editing a questionnaire that has responses creates a new version; responses keep theirs."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["questionnaire_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "version"], name="questionnaire_version"),
            models.UniqueConstraint(fields=["questionnaire"], condition=Q(status="active"),
                                    name="one_active_questionnaire_version"),
        ]

    def __str__(self):
        return f"{self.questionnaire.code} v{self.version}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        TEXT = "text", _("free text")

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("code"), max_length=8)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    text_zh = models.CharField(_("Chinese text"), max_length=300)
    text_en = models.CharField(_("English text"), max_length=300)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="question_version_code")]

    def __str__(self):
        return f"{self.code} {self.text}"

    @property
    def text(self):
        return self.text_zh if _zh() else self.text_en


class Option(models.Model):
    class FollowUp(models.TextChoices):
        COMPLIANCE = "compliance", _("compliance breach")
        DISSATISFIED = "dissatisfied", _("dissatisfied")
        NEED = "need", _("stated need")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=4)
    position = models.PositiveSmallIntegerField()
    text_zh = models.CharField(_("Chinese text"), max_length=200)
    text_en = models.CharField(_("English text"), max_length=200)
    score = models.FloatField(_("score"), null=True, blank=True)  # 0-100 for the satisfaction index
    follow_up = models.CharField(_("follow-up"), max_length=12, choices=FollowUp.choices, blank=True)
    follow_up_category = models.CharField(_("follow-up category"), max_length=16, blank=True)
    allows_reason = models.BooleanField(_("reason beside the option"), default=False)
    profile = models.JSONField(_("profile values"), default=dict, blank=True)

    class Meta:
        ordering = ["question_id", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="option_question_code")]

    def __str__(self):
        return f"{self.code} {self.text}"

    @property
    def text(self):
        return self.text_zh if _zh() else self.text_en


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone callback")
    COUNTER = "counter", _("Counter evaluation device")
    IVR = "ivr", _("Call-centre IVR")
    CHAT = "chat", _("Online chat rating")
    VISIT = "visit", _("In-person visit")


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    HUNG_UP = "hung_up", _("Hung up")
    NO_ANSWER = "no_answer", _("No answer")
    REFUSED = "refused", _("Refused")


class SurveyResponse(models.Model):
    """One contact attempt; completed attempts carry answers. Hang-ups stay in the denominator."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_responses")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, db_index=True)
    interviewer = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("interviewer"))
    service_person = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("evaluated service person"))
    surveyed_on = models.DateField(_("date"), db_index=True)
    handling_minutes = models.DecimalField(_("handling time (min)"), max_digits=6, decimal_places=1, null=True,
                                           blank=True)
    materials_complete = models.BooleanField(_("materials complete"), null=True, blank=True)
    review_minutes = models.DecimalField(_("review time (min)"), max_digits=6, decimal_places=1, null=True,
                                         blank=True)
    plan_item = models.ForeignKey("PlanItem", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="responses")
    source = models.CharField(max_length=8, default="form")  # form, api, csv, seed, worklist
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-surveyed_on", "-id"]
        indexes = [models.Index(fields=["customer", "-surveyed_on"]), models.Index(fields=["version", "surveyed_on"])]
        # A survey is answered once: one completed response per worklist item, and per customer, questionnaire
        # version, day and channel. Unsuccessful attempts (hung up, no answer, refused) may repeat.
        constraints = [
            models.UniqueConstraint(fields=["plan_item"], condition=Q(outcome="completed"),
                                    name="one_completed_response_per_item"),
            models.UniqueConstraint(fields=["customer", "version", "surveyed_on", "channel"],
                                    condition=Q(outcome="completed"), name="one_completed_response_per_survey"),
        ]


class Answer(models.Model):
    """One chosen option (with its reason), or the text of a free-text question."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response_id", "question__position", "option__position"]


class SamplingPlan(models.Model):
    """One month's callback sample for one office; operations review and edit it before release."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        RELEASED = "released", _("released")

    month = models.DateField(_("month"))
    office = models.ForeignKey("customers.Office", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.DRAFT)
    policy_version = models.PositiveIntegerField(null=True)
    counts = models.JSONField(default=dict, blank=True)
    generated_at = models.DateTimeField(auto_now=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "office_id"]
        constraints = [models.UniqueConstraint(fields=["month", "office"], name="plan_month_office")]


class PlanItem(models.Model):
    class Reason(models.TextChoices):
        STRATIFIED = "stratified", _("stratified sample")
        UNTRACED = "untraced", _("no service record / hung up last time")
        CLOSING = "closing", _("closing or transferring out")
        WARNED = "warned", _("open churn warning")
        MANUAL = "manual", _("added by operations")

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    sampled_for = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    star = models.CharField(_("star"), max_length=10, blank=True)
    stage = models.CharField(_("stage"), max_length=12, blank=True)
    outcome = models.CharField(_("last outcome"), max_length=10, choices=Outcome.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan_id", "customer__customer_code"]
        constraints = [models.UniqueConstraint(fields=["plan", "customer"], name="plan_item_customer")]


class FollowUpTask(models.Model):
    class Category(models.TextChoices):
        SERVICE = "service", _("service")
        STOCK_ADVICE = "stock_advice", _("stock advice")
        SOFTWARE = "software", _("software")
        FEES = "fees", _("fees")
        COMPLIANCE = "compliance", _("compliance")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        RESURVEY = "resurvey", _("awaiting re-survey")
        CLOSED = "closed", _("closed")
        CLOSED_BY_MANAGER = "manager_closed", _("closed by a manager")

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="tasks")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Option.FollowUp.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    priority = models.PositiveSmallIntegerField(_("priority"))
    owner = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    detail = models.TextField(_("detail"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    opened_on = models.DateField(_("opened"))
    due_on = models.DateField(_("due"), db_index=True)
    escalated_to = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("escalated to"))
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    resurvey = models.ForeignKey(SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="resurveyed_tasks")

    class Meta:
        ordering = ["priority", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    @property
    def is_open(self):
        return self.status in (self.State.OPEN, self.State.RESURVEY)
