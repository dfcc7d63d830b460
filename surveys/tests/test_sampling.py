"""Sampling rules on a hand-made branch with hand-counted expectations (surveys.md "Sampling plans")."""
from datetime import date, datetime, timezone as tz

import pandas as pd
import pytest

from customers.models import Application, Interaction, Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office
from surveys import selectors, services
from surveys.models import PlanItem, Questionnaire, SamplingPlan, SurveyResponse

MONTH = date(2026, 11, 1)


def _traced(customers, at=datetime(2026, 10, 27, 10, tzinfo=tz.utc)):
    Interaction.objects.bulk_create([Interaction(customer=c, at=at, channel="phone", summary="call")
                                     for c in customers])


def _customers(n, star, stage="mature", **kw):
    out = []
    for _i in range(n):
        c = CustomerFactory(office=office("CS"), **kw)
        TierFactory(customer=c, star=star, lifecycle_stage=stage)
        out.append(c)
    return out


def _old_plan(month, customers):
    plan = SamplingPlan.objects.create(month=month, office=office("CS"), status="released")
    q = Questionnaire.objects.get(code="E")
    PlanItem.objects.bulk_create([PlanItem(plan=plan, customer=c, questionnaire=q, reason="stratified")
                                  for c in customers])


@pytest.fixture
def branch(db, monkeypatch):
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, office=office("CS"))
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    # investment advisor: 30 customers, 15 × 1★, 10 × 2★, 5 × 3★, all with a service record
    ia_book = (_customers(15, "1", investment_advisor=ia) + _customers(10, "2", investment_advisor=ia)
               + _customers(5, "3", investment_advisor=ia))
    _traced(ia_book)
    # wealth advisor: 4★ customers
    w = {name: _customers(1, "4", advisor=wa)[0] for name in ("closer", "withdrawn", "warned", "recent", "old")}
    others = _customers(6, "4", advisor=wa) + _customers(5, "4", stage="growth", advisor=wa)  # w1..w11
    untraced = others[:3]  # w1..w3: no service record
    hung_up = others[3]  # w4: traced, but hung up at the last attempt
    _traced([c for c in others if c not in untraced] + list(w.values()))
    SurveyResponse.objects.create(version=selectors.active_version("S2020"), customer=hung_up, channel="phone",
                                  outcome="hung_up", surveyed_on=date(2026, 10, 5))
    Application.objects.create(customer=w["closer"], filed_on=date(2026, 10, 20), kind="close")
    Application.objects.create(customer=w["withdrawn"], filed_on=date(2026, 10, 21), kind="close",
                               status="withdrawn")
    _old_plan(date(2026, 6, 1), [w["recent"]])  # 5 months ago: not again
    _old_plan(date(2025, 11, 1), [w["old"]])  # 12 months ago: may be drawn again
    monkeypatch.setattr(selectors, "warned_customer_ids", lambda: {w["warned"].pk})
    return {"ia": ia, "wa": wa, "ia_book": ia_book, "w": w, "others": others, "untraced": untraced,
            "hung_up": hung_up}


def _items(month=MONTH):
    return list(PlanItem.objects.filter(plan__month=month).select_related("customer", "questionnaire"))


def test_plan_rules(branch):
    services.generate_plans(month=MONTH, seed=7)
    items = _items()
    by_customer = {i.customer_id: i for i in items}
    w = branch["w"]
    # every closing customer, with W (the last callback); a withdrawn application is not closing
    assert by_customer[w["closer"].pk].reason == "closing" and by_customer[w["closer"].pk].questionnaire.code == "W"
    # every warned customer, with W
    assert by_customer[w["warned"].pk].reason == "warned" and by_customer[w["warned"].pk].questionnaire.code == "W"
    # nobody twice within 12 months
    assert w["recent"].pk not in by_customer
    # investment advisor: 20 of 30, stratified 15:10:5 → 20 × (0.5, 0.333, 0.167) = 10, 6.67, 3.33
    # → floors 10, 6, 3 (19) and the largest remainder (.67, 2★) takes the 20th: 10 / 7 / 3
    ia_items = [i for i in items if i.sampled_for_id == branch["ia"].pk]
    assert len(ia_items) == 20
    assert sorted(i.star for i in ia_items).count("1") == 10
    assert [i.star for i in ia_items].count("2") == 7
    assert [i.star for i in ia_items].count("3") == 3
    assert {i.questionnaire.code for i in ia_items} == {"E"}  # mature → E
    # wealth advisor: 10 of the 12 eligible (w1..w11 and "old"; closer, warned and recent are out)
    wa_items = [i for i in items if i.sampled_for_id == branch["wa"].pk and i.reason in ("untraced", "stratified")]
    assert len(wa_items) == 10
    # at least 20 %: ceil(0.2 × 10) = 2 drawn from the 4 untraced / hung-up customers first
    assert sum(i.reason == "untraced" for i in wa_items) == 2
    pool = {c.pk for c in branch["untraced"]} | {branch["hung_up"].pk}
    assert sum(i.customer_id in pool for i in wa_items) >= 2
    # questionnaire by lifecycle stage: growth → N, mature → E
    for i in wa_items:
        assert i.questionnaire.code == {"growth": "N", "mature": "E"}[i.stage]
    assert len(items) == 20 + 10 + 2
    plan = SamplingPlan.objects.get(month=MONTH, office=office("CS"))
    assert plan.counts == {"stratified": 20 + 8, "untraced": 2, "closing": 1, "warned": 1}


def test_regenerating_a_draft_is_idempotent_and_released_plans_stay(branch):
    services.generate_plans(month=MONTH, seed=7)
    first = sorted(i.customer_id for i in _items())
    services.generate_plans(month=MONTH, seed=7)
    assert sorted(i.customer_id for i in _items()) == first
    SamplingPlan.objects.filter(month=MONTH).update(status="released")
    services.generate_plans(month=MONTH, seed=99)
    assert sorted(i.customer_id for i in _items()) == first


def test_next_month_draws_nobody_again(branch):
    services.generate_plans(month=MONTH, seed=7)
    SamplingPlan.objects.filter(month=MONTH).update(status="released")
    nov = {i.customer_id for i in _items() if i.sampled_for_id == branch["ia"].pk}
    services.generate_plans(month=date(2026, 12, 1), seed=7)
    dec = [i for i in _items(date(2026, 12, 1)) if i.sampled_for_id == branch["ia"].pk]
    # 30 in the book, 20 drawn in November: only the other 10 are left
    assert len(dec) == 10 and not nov & {i.customer_id for i in dec}
    # nobody has a service record in November (interactions were in October): all 10 are untraced,
    # ceil(0.2 × 10) = 2 are drawn as untraced first, 8 by star
    assert sum(i.reason == "untraced" for i in dec) == 2


def test_monthly_task_generates_the_plan(branch):
    from surveys.tasks import generate_monthly_plan

    written = generate_monthly_plan.apply(kwargs={"month": "2026-11-15", "seed": 7}).get()
    assert written["CS"] == 32
    assert SamplingPlan.objects.filter(month=MONTH, office__code="CS").exists()


def test_warned_customers_read_defensively(monkeypatch):
    import sys
    import types

    module = types.ModuleType("alerts.selectors")
    monkeypatch.setitem(sys.modules, "alerts.selectors", module)
    assert selectors.warned_customer_ids() == set()  # the alerts app has no such selector yet
    module.open_warning_customer_ids = lambda: [3, 5]
    assert selectors.warned_customer_ids() == {3, 5}
    module.open_warning_customer_ids = lambda customer_ids=None: pd.Series([True, False, True], index=[3, 4, 7])
    assert selectors.warned_customer_ids() == {3, 7}  # the alerts app's bool Series by customer id


def test_warned_customers_from_the_real_alerts_app(db):
    from django.utils import timezone

    from alerts.models import Alert

    assert selectors.warned_customer_ids() == set()  # no alert in the database
    warned, reminded, closed = (CustomerFactory(office=office("CS")) for _i in range(3))
    now, today = timezone.now(), timezone.localdate()
    common = {"level": "red", "opened_at": now, "first_fired_on": today, "last_fired_on": today}
    Alert.objects.create(customer=warned, rule="large_outflow", status="open", **common)
    Alert.objects.create(customer=reminded, rule="birthday", status="open", **common)  # a reminder, not churn
    Alert.objects.create(customer=closed, rule="large_outflow", status="resolved", **common)
    assert selectors.warned_customer_ids() == {warned.pk}


def test_generate_survey_plan_command(branch):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("generate_survey_plan", month=MONTH, seed=7, stdout=out)
    assert "CS=32" in out.getvalue()  # 20 + 10 + closing 1 + warned 1, as in test_plan_rules
