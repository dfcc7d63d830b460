from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.models import AuditEvent
from customers import services
from customers.models import AdvisorCapacityPolicy, Interaction, Role
from customers.tests.factories import CustomerFactory, StaffFactory, office


@pytest.fixture
def manager(db):
    return StaffFactory(role=Role.OFFICE_MANAGER, with_user=True)


def test_assignment_respects_the_cap_in_force(manager):
    AdvisorCapacityPolicy.objects.create(wealth_advisor_cap=2, investment_advisor_cap=1, institutional_advisor_cap=1)
    wa = StaffFactory(role=Role.WEALTH_ADVISOR)
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    services.assign_advisor(customer=a, advisor=wa, actor=manager.user)
    services.assign_advisor(customer=b, advisor=wa, actor=manager.user)
    services.assign_advisor(customer=b, advisor=wa, actor=manager.user)  # re-assigning the same customer is fine
    with pytest.raises(ValidationError, match="cap 2"):
        services.assign_advisor(customer=c, advisor=wa, actor=manager.user)
    c.refresh_from_db()
    assert c.advisor is None
    assert AuditEvent.objects.filter(action="customer.assign").count() == 3
    # a closed account keeps its advisor for the record but frees its place under the cap
    a.closed_on = date(2026, 11, 20)
    a.save(update_fields=["closed_on"])
    services.assign_advisor(customer=c, advisor=wa, actor=manager.user)
    c.refresh_from_db()
    assert c.advisor == wa


def test_only_matching_roles_and_managers_assign(manager):
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR)
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        services.assign_advisor(customer=customer, advisor=ia, actor=manager.user)
    services.assign_advisor(customer=customer, advisor=ia, actor=manager.user, field="investment_advisor")
    with pytest.raises(PermissionDenied):
        services.assign_advisor(customer=customer, advisor=wa, actor=wa.user)


def test_log_interaction_within_scope(db):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    mine = CustomerFactory(advisor=wa)
    other = CustomerFactory(office=office("HY"))
    interaction = services.log_interaction(customer=mine, actor=wa.user, channel="phone", summary="回访")
    assert interaction.staff == wa
    with pytest.raises(PermissionDenied):
        services.log_interaction(customer=other, actor=wa.user, channel="phone", summary="x")


def test_log_interaction_refuses_a_read_only_role_and_overlong_text(db):
    """The service asks the rights table too (a script or a later API cannot go round the view), and refuses a
    9 MB note (issue 17: notes accepted 9 MB) instead of storing or cutting it."""
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    mine = CustomerFactory(advisor=wa)
    compliance = StaffFactory(role=Role.COMPLIANCE, with_user=True)
    with pytest.raises(PermissionDenied):
        services.log_interaction(customer=mine, actor=compliance.user, channel="phone", summary="x")
    with pytest.raises(ValidationError) as exc:
        services.log_interaction(customer=mine, actor=wa.user, channel="phone", summary="x" * 201,
                                 note="n" * 9_000_000)
    assert set(exc.value.message_dict) == {"summary", "note"}
    assert not Interaction.objects.exists()
    kept = services.log_interaction(customer=mine, actor=wa.user, channel="phone", summary="s" * 200,
                                    note="n" * 4000)
    assert len(kept.note) == 4000 and len(kept.summary) == 200


def test_advisor_load_counts_open_customers_in_both_advisor_columns(db):
    from customers.selectors import advisor_load

    wa, ia, idle = (StaffFactory(role=Role.WEALTH_ADVISOR), StaffFactory(role=Role.INVESTMENT_ADVISOR),
                    StaffFactory(role=Role.WEALTH_ADVISOR))
    CustomerFactory(advisor=wa, investment_advisor=ia)  # counts once for each of them
    CustomerFactory(advisor=wa)
    CustomerFactory(advisor=wa)
    CustomerFactory(investment_advisor=ia)
    CustomerFactory()  # nobody's
    both = StaffFactory(role=Role.WEALTH_ADVISOR)
    CustomerFactory(advisor=both, investment_advisor=both)  # one customer, served in both roles: 1 + 1
    CustomerFactory(advisor=wa, investment_advisor=ia, closed_on=date(2026, 11, 20))  # closed: no one's load
    # wa: 3 as advisor; ia: 2 as investment advisor; idle serves none and is left out
    assert advisor_load() == {wa.pk: 3, ia.pk: 2, both.pk: 2}
    assert advisor_load([ia.pk, idle.pk]) == {ia.pk: 2}
    assert advisor_load([]) == {}
