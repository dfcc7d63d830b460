"""The five shipped questionnaires equal surveys.md (S2020) and the study's appendix (P/N/E/W).

Counted by hand in the appendix of branch-crm-thesis-zh.txt (附录):
- P 潜在客户: 8 questions; options 2 (有/没有) + 5 (证券…其他) + 3 + 3 + 5 + 5 + 3 + 6 (A–F incl. contact) = 32
- N 新开户: 11 questions; options 2 + 4 + 4 + 4 + 5 + 5 + 6 (Q7 printed A,B,B,D,C,E, re-lettered A–F)
  + 4 + 5 + 3 + 0 (Q11 free text) = 42
- E 老客户: 12 questions; options 2 + 2 + 5 + 5 + 6 + 3 + 2 + 4 + 2 + 0 (Q10 text) + 2 + 0 (Q12 text) = 33
- W 预警: 5 questions; options 2 + 2 + 2 + 5 + 0 (Q5 text) = 11
- S2020 (table 3-1): 7 questions; options 4 + 5 + 4 + 2 + 3 + 4 + 6 = 28
"""
import pytest

from surveys.models import Option, Question

EXPECTED = {
    "S2020": [4, 5, 4, 2, 3, 4, 6],
    "P": [2, 5, 3, 3, 5, 5, 3, 6],
    "N": [2, 4, 4, 4, 5, 5, 6, 4, 5, 3, 0],
    "E": [2, 2, 5, 5, 6, 3, 2, 4, 2, 0, 2, 0],
    "W": [2, 2, 2, 5, 0],
}


@pytest.mark.parametrize("code,per_question", EXPECTED.items())
def test_question_and_option_counts(db, code, per_question):
    questions = Question.objects.filter(version__questionnaire__code=code, version__status="active")
    assert [q.code for q in questions] == [f"Q{i}" for i in range(1, len(per_question) + 1)]
    assert [q.options.count() for q in questions] == per_question
    total = {"S2020": 28, "P": 32, "N": 42, "E": 33, "W": 11}[code]
    assert Option.objects.filter(question__in=questions).count() == total
    for q in questions:  # options lettered A, B, C, … in order
        assert [o.code for o in q.options.all()] == [chr(65 + i) for i in range(q.options.count())]
        assert q.text_zh and q.text_en


def test_flags_scores_reasons_and_relettering(db):
    opt = lambda code, q, o: Option.objects.get(question__version__questionnaire__code=code,  # noqa: E731
                                                question__version__status="active", question__code=q, code=o)
    assert opt("S2020", "Q3", "A").follow_up == "compliance"  # a promised return
    assert opt("S2020", "Q4", "A").follow_up == "compliance"  # orders placed by an advisor
    assert opt("S2020", "Q6", "C").follow_up == "dissatisfied" and opt("S2020", "Q6", "A").score == 100
    assert opt("S2020", "Q7", "D").follow_up_category == "fees" and not opt("S2020", "Q7", "F").follow_up
    assert opt("P", "Q1", "B").allows_reason and not opt("P", "Q1", "A").allows_reason
    assert opt("N", "Q7", "C").text_zh == "中短期投资，1 年以内"  # printed as a second "B" in the appendix
    assert opt("N", "Q7", "F").text_zh == "长期投资，5 年以上"
    assert Question.objects.get(version__questionnaire__code="E", version__status="active", code="Q8").kind == \
        "multiple"
