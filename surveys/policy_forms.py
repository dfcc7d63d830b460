"""Forms of the managers' survey pages: the sampling and SLA policy (the shared labelled form) and a questionnaire's
new version with questions and options as rows (a blank row is removed; codes Q1…, A… follow the order)."""
import math
import re

from django.utils.translation import gettext as _

from crm.param_labels import PolicyParamsForm

from .models import FollowUpTask, Option, Question

EXTRA_QUESTIONS = 1  # blank question rows offered below the existing ones
EXTRA_OPTIONS = 2  # blank option rows offered below each question's options
NEW_QUESTION_OPTIONS = 4  # option rows of a blank question


class SurveyPolicyForm(PolicyParamsForm):
    def __init__(self, *args, initial_params=None, editable=True, **kwargs):
        from .param_labels import LABELS

        super().__init__(*args, labels=LABELS, initial_params=initial_params, editable=editable, **kwargs)


def follow_up_choices():
    """("", none) and every "kind:category" pair an option may open a follow-up task with."""
    return [("", _("no follow-up"))] + [
        (f"{kind.value}:{category.value}", f"{kind.label} → {category.label}")
        for kind in Option.FollowUp for category in FollowUpTask.Category]


def _option_row(o=None):
    o = o or {}
    follow = o.get("follow_up") or ["", ""]
    return {"zh": o.get("zh", ""), "en": o.get("en", ""),
            "score": "" if o.get("score") is None else o.get("score"),
            "follow": f"{follow[0]}:{follow[1]}" if follow[0] else "", "reason": bool(o.get("reason")),
            "profile": o.get("profile") or {}}


def version_data(version):
    """A stored version (questions and options prefetched) in the questionnaire JSON shape."""
    questions = []
    for q in version.questions.all():
        options = [{"code": o.code, "zh": o.text_zh, "en": o.text_en, "score": o.score, "reason": o.allows_reason,
                    "follow_up": [o.follow_up, o.follow_up_category] if o.follow_up else None,
                    "profile": o.profile} for o in q.options.all()]
        questions.append({"code": q.code, "kind": q.kind, "required": q.required, "zh": q.text_zh, "en": q.text_en,
                          "options": options})
    return {"questions": questions}


class QuestionnaireEditor:
    """Questions as rows (kind, required, Chinese and English text) each with its options as rows (texts, score,
    follow-up, a reason beside it). Posted as q<i>_<field> and o<i>_<j>_<field>; `parse()` gives the questionnaire
    JSON for services.new_questionnaire_version, or problems in words by question and option. Options keep the
    profile values of the option at the same place in the version the page started from."""

    def __init__(self, data=None, base=None):
        self.data = data
        self.base = base or {"questions": []}

    def rows(self):
        """The rows to show: posted ones after an error, else the base version's plus blank rows to add."""
        if self.data is not None:
            return self._posted_rows()
        rows = []
        for q in self.base["questions"]:
            options = [_option_row(o) for o in q["options"]] + [_option_row() for _ in range(
                EXTRA_OPTIONS if q["kind"] != "text" else 0)]
            rows.append({"kind": q["kind"], "required": q.get("required", q["kind"] != "text"), "zh": q["zh"],
                         "en": q["en"], "options": options})
        for _ in range(EXTRA_QUESTIONS):
            rows.append({"kind": "single", "required": True, "zh": "", "en": "",
                         "options": [_option_row() for _ in range(NEW_QUESTION_OPTIONS)]})
        return self._numbered(rows)

    @staticmethod
    def _numbered(rows):
        for i, q in enumerate(rows):
            q["i"] = i
            for j, o in enumerate(q["options"]):
                o["i"], o["j"] = i, j
        return rows

    def _posted_rows(self):
        d = self.data
        q_ids = sorted({int(m.group(1)) for k in d for m in [re.fullmatch(r"q(\d+)_zh", k)] if m})[:200]
        rows = []
        for i in q_ids:
            o_ids = sorted({int(m.group(1)) for k in d for m in [re.fullmatch(rf"o{i}_(\d+)_zh", k)] if m})[:50]
            options = [{"zh": d.get(f"o{i}_{j}_zh", "").strip(), "en": d.get(f"o{i}_{j}_en", "").strip(),
                        "score": d.get(f"o{i}_{j}_score", "").strip(), "follow": d.get(f"o{i}_{j}_follow", ""),
                        "reason": bool(d.get(f"o{i}_{j}_reason")), "src": (i, j)} for j in o_ids]
            rows.append({"kind": d.get(f"q{i}_kind", ""), "required": bool(d.get(f"q{i}_required")),
                         "zh": d.get(f"q{i}_zh", "").strip(), "en": d.get(f"q{i}_en", "").strip(),
                         "options": options, "src": i})
        return self._numbered(rows)

    def parse(self):
        """(questionnaire JSON, problems as text)."""
        problems, questions = [], []
        follow_ups = dict(follow_up_choices())
        for row in self._posted_rows():
            if not row["zh"] and not row["en"]:
                continue  # a blank question row is removed
            n = len(questions) + 1
            if row["kind"] not in Question.Kind.values:
                problems.append(_("Question %(n)d: choose its kind.") % {"n": n})
            options = []
            for o in row["options"]:
                if not o["zh"] and not o["en"]:
                    continue  # a blank option row is removed
                code = chr(65 + len(options))
                option = {"code": code, "zh": o["zh"], "en": o["en"]}
                if o["score"] != "":
                    try:
                        score = float(o["score"])
                        if not math.isfinite(score):
                            raise ValueError
                        option["score"] = score
                    except ValueError:
                        problems.append(_("Question %(n)d, option %(code)s: the score is not a number.") % {
                            "n": n, "code": code})
                if o["follow"]:
                    if o["follow"] not in follow_ups:
                        problems.append(_("Question %(n)d, option %(code)s: unknown follow-up.") % {
                            "n": n, "code": code})
                    else:
                        option["follow_up"] = o["follow"].split(":")
                if o["reason"]:
                    option["reason"] = True
                profile = self._base_profile(row["src"], o["src"][1])
                if profile:
                    option["profile"] = profile
                options.append(option)
            questions.append({"code": f"Q{n}", "kind": row["kind"], "required": row["required"], "zh": row["zh"],
                              "en": row["en"], "options": options})
        return {"questions": questions}, problems

    def _base_profile(self, qi, oj):
        base = self.base["questions"]
        if qi < len(base) and oj < len(base[qi]["options"]):
            return base[qi]["options"][oj].get("profile") or {}
        return {}


def problem_text(error):
    """A services.SurveyInvalid error as one line in words: "Q3B.zh: At most 200 characters." -> readable."""
    where = error.get("field") or ""
    match = re.fullmatch(r"Q(\d+)([A-Z]?)(?:\.(zh|en))?", where)
    if match:
        n, code, language = match.groups()
        where = _("Question %(n)s") % {"n": n}
        if code:
            where += ", " + _("option %(code)s") % {"code": code}
        if language:
            where += ", " + (_("Chinese text") if language == "zh" else _("English text"))
    elif where == "questions":
        where = _("Questions")
    elif where == "note":
        where = _("Note")
    return f"{where}: {error['message']}"
