"""A completed survey is a contact (issue 18, point 2): it resets the contact plan, resolves the contact-due
reminder and moves open warnings to contacted; an unanswered call does not."""
from datetime import date

from django.utils import timezone

from alerts.models import Alert, AlertTransition
from crm.dates import add_months
from customers.models import Customer
from surveys import services


def _alert(customer, rule, level="yellow"):
    today = timezone.localdate()
    return Alert.objects.create(customer=customer, rule=rule, level=level, owner=customer.advisor,
                                opened_at=timezone.now(), first_fired_on=today, last_fired_on=today)


def test_a_completed_survey_clears_the_work(ops, customer, s2020_data, db):
    Customer.objects.filter(pk=customer.pk).update(next_contact_on=date(2026, 1, 1), contact_cycle_months=1)
    due, warning = _alert(customer, "contact_due", "reminder"), _alert(customer, "falling_trading")
    services.file_response(actor=ops.user, data=s2020_data())
    assert Alert.objects.get(pk=due.pk).status == "resolved"
    assert Alert.objects.get(pk=warning.pk).status == "contacted"
    assert Customer.objects.get(pk=customer.pk).next_contact_on == add_months(timezone.localdate(), 1)
    step = AlertTransition.objects.get(alert=due)
    assert (step.action, step.actor_id, step.interaction_id) == ("contact", ops.user.pk, None)


def test_an_unanswered_call_is_no_contact(ops, customer, s2020_data, db):
    due = _alert(customer, "contact_due", "reminder")
    services.file_response(actor=ops.user, data={**s2020_data(), "outcome": "no_answer", "answers": {}})
    assert Alert.objects.get(pk=due.pk).status == "open"
