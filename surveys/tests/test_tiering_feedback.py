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
    tier = (CurrentTier.objects.filter(lifecycle_stage="mature", cev__gt=0, cpv__gt=0)
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
