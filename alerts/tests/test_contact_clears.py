"""The contact clears the work (issue 18, point 2): every way of recording a contact — the quick log (service), an
alert moved to contacted, the API — resets the contact clock, resolves the contact-due reminder and moves the
customer's open warnings to contacted, with the interaction recorded on each alert's transition."""
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import Alert, AlertTransition
from crm.dates import add_months
from customers import services as customer_services
from customers.models import Customer, Interaction, Role
from customers.tests.factories import StaffFactory

from .conftest import DAY


@pytest.fixture
def book(make_customer, make_alert):
    """A 3★ customer planned for 20 Nov (every 2 months) with a contact-due reminder, two open warnings (one
    acknowledged), a birthday reminder, a resolved warning; and a second customer with their own reminder."""
    c = make_customer()
    Customer.objects.filter(pk=c.pk).update(next_contact_on=date(2026, 11, 20), contact_cycle_months=2)
    alerts = {
        "due": make_alert(c, rule="contact_due", level="reminder"),
        "trading": make_alert(c, rule="falling_trading"),
        "decline": make_alert(c, rule="lifecycle_decline", status="acknowledged", acknowledged_at=timezone.now()),
        "birthday": make_alert(c, rule="birthday", level="reminder"),
        "old": make_alert(c, rule="large_outflow", status="resolved", closed_at=timezone.now()),
    }
    other = make_customer()
    alerts["other_due"] = make_alert(other, rule="contact_due", level="reminder")
    return c, alerts


def states(alerts):
    return {k: Alert.objects.get(pk=a.pk).status for k, a in alerts.items()}


def at_local(day, hour=10):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))


def test_the_quick_log_clears_the_work(book, advisor):
    c, alerts = book
    contact = customer_services.log_interaction(customer=c, actor=advisor.user, channel="phone", summary="called",
                                                at=at_local(DAY))
    assert states(alerts) == {"due": "resolved", "trading": "contacted", "decline": "contacted",
                              "birthday": "open", "old": "resolved", "other_due": "open"}
    assert Customer.objects.get(pk=c.pk).next_contact_on == date(2027, 1, 26)  # 26 Nov + 2 months
    steps = AlertTransition.objects.filter(action="contact").order_by("alert_id")
    assert [(s.alert_id, s.from_status, s.to_status, s.interaction_id, s.actor_id) for s in steps] == [
        (alerts["due"].pk, "open", "resolved", contact.pk, advisor.user.pk),
        (alerts["trading"].pk, "open", "contacted", contact.pk, advisor.user.pk),
        (alerts["decline"].pk, "acknowledged", "contacted", contact.pk, advisor.user.pk)]
    trading = Alert.objects.get(pk=alerts["trading"].pk)
    assert trading.contacted_at == contact.at and trading.acknowledged_at == contact.at
    assert Alert.objects.get(pk=alerts["due"].pk).closed_at is not None


def test_a_backdated_contact_never_moves_the_plan_back(book, advisor):
    c, _alerts = book
    Customer.objects.filter(pk=c.pk).update(next_contact_on=date(2027, 3, 1))
    customer_services.log_interaction(customer=c, actor=advisor.user, channel="sms", summary="old call",
                                      at=at_local(date(2026, 10, 1)))
    assert Customer.objects.get(pk=c.pk).next_contact_on == date(2027, 3, 1)  # 1 Oct + 2 months is earlier


def test_an_alert_moved_to_contacted_clears_the_rest(book, advisor):
    c, alerts = book
    services.transition(alert_id=alerts["trading"].pk, actor=advisor.user, to="contacted", channel="phone")
    contact = Interaction.objects.get(customer=c)
    assert states(alerts)["due"] == "resolved" and states(alerts)["decline"] == "contacted"
    own = AlertTransition.objects.filter(alert=alerts["trading"]).order_by("id")
    assert [(s.action, s.to_status, s.interaction_id) for s in own] == [("transition", "contacted", contact.pk)]
    assert AlertTransition.objects.get(alert=alerts["decline"]).interaction_id == contact.pk


def test_contacting_the_contact_due_reminder_resolves_it(book, advisor):
    _c, alerts = book
    done = services.transition(alert_id=alerts["due"].pk, actor=advisor.user, to="contacted", channel="visit")
    assert done.status == "resolved"
    steps = AlertTransition.objects.filter(alert=alerts["due"]).order_by("id")
    assert [(s.from_status, s.to_status) for s in steps] == [("open", "contacted"), ("contacted", "resolved")]


def test_the_api_logs_a_contact(book, advisor, client_for):
    c, alerts = book
    client = client_for(advisor)
    url = reverse("customer-interactions", args=[c.customer_code])
    response = client.post(url, {"channel": "wechat", "summary": "checked in", "note": "fine"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer_code"], body["channel"], body["summary"], body["note"], body["staff_code"]) == (
        c.customer_code, "wechat", "checked in", "fine", advisor.staff_code)
    assert body["next_contact_on"] == add_months(timezone.localdate(), 2).isoformat()  # today + the 3★ cycle
    assert states(alerts)["due"] == "resolved" and states(alerts)["trading"] == "contacted"
    assert client.post(url, {"channel": "phone", "summary": "x", "note": "n" * 4001},
                       content_type="application/json").status_code == 400
    assert client.post(url, {"channel": "fax", "summary": "x"}, content_type="application/json").status_code == 400
    assert Interaction.objects.filter(customer=c).count() == 1


def test_the_api_is_scoped_and_declares_its_write(book, make_customer, client_for, db):
    c, _alerts = book
    stranger = StaffFactory(role=Role.WEALTH_ADVISOR, office=c.office, with_user=True)
    url = reverse("customer-interactions", args=[c.customer_code])
    assert client_for(stranger).post(url, {"channel": "phone", "summary": "x"},
                                     content_type="application/json").status_code == 404
    compliance = StaffFactory(role=Role.COMPLIANCE, office=c.office, with_user=True)
    assert client_for(compliance).post(url, {"channel": "phone", "summary": "x"},
                                       content_type="application/json").status_code == 403
    assert not Interaction.objects.exists() and Alert.objects.filter(status="resolved").count() == 1
