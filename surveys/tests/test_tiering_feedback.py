"""End to end: survey answers reach the nightly reclassification (CPV inputs through survey_inputs)."""
from datetime import date

import pytest
from django.core.management import call_command

from crm.models import JobRun
from customers import services as customer_services
from customers.models import CurrentTier, TierSnapshot
from customers.tests.factories import UserFactory
from surveys import services

DAY = date(2026, 11, 26)


def run():
    result = customer_services.run_reclassification(day=DAY)
    assert result.status == JobRun.Status.SUCCEEDED, result.error
    return result


@pytest.mark.django_db
def test_a_satisfied_referring_customer_gets_a_higher_cpv():
    call_command("generate_branch", customers=400, seed=5, as_of=DAY, stdout=open("/dev/null", "w"))
    run()
    # the richest mature customer who has answered no survey yet (the generator gives some customers answers)
    tier = (CurrentTier.objects.filter(lifecycle_stage="mature", cev__gt=0, cpv__gt=0,
                                       snapshot__neutral_inputs="satisfaction,loyalty,planned_ratio,expected_return")
            .select_related("customer").order_by("-cev").first())
    customer = tier.customer
    before = TierSnapshot.objects.get(customer=customer, date=DAY)
    assert before.neutral_inputs == "satisfaction,loyalty,planned_ratio,expected_return"
    admin = UserFactory(is_superuser=True)
    services.file_response(actor=admin, data={
        "questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
        "outcome": "completed", "date": "2026-11-20",
        "answers": {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}})
    run()
    after = TierSnapshot.objects.get(customer=customer, date=DAY)
    # satisfaction 1.0 and loyalty 1.0 instead of the neutral 0.5: retention + 0.2 × 0.5 + 0.1 × 0.5 = + 0.15
    assert after.neutral_inputs == "planned_ratio,expected_return"
    assert after.cpv > before.cpv


@pytest.mark.django_db
def test_the_customers_own_experience_answer_sets_the_growth_window():
    """tiering.md §2: the growth window is 360 days for an experienced investor, 1,080 for a new one. A customer
    funded between 360 and 1,080 days ago is therefore mature if experienced and growing if not; the answer to
    questionnaire N Q6 (level 1 bank deposits only … 5; from level 2 = experienced, policy) outweighs the
    back office's yes/no."""
    from customers.models import Customer

    call_command("generate_branch", customers=400, seed=5, as_of=DAY, stdout=open("/dev/null", "w"))
    run()
    snap = (TierSnapshot.objects.filter(date=DAY, lifecycle_stage="mature", stage_reason="past_growth_window",
                                        stage_days__gt=400, stage_days__lt=1000)
            .select_related("customer").first())
    customer = snap.customer
    Customer.objects.filter(pk=customer.pk).update(prior_experience="no")  # the back office says: new investor
    run()
    assert TierSnapshot.objects.get(customer=customer, date=DAY).lifecycle_stage == "growth"  # 1,080-day window
    admin = UserFactory(is_superuser=True)

    def answer_experience(level_option, day):
        services.file_response(actor=admin, data={
            "questionnaire": "N", "customer_code": customer.customer_code, "channel": "phone",
            "outcome": "completed", "date": day,
            "answers": {"Q1": "A", "Q2": ["A"], "Q3": ["A"], "Q4": ["A"], "Q5": ["A"], "Q6": level_option,
                        "Q7": "A", "Q8": "A", "Q9": "A"}})

    answer_experience("D", "2026-11-20")  # level 4: picks stocks on their own judgement
    run()
    after = TierSnapshot.objects.get(customer=customer, date=DAY)
    assert (after.lifecycle_stage, after.stage_reason) == ("mature", "past_growth_window")
    answer_experience("A", "2026-11-21")  # a later answer, level 1: bank deposits only
    run()
    assert TierSnapshot.objects.get(customer=customer, date=DAY).lifecycle_stage == "growth"
