"""Before the constraints of 0004: repair what the old filing let through (issue 17), so the migration never
fails on existing data.

1. A response filed against another customer's worklist item is detached from that item (the response stays).
2. A worklist item with several completed responses keeps the first; the later ones are detached.
3. Completed responses repeating a customer, questionnaire version, day and channel: the first is kept, the
   later copies are deleted, their follow-up tasks (and any work noted on them) moved to the kept one, and each
   deleted copy recorded in the audit log with its answers (action "survey.duplicate.removed").
4. The items touched get their attempts and last outcome recounted from the responses they keep.
"""
from django.db import migrations
from django.db.models import Count, F, Min


def repair(apps, schema_editor):
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    PlanItem = apps.get_model("surveys", "PlanItem")
    FollowUpTask = apps.get_model("surveys", "FollowUpTask")
    Answer = apps.get_model("surveys", "Answer")
    AuditEvent = apps.get_model("crm", "AuditEvent")
    touched = set()

    misfiled = SurveyResponse.objects.filter(plan_item__isnull=False).exclude(customer_id=F("plan_item__customer_id"))
    touched.update(misfiled.values_list("plan_item_id", flat=True))
    misfiled.update(plan_item=None)

    completed = SurveyResponse.objects.filter(outcome="completed")
    for group in (completed.filter(plan_item__isnull=False).values("plan_item_id")
                  .annotate(n=Count("id"), first=Min("id")).filter(n__gt=1)):
        touched.add(group["plan_item_id"])
        completed.filter(plan_item_id=group["plan_item_id"]).exclude(pk=group["first"]).update(plan_item=None)

    keys = ("customer_id", "version_id", "surveyed_on", "channel")
    for group in completed.values(*keys).annotate(n=Count("id"), first=Min("id")).filter(n__gt=1):
        copies = completed.filter(**{k: group[k] for k in keys}).exclude(pk=group["first"])
        copy_ids = list(copies.values_list("pk", flat=True))
        touched.update(i for i in copies.values_list("plan_item_id", flat=True) if i)
        FollowUpTask.objects.filter(response_id__in=copy_ids).update(response_id=group["first"])
        FollowUpTask.objects.filter(resurvey_id__in=copy_ids).update(resurvey_id=group["first"])
        answers = {}
        for response_id, question, option, text in (Answer.objects.filter(response_id__in=copy_ids)
                                                    .values_list("response_id", "question__code", "option__code",
                                                                 "text")):
            answers.setdefault(response_id, []).append([question, option, text])
        AuditEvent.objects.bulk_create([
            AuditEvent(action="survey.duplicate.removed", object_type="surveys.surveyresponse", object_id=str(pk),
                       detail={"kept": group["first"], "customer": group["customer_id"],
                               "version": group["version_id"], "surveyed_on": group["surveyed_on"].isoformat(),
                               "channel": group["channel"], "answers": answers.get(pk, [])})
            for pk in copy_ids])
        SurveyResponse.objects.filter(pk__in=copy_ids).delete()

    for item in PlanItem.objects.filter(pk__in=touched):
        outcomes = list(SurveyResponse.objects.filter(plan_item=item).order_by("id").values_list("outcome", flat=True))
        item.attempts = len(outcomes)
        item.outcome = outcomes[-1] if outcomes else ""
        item.save(update_fields=["attempts", "outcome"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_questionnaires_and_policy"), ("crm", "0004_coverage_cells")]
    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
