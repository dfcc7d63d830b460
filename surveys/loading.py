"""Load the shipped questionnaires and the survey policy from surveys/data/ (used by the data migration)."""
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CODES = ("S2020", "P", "N", "E", "W")


def read(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def create_version(apps, data, version=1, note="appendix / surveys.md"):
    """Create questionnaire `data["code"]` (if new) and one active version with its questions and options."""
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Version = apps.get_model("surveys", "QuestionnaireVersion")
    Question = apps.get_model("surveys", "Question")
    Option = apps.get_model("surveys", "Option")
    questionnaire, _ = Questionnaire.objects.get_or_create(
        code=data["code"], defaults={"name_zh": data["name_zh"], "name_en": data["name_en"]})
    Version.objects.filter(questionnaire=questionnaire, status="active").update(status="retired")
    ver = Version.objects.create(questionnaire=questionnaire, version=version, status="active", note=note)
    for qpos, q in enumerate(data["questions"], 1):
        question = Question.objects.create(
            version=ver, code=q["code"], position=qpos, kind=q["kind"], required=q.get("required", q["kind"] != "text"),
            text_zh=q["zh"], text_en=q["en"])
        Option.objects.bulk_create([
            Option(question=question, code=o["code"], position=opos, text_zh=o["zh"], text_en=o["en"],
                   score=o.get("score"), follow_up=(o.get("follow_up") or ["", ""])[0],
                   follow_up_category=(o.get("follow_up") or ["", ""])[1], allows_reason=o.get("reason", False),
                   profile=o.get("profile", {}))
            for opos, o in enumerate(q["options"], 1)
        ])
    return ver


def forwards(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Policy = apps.get_model("surveys", "SurveyPolicy")
    for code in CODES:
        if not Questionnaire.objects.filter(code=code).exists():
            create_version(apps, read(code))
    if not Policy.objects.exists():
        data = read("policy")
        Policy.objects.create(version=1, status="active", note=data.pop("note", ""), params=data)
