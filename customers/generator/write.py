"""Writing the generated branch: one transaction that replaces all branch data, block by block (COPY on
PostgreSQL, executemany on SQLite), so memory stays that of one block of customers whatever the branch size."""
from datetime import timedelta

import pandas as pd
from django.db import connection, transaction

from crm.bulk import copy_frame, is_postgres

# block frame name -> "app_label.Model", in foreign-key order (a row's targets are written before it)
BLOCK_TABLES = [
    ("customers", "customers.Customer"), ("snapshots", "customers.Snapshot"),
    ("activity", "customers.DailyActivity"), ("ipo_quotas", "customers.IpoQuota"),
    ("applications", "customers.Application"), ("events", "customers.Event"),
    ("interactions", "customers.Interaction"), ("alerts", "alerts.Alert"),
    ("alert_transitions", "alerts.AlertTransition"), ("survey_responses", "surveys.SurveyResponse"),
    ("survey_answers", "surveys.Answer"),
]


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


def _survey_ids():
    """questionnaire code -> (version id, {question code: id}, {(question code, option code): id}) of the active
    versions (loaded by the surveys migrations)."""
    from surveys.models import Option, Question, QuestionnaireVersion, Status

    out = {}
    for version_id, code in QuestionnaireVersion.objects.filter(status=Status.ACTIVE).values_list(
            "id", "questionnaire__code"):
        questions = dict(Question.objects.filter(version_id=version_id).values_list("code", "id"))
        options = {(q, o): pk for q, o, pk in Option.objects.filter(question__version_id=version_id).values_list(
            "question__code", "code", "id")}
        out[code] = (version_id, questions, options)
    return out


def _resolve_surveys(frames, ids):
    """Question and option codes → ids of the active versions; without the questionnaire, no survey history."""
    responses, answers = frames.get("survey_responses"), frames.get("survey_answers")
    if responses is None or responses.empty:
        return frames
    frames = dict(frames)
    known = responses["questionnaire"].isin(list(ids))
    responses = responses[known]
    version = responses["questionnaire"].map({code: v[0] for code, v in ids.items()})
    frames["survey_responses"] = responses.drop(columns="questionnaire").assign(version_id=version.to_numpy())
    answers = answers[answers["response_id"].isin(responses["id"])]
    if not answers.empty:
        code = responses.set_index("id")["questionnaire"].reindex(answers["response_id"]).to_numpy()
        question = [ids[q][1].get(k) for q, k in zip(code, answers["question"])]
        option = [ids[q][2].get((k, o)) for q, k, o in zip(code, answers["question"], answers["option"])]
        answers = pd.DataFrame({"response_id": answers["response_id"].to_numpy(),
                                "question_id": pd.array(question, dtype="Int64"),
                                "option_id": pd.array(option, dtype="Int64"), "text": ""})
        answers = answers[answers["question_id"].notna()]
    frames["survey_answers"] = answers
    return frames


def _clear():
    from customers.models import (Application, CurrentTier, Customer, DailyActivity, Event, Interaction, IpoQuota,
                                  Snapshot, Staff)

    facts = [Interaction, Event, Application, IpoQuota, DailyActivity, Snapshot, CurrentTier]
    if is_postgres():
        tables = ", ".join(m._meta.db_table for m in [*facts, Customer, Staff])
        with connection.cursor() as cursor:
            # Fire any pending FK checks first: TRUNCATE refuses while triggers are pending. Then check each COPY
            # at its end (rows are written in FK order): deferred checks would queue every row of the branch in
            # the server's memory until the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        from alerts.models import Alert, AlertTransition
        from surveys.models import Answer, FollowUpTask, SurveyResponse

        for model in [AlertTransition, Alert, FollowUpTask, Answer, SurveyResponse, *facts]:
            model.objects.all()._raw_delete(model.objects.db)
        Customer.objects.all().delete()  # cascades into other apps' rows
        Staff.objects.all().delete()


def write_branch(source, progress=None):
    """Replace all branch data with a Generator's blocks, or a built Branch; returns row counts per table."""
    from customers.models import Staff

    blocks = _branch_blocks(source) if hasattr(source, "customers") else source.blocks()
    staff = source.staff if hasattr(source, "customers") else source.prepare()
    counts = {"staff": 0}
    written = set()
    with transaction.atomic():
        _clear()
        counts["staff"] = copy_frame(Staff, staff)
        ids = _survey_ids()
        for number, frames in enumerate(blocks, 1):
            frames = _resolve_surveys(frames, ids)
            for name, label in BLOCK_TABLES:
                frame = frames.get(name)
                if frame is None or frame.empty:
                    continue
                model = _model(label)
                written.add(model)
                counts[model._meta.model_name] = counts.get(model._meta.model_name, 0) + copy_frame(model, frame)
            if progress:
                progress(number, counts)
        if is_postgres():
            from django.core.management.color import no_style

            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Staff, *written]):
                    cursor.execute(sql)
    if is_postgres():
        # Fresh statistics: the planner would otherwise plan the first nightly queries for empty tables.
        from customers.models import CurrentTier

        with connection.cursor() as cursor:
            for model in [Staff, CurrentTier, *written]:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return counts


def _branch_blocks(branch):
    yield {name: getattr(branch, name) for name, _label in BLOCK_TABLES if getattr(branch, name, None) is not None}


def previous_night(as_of):
    """The tiering run of the night before the data date (on the data the generator wrote for that day), so the
    first night has a night before it: moves into decline, star changes and their notices start from it."""
    from customers.services import run_reclassification

    return run_reclassification(day=as_of - timedelta(days=1))
