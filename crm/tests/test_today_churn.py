"""Today's list with a learned churn model (issue 19): a card's churn risk is the active model's latest score of
the customer (value at risk = base × score); customers it has not scored keep the rule weights. Worked by hand:
    priority = floor(4 × log10(1 + value_at_risk)) × 100_000 + deadline_points × 1_000 + min(days, 999)"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from alerts.models import ChurnModel, ChurnScore
from crm.workspaces import today
from customers.models import CurrentTier, Role
from customers.scope import scope_for

from .test_today import DAY, _count, advisor, alert, contact, tier  # noqa: F401 (fixtures and helpers)


def churn_model(version=1, status="active"):
    return ChurnModel.objects.create(version=version, status=status, algorithm="logistic", horizon_days=90,
                                     trained_at=timezone.now(), file=f"churn_models/v{version}.joblib")


def score(customer, model, risk, day=DAY - timedelta(days=1)):
    ChurnScore.objects.create(customer=customer, model=model, scored_on=day, risk=risk, reasons=[])


@pytest.fixture
def book(advisor, customer_of):
    c = {k: customer_of(advisor, customer_code=f"C7000000{i}", name=k) for i, k in enumerate("ABCR", start=1)}
    tier(c["A"], clv=200_000, assets=300_000)
    alert(c["A"], "closing_application", "red", {"filed_on": "2026-12-04", "kind": "close"},
          due=timezone.make_aware(timezone.datetime(2026, 12, 4, 9)))
    contact(c["A"], DAY - timedelta(days=10))
    tier(c["B"], clv=None, assets=1_000_000)
    alert(c["B"], "falling_trading", evidence={"ratio": 0.4})
    alert(c["B"], "contact_due", "reminder", {"due_on": "2026-11-03"})
    tier(c["C"], clv=50_000, assets=400_000)
    alert(c["C"], "large_outflow", evidence={"date": "2026-12-03", "transfer_out": 140_000.0, "share": 0.35})
    # R: no alert, in decline and never contacted: fills free room
    CurrentTier.objects.create(customer=c["R"], star="4", lifecycle_stage="decline", quadrant="A",
                               total_assets=Decimal(0), clv=Decimal(100_000))
    return c


def ranked(advisor):
    with translation.override("en"):
        result = today.as_api(today.today_list(advisor.user, advisor, day=DAY))
    return [(i["customer_code"], i["priority"], i["value_at_risk"]) for i in result["items"]]


def test_without_a_model_the_rule_weights_rank(advisor, book):
    assert ranked(advisor) == [
        ("C70000001", 2_104_010, 180_000.0),  # 200,000 × 0.9 → band 21, red due today (4), 10 days
        ("C70000002", 2_100_999, 240_000.0),  # 1,000,000 × (1 − 0.8 × 0.95) → band 21, never contacted
        ("C70000003", 1_600_999, 17_500.0),   # 50,000 × 0.35 → band 16
        # room after the alert cards: 100,000 × 0.25 (decline) → band floor(4 × 4.3980) = 17
        ("C70000004", 1_700_999, 25_000.0),
    ]


def test_an_active_models_scores_replace_the_rule_weights_where_it_scored(advisor, book):
    model = churn_model()
    score(book["A"], model, 0.05)
    score(book["C"], model, 0.6)
    score(book["R"], model, 0.5)
    score(book["C"], model, 0.01, day=DAY + timedelta(days=1))  # scored after the list's day: not read
    assert ranked(advisor) == [
        ("C70000002", 2_100_999, 240_000.0),  # B: not scored, the rule weights as before
        # C: 50,000 × 0.6 = 30,000 → band floor(4 × 4.47714) = 17, never contacted
        ("C70000003", 1_700_999, 30_000.0),
        # A: 200,000 × 0.05 = 10,000 → band floor(4 × 4.00004) = 16; still red and due today (4), 10 days
        ("C70000001", 1_604_010, 10_000.0),
        # R (room, after the alert cards): 100,000 × 0.5 = 50,000 → band floor(4 × 4.69898) = 18
        ("C70000004", 1_800_999, 50_000.0),
    ]
    cards = {c.customer_code: c for c in today.today_list(advisor.user, advisor, day=DAY)["cards"]}
    assert cards["C70000003"].risk_from_model and cards["C70000003"].churn_risk == pytest.approx(0.6)
    assert not cards["C70000002"].risk_from_model and cards["C70000002"].churn_risk == pytest.approx(0.24)


def test_a_retired_or_draft_models_scores_are_not_read(advisor, book):
    old = churn_model(1, "retired")
    draft = churn_model(2, "draft")
    score(book["A"], old, 0.01)
    score(book["C"], draft, 0.99)
    assert [code for code, *_ in ranked(advisor)] == ["C70000001", "C70000002", "C70000003", "C70000004"]


def test_the_latest_score_on_or_before_the_day_is_read(advisor, book):
    model = churn_model()
    score(book["A"], model, 0.9, day=DAY - timedelta(days=3))
    score(book["A"], model, 0.05, day=DAY - timedelta(days=1))
    assert dict((code, value) for code, _p, value in ranked(advisor))["C70000001"] == 10_000.0


def _book_of(advisor, customer_of, n, model):
    for i in range(n):
        c = customer_of(advisor)
        tier(c, clv=10_000 * (i + 1))
        alert(c, "falling_trading", evidence={"ratio": 0.3})
        if i % 2:
            score(c, model, 0.1 + i / 100)


def test_the_model_costs_the_list_no_query(make_staff, customer_of, client_for):
    model = churn_model()
    small, large = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR)
    _book_of(small, customer_of, 1, model)
    _book_of(large, customer_of, 30, model)
    today.today_list(large.user, large)  # warms the product catalogue of this process
    users = {s.pk: get_user_model().objects.get(pk=s.user_id) for s in (small, large)}
    counts = [_count(lambda s=s: today.today_list(users[s.pk], s)) for s in (small, large)]
    assert counts[0] == counts[1] <= 7  # as many as without a model (crm/tests/test_today.py)
    apis = [_count(lambda s=s: client_for(s).get("/api/workspace/today/")) for s in (small, large)]
    assert apis[0] == apis[1]
    pages = [_count(lambda s=s: client_for(s).get("/workspace/today/")) for s in (small, large)]
    assert pages[0] == pages[1]


def test_an_advisors_cached_list_follows_a_newly_activated_model(advisor, book):
    from django.core.cache import cache

    cache.clear()
    scope = scope_for(advisor.user)
    first = [c.customer_code for c in today.list_for(advisor.user, scope, advisor, DAY)["cards"]]
    assert first[0] == "C70000001"
    score(book["A"], churn_model(), 0.05)
    again = [c.customer_code for c in today.list_for(advisor.user, scope, advisor, DAY)["cards"]]
    assert again[0] == "C70000002"  # the cache key holds the active model's version
