"""Issue 18, point 4: snooze with a date (inbox, today's list, escalation, page, API) and the dismiss reason
that feeds precision per rule."""
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alerts import reports, selectors, services
from alerts.models import Alert, AlertTransition
from alerts.params import AlertParams
from crm.workspaces.today import today_list
from customers.models import Customer

from .conftest import DAY

URL = "/api/alerts/alerts/"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def card(advisor, make_customer, make_alert):
    """One customer with two open alerts (one card on today's list) and another customer with one."""
    customer = make_customer()
    outflow = make_alert(customer)
    trading = make_alert(customer, rule="falling_trading", evidence={"recent": 1, "baseline_monthly": 10})
    other = make_alert(make_customer())
    return outflow, trading, other


def snooze(alert, user, until, **kw):
    return services.snooze(alert_id=alert.pk, actor=user, until=until, **kw)


def active_inbox_ids(user, day=None):
    from alerts.filters import AlertFilter

    return {a.pk for a in AlertFilter({"status": "active"}, queryset=selectors.alert_list(user)).qs}


def test_a_snoozed_alert_leaves_the_active_inbox_until_its_date(card, advisor, today):
    outflow, trading, other = card
    assert snooze(outflow, advisor.user, today + timedelta(days=7), note="customer abroad") == 1
    assert active_inbox_ids(advisor.user) == {trading.pk, other.pk}
    step = AlertTransition.objects.get(alert=outflow, action="snoozed")
    assert (step.actor, step.until, step.note, step.from_status, step.to_status) == (
        advisor.user, today + timedelta(days=7), "customer abroad", "open", "open")
    outflow.refresh_from_db()
    assert outflow.status == "open" and outflow.snoozed_until == today + timedelta(days=7)
    from alerts.filters import AlertFilter
    assert [a.pk for a in AlertFilter({"status": "snoozed"}, queryset=selectors.alert_list(advisor.user)).qs] == [
        outflow.pk]
    # the date arrives: a read-time rule, nothing to run
    assert not Alert.objects.filter(selectors.awake(today + timedelta(days=6)), pk=outflow.pk).exists()
    assert Alert.objects.filter(selectors.awake(today + timedelta(days=7)), pk=outflow.pk).exists()
    Alert.objects.filter(pk=outflow.pk).update(snoozed_until=today)  # as the inbox reads it on that day
    assert active_inbox_ids(advisor.user) == {outflow.pk, trading.pk, other.pk}


def test_the_snooze_date_is_after_today_and_within_the_policy(card, advisor, today):
    outflow = card[0]
    for until in (today, today - timedelta(days=1), today + timedelta(days=31), None):
        with pytest.raises(ValidationError) as exc:
            snooze(outflow, advisor.user, until)
        assert "until" in exc.value.message_dict
    assert snooze(outflow, advisor.user, today + timedelta(days=30)) == 1  # the default maximum, 30 days
    services.create_policy_version(params=AlertParams(snooze_max_days=10), user=_branch_manager(advisor))
    with pytest.raises(ValidationError):
        snooze(outflow, advisor.user, today + timedelta(days=11))
    assert snooze(outflow, advisor.user, today + timedelta(days=10)) == 1
    services.transition(alert_id=outflow.pk, actor=advisor.user, to="dismissed", dismiss_reason="duplicate")
    with pytest.raises(ValidationError) as exc:  # closed: nothing to snooze
        snooze(outflow, advisor.user, today + timedelta(days=2))
    assert "until" in exc.value.message_dict
    assert AlertTransition.objects.filter(action="snoozed").count() == 2


def _branch_manager(advisor):
    from customers.models import Role
    from customers.tests.factories import StaffFactory

    return StaffFactory(role=Role.BRANCH_MANAGER, office=advisor.office, with_user=True).user


def test_escalation_leaves_a_snoozed_alert_alone_until_its_date(card, advisor, today):
    outflow, trading, other = card
    Alert.objects.filter(pk__in=[outflow.pk, trading.pk]).update(due_at=timezone.now() - timedelta(hours=1))
    Alert.objects.filter(pk=other.pk).update(due_at=None)  # no SLA: never escalates
    snooze(outflow, advisor.user, today + timedelta(days=3))
    assert services.escalate_overdue() == 1  # trading only
    assert set(Alert.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True)) == {trading.pk}
    on_the_day = timezone.make_aware(datetime.combine(today + timedelta(days=3), time(9)))
    assert services.escalate_overdue(now=on_the_day) == 1  # awake again and still overdue
    assert Alert.objects.get(pk=outflow.pk).escalated_at == on_the_day


def test_the_card_snoozes_whole_and_comes_back(card, advisor, today):
    outflow, trading, other = card
    assert {c.customer_code for c in today_list(advisor.user, advisor)["cards"]} == {
        outflow.customer.customer_code, other.customer.customer_code}
    assert snooze(outflow, advisor.user, today + timedelta(days=5), whole_card=True) == 2
    assert {c.customer_code for c in today_list(advisor.user, advisor)["cards"]} == {other.customer.customer_code}
    back = today_list(advisor.user, advisor, day=today + timedelta(days=5))["cards"]
    assert {c.customer_code for c in back} == {outflow.customer.customer_code, other.customer.customer_code}
    assert Alert.objects.get(pk=trading.pk).snoozed_until == today + timedelta(days=5)


def test_the_today_card_and_the_alert_page_post_a_snooze(card, advisor, client_for, today):
    outflow, trading, _other = card
    client = client_for(advisor)
    page = client.get(reverse("workspaces:today")).content.decode()
    assert reverse("alerts:snooze", args=[outflow.pk]) in page and 'data-role="snooze"' in page
    until = (today + timedelta(days=4)).isoformat()
    response = client.post(reverse("alerts:snooze", args=[outflow.pk]),
                           {"until": until, "whole_card": "1", "next": reverse("workspaces:today")})
    assert response.status_code == 302 and response["Location"] == reverse("workspaces:today")
    assert set(Alert.objects.filter(snoozed_until=until).values_list("pk", flat=True)) == {outflow.pk, trading.pk}
    detail = client.get(reverse("alerts:detail", args=[outflow.pk])).content.decode()
    assert 'data-role="snoozed"' in detail and until in detail
    too_far = client.post(reverse("alerts:snooze", args=[outflow.pk]),
                          {"until": (today + timedelta(days=40)).isoformat()}, follow=True)
    assert "30" in too_far.content.decode() and Alert.objects.get(pk=outflow.pk).snoozed_until.isoformat() == until


def test_the_api_snoozes_within_scope_and_role(card, advisor, client_for, make_staff, today):
    outflow = card[0]
    until = (today + timedelta(days=2)).isoformat()
    body = client_for(advisor).post(f"{URL}{outflow.pk}/snooze/", {"until": until, "note": "travelling"},
                                    content_type="application/json")
    assert body.status_code == 200 and body.json()["snoozed_until"] == until
    bad = client_for(advisor).post(f"{URL}{outflow.pk}/snooze/", {"until": today.isoformat()},
                                   content_type="application/json")
    assert bad.status_code == 400 and "until" in bad.json()
    stranger = make_staff("wealth_advisor", office_code="HY")
    assert client_for(stranger).post(f"{URL}{outflow.pk}/snooze/", {"until": until},
                                     content_type="application/json").status_code == 404
    assert client_for(make_staff("compliance")).post(f"{URL}{outflow.pk}/snooze/", {"until": until},
                                                     content_type="application/json").status_code == 403
    assert AlertTransition.objects.filter(action="snoozed").count() == 1


def test_dismissing_takes_a_reason_from_the_list(card, advisor, client_for):
    outflow, trading, other = card
    client = client_for(advisor)
    refused = client.post(f"{URL}{outflow.pk}/transition/", {"to": "dismissed"}, content_type="application/json")
    assert refused.status_code == 400 and "dismiss_reason" in refused.json()
    refused = client.post(f"{URL}{outflow.pk}/transition/", {"to": "dismissed", "dismiss_reason": "moon"},
                          content_type="application/json")
    assert refused.status_code == 400 and "dismiss_reason" in refused.json()
    done = client.post(f"{URL}{outflow.pk}/transition/", {"to": "dismissed", "dismiss_reason": "not_a_risk"},
                       content_type="application/json").json()
    assert (done["status"], done["dismiss_reason"], done["reason"]) == ("dismissed", "not_a_risk", "Not a risk")
    page = client.post(reverse("alerts:transition", args=[trading.pk]),
                       {"to": "dismissed", "dismiss_reason": "wrong_data", "note": "trades booked late"})
    assert page.status_code == 302
    assert Alert.objects.filter(pk=trading.pk).values_list("dismiss_reason", "reason").get() == (
        "wrong_data", "trades booked late")
    refused = client.post(f"{URL}{other.pk}/transition/", {"to": "acknowledged", "dismiss_reason": "duplicate"},
                          content_type="application/json")
    assert refused.status_code == 400 and "dismiss_reason" in refused.json()


def test_dismissed_as_not_a_risk_is_a_false_positive_of_its_rule(advisor, make_customer, make_alert):
    """Four large-outflow warnings, fired 30 days before the report's last day (the 90-day window still open):
    A churned 10 days later (true positive); B dismissed as not a risk (false positive); C dismissed as a
    duplicate and D still open (both pending: no verdict, window open). A fifth, E, fired 100 days before and
    never churned (window closed: false positive). Precision = 1 / (1 + 2) = 0.3333."""
    fired, old = DAY - timedelta(days=30), DAY - timedelta(days=100)
    a, b, c, d, e = (make_customer() for _ in range(5))
    for customer in (a, b, c, d):
        make_alert(customer, first_fired_on=fired, last_fired_on=fired)
    make_alert(e, first_fired_on=old, last_fired_on=old)
    a.closed_on = fired + timedelta(days=10)
    a.save()
    user = advisor.user
    services.transition(alert_id=b.alerts.get().pk, actor=user, to="dismissed", dismiss_reason="not_a_risk")
    services.transition(alert_id=c.alerts.get().pk, actor=user, to="dismissed", dismiss_reason="duplicate")
    result = reports.measures(selectors.visible_alerts(user), Customer.objects.all(), DAY - timedelta(days=120), DAY,
                              90)
    row = result["tables"]["precision"].loc["Large outflow"].to_dict()
    assert row == {"warned": 5, "churned": 1, "not_a_risk": 1, "pending": 2, "precision": 0.3333}
