"""A survey is filed once (issue 17); the filing services (surveys.services) apply these reads and checks.

- A worklist item binds its customer and questionnaire, and once completed takes no further filing.
- A completed survey (customer, questionnaire, day, channel) is filed once, whatever the path (form, API, CSV).
- A CSV row repeating an unsuccessful attempt (hung up, no answer, refused) that an earlier upload filed is
  taken as the same attempt: call-centre exports overlap, and the file carries no time of day.
The partial unique constraints of SurveyResponse back the first two rules under concurrency."""
from collections import Counter

from django.utils.translation import gettext as _

from .models import Answer, Outcome, PlanItem, SurveyResponse


def survey_key(clean):
    """What identifies one survey of a customer: questionnaire, day and channel."""
    return (clean["customer"].pk, clean["version"].questionnaire_id, clean["surveyed_on"], clean["channel"])


def signature(clean):
    """The answers of a checked response, comparable with filed_signatures()."""
    return frozenset((q.code, o.code if o else "", text) for q, o, text in clean["answers"])


def item_conflicts(item, clean):
    """(field, value, message) for a response that does not belong to the worklist item it names."""
    conflicts = []
    customer, version = clean.get("customer"), clean.get("version")
    if customer is not None and customer.pk != item.customer_id:
        conflicts.append(("customer_code", customer.customer_code,
                          _("This worklist item is for customer %(code)s, not this one.")
                          % {"code": item.customer.customer_code}))
    if version is not None and version.questionnaire_id != item.questionnaire_id:
        conflicts.append(("questionnaire", version.questionnaire.code,
                          _("This worklist item asks for questionnaire %(code)s.") % {"code": item.questionnaire.code}))
    return conflicts


def lock_items(item_ids):
    """The items, locked until the transaction ends (PostgreSQL; SQLite serialises writers): a filing that waited
    reads the outcome the filing before it committed."""
    return {i.pk: i for i in PlanItem.objects.select_for_update().filter(pk__in=set(item_ids))}


def completing_responses(item_ids):
    """item id -> the id of its completed response."""
    return dict(SurveyResponse.objects.filter(plan_item_id__in=set(item_ids), outcome=Outcome.COMPLETED)
                .values_list("plan_item_id", "pk"))


def filed_surveys(cleans):
    """survey_key -> (id, answers) of the completed responses already filed for these customers and days."""
    completed = [c for c in cleans if c["outcome"] == Outcome.COMPLETED]
    if not completed:
        return {}
    rows = (SurveyResponse.objects.filter(outcome=Outcome.COMPLETED,
                                          customer_id__in={c["customer"].pk for c in completed},
                                          surveyed_on__in={c["surveyed_on"] for c in completed})
            .values_list("pk", "customer_id", "version__questionnaire_id", "surveyed_on", "channel"))
    filed = {(customer, questionnaire, day, channel): pk for pk, customer, questionnaire, day, channel in rows}
    answers = {}
    for response_id, question, option, text in (Answer.objects.filter(response_id__in=filed.values())
                                                .values_list("response_id", "question__code", "option__code",
                                                             "text")):
        answers.setdefault(response_id, set()).add((question, option or "", text))
    return {key: (pk, frozenset(answers.get(pk, ()))) for key, pk in filed.items()}


def uploaded_attempts(cleans):
    """(survey_key, outcome) -> how many unsuccessful attempts earlier CSV uploads filed."""
    attempts = [c for c in cleans if c["outcome"] != Outcome.COMPLETED]
    if not attempts:
        return Counter()
    rows = (SurveyResponse.objects.filter(source="csv", customer_id__in={c["customer"].pk for c in attempts},
                                          surveyed_on__in={c["surveyed_on"] for c in attempts})
            .exclude(outcome=Outcome.COMPLETED)
            .values_list("customer_id", "version__questionnaire_id", "surveyed_on", "channel", "outcome"))
    return Counter(((customer, questionnaire, day, channel), outcome)
                   for customer, questionnaire, day, channel, outcome in rows)
