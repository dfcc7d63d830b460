"""Workflow transitions (legal and illegal), contacts logged as interactions, SLA deadlines across weekends,
escalation, policy versions, and concurrent transitions from two connections (PostgreSQL)."""
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from alerts import services, sla
from alerts.models import Alert, AlertPolicy, AlertTransition
from alerts.params import AlertParams
from crm.models import AuditEvent
from customers.models import Interaction

from .conftest import DAY

P = AlertParams()


def local(*args):
    return timezone.make_aware(datetime(*args), timezone.get_current_timezone())


@pytest.fixture
def alert(make_customer):
    c = make_customer()
    return Alert.objects.create(customer=c, rule="large_outflow", level="yellow", owner=c.advisor,
                                opened_at=timezone.now(), due_at=timezone.now() + timedelta(days=1),
                                first_fired_on=DAY, last_fired_on=DAY, evidence={"transfer_out": 80000})


def go(alert, user, to, **kw):
    return services.transition(alert_id=alert.pk, actor=user, to=to, **kw)


def test_full_workflow_keeps_every_change(alert, advisor):
    user = advisor.user
    go(alert, user, "acknowledged", note="seen")
    go(alert, user, "contacted", channel="phone", summary="called about the transfer", note="moving to a bank")
    done = go(alert, user, "resolved", outcome="funds_returned", amount="50000", note="half came back")
    assert done.status == "resolved" and done.funds_returned == Decimal("50000.00")
    assert done.acknowledged_at and done.contacted_at and done.closed_at
    steps = list(AlertTransition.objects.filter(alert=alert).values_list("from_status", "to_status", "note",
                                                                         "actor_id"))
    assert steps == [("open", "acknowledged", "seen", user.pk),
                     ("acknowledged", "contacted", "moving to a bank", user.pk),
                     ("contacted", "resolved", "half came back", user.pk)]
    contact = Interaction.objects.get(customer=alert.customer)
    assert (contact.channel, contact.summary, contact.staff_id) == ("phone", "called about the transfer", advisor.pk)
    assert AlertTransition.objects.get(to_status="contacted").interaction_id == contact.pk
    assert AuditEvent.objects.filter(action="alert.transition", object_id=str(alert.pk)).count() == 3


@pytest.mark.parametrize("path,to,field", [
    ([], "resolved", "to"),  # open cannot be resolved without contact
    ([], "open", "to"),
    (["acknowledged"], "acknowledged", "to"),
    (["dismissed"], "acknowledged", "to"),  # closed is final
    ([], "flying", "to"),
])
def test_illegal_transitions_are_refused_clearly(alert, advisor, path, to, field):
    for step in path:
        go(alert, advisor.user, step, note="x")
    with pytest.raises(ValidationError) as exc:
        go(alert, advisor.user, to)
    assert field in exc.value.message_dict
    assert AlertTransition.objects.filter(alert=alert).count() == len(path)  # nothing written


def test_illegal_message_names_the_allowed_steps(alert, advisor):
    with pytest.raises(ValidationError) as exc:
        go(alert, advisor.user, "resolved", outcome="retained")
    assert exc.value.message_dict["to"] == [
        "An alert that is Open cannot become Resolved. Allowed next: Acknowledged, Contacted, Dismissed."]


def test_details_each_step_needs(alert, advisor):
    user = advisor.user
    with pytest.raises(ValidationError) as exc:
        go(alert, user, "contacted")
    assert "channel" in exc.value.message_dict
    assert not Interaction.objects.exists()
    go(alert, user, "contacted", channel="wechat")
    with pytest.raises(ValidationError) as exc:
        go(alert, user, "resolved")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        go(alert, user, "resolved", outcome="funds_returned", amount="-5")
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # 10^13 and more: beyond what every backend keeps exactly
        go(alert, user, "resolved", outcome="funds_returned", amount="9999999999999999.99")
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        go(alert, user, "resolved", outcome="retained", amount="100")
    assert "amount" in exc.value.message_dict
    assert go(alert, user, "resolved", outcome="retained").outcome == "retained"


def test_dismissing_needs_a_reason(alert, advisor):
    with pytest.raises(ValidationError) as exc:
        go(alert, advisor.user, "dismissed", note="  ")
    assert "dismiss_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # "other" says what in the note
        go(alert, advisor.user, "dismissed", dismiss_reason="other")
    assert "note" in exc.value.message_dict
    dismissed = go(alert, advisor.user, "dismissed", note="duplicate account")  # a note alone: other
    assert (dismissed.reason, dismissed.dismiss_reason) == ("duplicate account", "other")


def test_scope_and_read_only_roles(alert, make_staff):
    stranger = make_staff("wealth_advisor")
    with pytest.raises(services.AlertNotFound):
        go(alert, stranger.user, "acknowledged")
    other_office = make_staff("office_manager", office_code="HY")
    with pytest.raises(services.AlertNotFound):
        go(alert, other_office.user, "acknowledged")
    with pytest.raises(PermissionDenied):
        go(alert, make_staff("compliance", office_code="ZS").user, "acknowledged")
    assert go(alert, make_staff("office_manager").user, "acknowledged").status == "acknowledged"


# -- SLA --------------------------------------------------------------------------------------
def test_yellow_sla_is_one_working_day_across_a_weekend():
    friday_evening = local(2026, 11, 27, 20, 0)  # Friday
    assert sla.due_at("yellow", friday_evening, P) == local(2026, 11, 30, 20, 0)  # Monday 20:00
    saturday_night = local(2026, 11, 28, 3, 0)
    assert sla.due_at("yellow", saturday_night, P) == local(2026, 12, 1, 0, 0)  # all of Monday: Tuesday 00:00
    wednesday = local(2026, 11, 25, 9, 30)
    assert sla.due_at("yellow", wednesday, P) == local(2026, 11, 26, 9, 30)


def test_holidays_and_make_up_days_are_policy():
    params = AlertParams.from_json({"holidays": ["2026-11-30"], "extra_working_days": ["2026-11-28"]})
    friday_evening = local(2026, 11, 27, 20, 0)
    # Saturday 28 is a make-up working day: 4 h of Friday + 20 h of Saturday
    assert sla.due_at("yellow", friday_evening, params) == local(2026, 11, 28, 20, 0)
    holiday_monday = AlertParams.from_json({"holidays": ["2026-11-30"]})
    assert sla.due_at("yellow", friday_evening, holiday_monday) == local(2026, 12, 1, 20, 0)


def test_red_sla_is_four_clock_hours_and_reminders_have_none():
    saturday = local(2026, 11, 28, 3, 0)
    assert sla.due_at("red", saturday, P) == local(2026, 11, 28, 7, 0)
    assert sla.due_at("reminder", saturday, P) is None


def test_escalation_of_overdue_alerts_to_the_office_manager(alert, make_staff, make_customer):
    manager = make_staff("office_manager")
    make_staff("office_manager", office_code="HY")
    Alert.objects.filter(pk=alert.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    on_time = Alert.objects.create(customer=make_customer(), rule="falling_trading", level="yellow",
                                   opened_at=timezone.now(), due_at=timezone.now() + timedelta(hours=3),
                                   first_fired_on=DAY, last_fired_on=DAY)
    assert services.escalate_overdue() == 1
    alert.refresh_from_db()
    on_time.refresh_from_db()
    assert alert.manager_id == manager.pk and alert.escalated_at is not None
    assert on_time.escalated_at is None
    assert AlertTransition.objects.filter(alert=alert, action="escalated").count() == 1
    assert services.escalate_overdue() == 0  # idempotent


# -- policy ------------------------------------------------------------------------------------
def test_policy_versions_one_active_branch_managers_only(make_staff):
    assert AlertPolicy.objects.get(status="active").params["outflow_amount"] == 100_000  # v1 = spec defaults
    with pytest.raises(PermissionDenied):
        services.create_policy_version(params={"outflow_amount": 50_000}, user=make_staff("office_manager").user)
    bm = make_staff("branch_manager", office_code="ZS")
    with pytest.raises(ValidationError) as exc:
        services.create_policy_version(params={"outflow_share": 1.5}, user=bm.user)
    assert "outflow_share" in exc.value.message_dict
    v2 = services.create_policy_version(params={"outflow_amount": 50_000}, user=bm.user, note="tighter")
    assert v2.version == 2 and list(AlertPolicy.objects.filter(status="active")) == [v2]
    assert AlertPolicy.objects.get(version=1).status == "retired"
    assert AuditEvent.objects.filter(action="alert_policy.create").count() == 1


# -- concurrency ---------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_from_two_connections_lose_nothing(reference_data):
    """Two users move the same alert at the same moment on two database connections: the row lock makes
    one wait for the other, and the history is one unbroken chain."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two real connections (PostgreSQL)")
    from customers.tests.factories import CustomerFactory, StaffFactory, office

    advisor = StaffFactory(role="wealth_advisor", office=office("CS"), with_user=True)
    manager = StaffFactory(role="office_manager", office=office("CS"), with_user=True)
    c = CustomerFactory(advisor=advisor, office=advisor.office)
    alert = Alert.objects.create(customer=c, rule="large_outflow", level="yellow", owner=advisor,
                                 opened_at=timezone.now(), first_fired_on=DAY, last_fired_on=DAY)
    barrier = threading.Barrier(2)
    results = {}

    def worker(name, user, to, note):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            services.transition(alert_id=alert.pk, actor=user, to=to, note=note)
            results[name] = "ok"
        except ValidationError as exc:
            results[name] = exc.message_dict
        finally:
            connections.close_all()

    original = services._check

    def slow_check(*args, **kwargs):  # hold the lock a moment so the two really overlap
        import time

        time.sleep(0.3)
        return original(*args, **kwargs)

    services._check = slow_check
    try:
        threads = [threading.Thread(target=worker, args=("a", advisor.user, "acknowledged", "by advisor")),
                   threading.Thread(target=worker, args=("b", manager.user, "dismissed", "by manager"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        services._check = original
    alert.refresh_from_db()
    chain = list(AlertTransition.objects.filter(alert=alert).order_by("at", "id").values_list("from_status",
                                                                                              "to_status"))
    # Either order is possible; whichever came second saw the first one's committed status:
    if chain == [("open", "acknowledged"), ("acknowledged", "dismissed")]:
        assert results == {"a": "ok", "b": "ok"}
    else:  # dismissed first: acknowledging a closed alert is refused, and says so
        assert chain == [("open", "dismissed")] and results["b"] == "ok" and "to" in results["a"]
    assert alert.status == "dismissed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_acknowledging_at_once_one_wins(reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs two real connections (PostgreSQL)")
    from customers.tests.factories import CustomerFactory, StaffFactory, office

    advisor = StaffFactory(role="wealth_advisor", office=office("CS"), with_user=True)
    manager = StaffFactory(role="office_manager", office=office("CS"), with_user=True)
    c = CustomerFactory(advisor=advisor, office=advisor.office)
    alert = Alert.objects.create(customer=c, rule="large_outflow", level="yellow", owner=advisor,
                                 opened_at=timezone.now(), first_fired_on=DAY, last_fired_on=DAY)
    barrier = threading.Barrier(2)
    results = []

    def worker(user):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            services.transition(alert_id=alert.pk, actor=user, to="acknowledged", note=user.username)
            results.append("ok")
        except ValidationError as exc:
            results.append(list(exc.message_dict))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(u,)) for u in (advisor.user, manager.user)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results, key=str) == sorted(["ok", ["to"]], key=str)  # exactly one wins, the other is told why
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_a_transition_refuses_an_overlong_note_without_cutting_it(db, make_staff):
    """Issue 17: notes accepted 9 MB. The service (every path: page, API, script) refuses more than 4,000
    characters and changes nothing."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from alerts import services
    from alerts.models import Alert, AlertTransition
    from customers.tests.factories import CustomerFactory

    wa = make_staff("wealth_advisor")
    now, today = timezone.now(), timezone.localdate()
    alert = Alert.objects.create(customer=CustomerFactory(advisor=wa, office=wa.office), rule="large_outflow",
                                 level="red", owner=wa, opened_at=now, due_at=now, first_fired_on=today,
                                 last_fired_on=today)
    with pytest.raises(ValidationError) as exc:
        services.transition(alert_id=alert.pk, actor=wa.user, to="acknowledged", note="n" * 4001)
    assert list(exc.value.message_dict) == ["note"]
    alert.refresh_from_db()
    assert alert.status == "open" and not AlertTransition.objects.filter(alert=alert, action="transition").exists()
    services.transition(alert_id=alert.pk, actor=wa.user, to="acknowledged", note="n" * 4000)
    assert len(AlertTransition.objects.get(alert=alert, to_status="acknowledged").note) == 4000
