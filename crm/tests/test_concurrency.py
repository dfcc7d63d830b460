"""Two connections changing the same thing at once lose no update (PostgreSQL, real row locks).

Each test widens the race window by slowing a read made inside the transaction, so without the lock the
two transactions would both read the old state and one update would be lost."""
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from crm.models import AuditEvent
from customers import services
from customers.models import AdvisorCapacityPolicy, Customer, Role, TieringPolicy
from customers.tests.factories import CustomerFactory, StaffFactory, office

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls):
    """Run each call in its own thread (own database connection), started together; return results/errors."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def slowed(monkeypatch, module, name, seconds=0.5):
    original = getattr(module, name)

    def slow(*args, **kwargs):
        value = original(*args, **kwargs)
        time.sleep(seconds)
        return value

    monkeypatch.setattr(module, name, slow)


def test_two_assignments_cannot_both_take_an_advisors_last_place(reference_data, monkeypatch):
    AdvisorCapacityPolicy.objects.create(wealth_advisor_cap=2, investment_advisor_cap=400, institutional_advisor_cap=40)
    cs = office("CS")
    manager = StaffFactory(role=Role.OFFICE_MANAGER, office=cs, with_user=True)
    advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs)
    other = StaffFactory(role=Role.WEALTH_ADVISOR, office=cs)
    CustomerFactory(advisor=advisor, office=cs)  # one of two places taken
    first, second = (CustomerFactory(advisor=other, office=cs) for _ in range(2))
    slowed(monkeypatch, services, "active_capacity_policy")

    results = run_together(
        lambda: services.assign_advisor(customer=first, advisor=advisor, actor=manager.user),
        lambda: services.assign_advisor(customer=second, advisor=advisor, actor=manager.user),
    )
    assert sorted(type(r).__name__ for r in results) == ["Customer", "ValidationError"]
    assert Customer.objects.filter(advisor=advisor).count() == 2  # the cap, not 3
    assert isinstance(next(r for r in results if isinstance(r, Exception)), ValidationError)


def test_two_reassignments_of_one_customer_both_land_in_order(reference_data, monkeypatch):
    cs = office("CS")
    manager = StaffFactory(role=Role.OFFICE_MANAGER, office=cs, with_user=True)
    a, b, c = (StaffFactory(role=Role.WEALTH_ADVISOR, office=cs) for _ in range(3))
    customer = CustomerFactory(advisor=a, office=cs)
    slowed(monkeypatch, services, "active_capacity_policy")

    results = run_together(
        lambda: services.assign_advisor(customer=customer, advisor=b, actor=manager.user),
        lambda: services.assign_advisor(customer=customer, advisor=c, actor=manager.user),
    )
    assert all(isinstance(r, Customer) for r in results)
    # Both changes are in the audit trail with a consistent before/after chain: a -> x -> y.
    chain = list(AuditEvent.objects.filter(action="customer.assign").order_by("id").values_list("detail", flat=True))
    assert [chain[0]["before"], chain[1]["before"]] == [a.pk, chain[0]["after"]]
    customer.refresh_from_db()
    assert customer.advisor_id == chain[1]["after"]


def test_two_managers_drafting_policies_at_once_get_two_versions(reference_data, monkeypatch):
    zs = office("ZS")
    managers = [StaffFactory(role=Role.BRANCH_MANAGER, office=zs, with_user=True) for _ in range(2)]
    active = TieringPolicy.objects.get(status=TieringPolicy.Status.ACTIVE)
    from customers.tiering import policy as tiering_policy

    slowed(monkeypatch, tiering_policy, "audit")
    results = run_together(*[
        (lambda m=m: tiering_policy.create_draft(params=active.params, user=m.user, note=m.staff_code))
        for m in managers
    ])
    assert all(isinstance(r, TieringPolicy) for r in results), results
    assert sorted(r.version for r in results) == [active.version + 1, active.version + 2]
    assert TieringPolicy.objects.count() == 2 + 1


def test_two_activations_at_once_leave_exactly_one_active_policy(reference_data):
    zs = office("ZS")
    manager = StaffFactory(role=Role.BRANCH_MANAGER, office=zs, with_user=True)
    from customers.tiering import policy as tiering_policy

    active = TieringPolicy.objects.get(status=TieringPolicy.Status.ACTIVE)
    drafts = [tiering_policy.create_draft(params=active.params, user=manager.user) for _ in range(2)]
    results = run_together(*[(lambda d=d: tiering_policy.activate(policy=d, user=manager.user)) for d in drafts])
    assert all(isinstance(r, TieringPolicy) for r in results), results
    assert TieringPolicy.objects.filter(status=TieringPolicy.Status.ACTIVE).count() == 1
    # The one activated second replaced the one activated first, which replaced the original.
    replaced = [e.detail["replaced"] for e in AuditEvent.objects.filter(action="tiering_policy.activate").order_by("id")]
    assert replaced[0] == active.version and replaced[1] in {d.version for d in drafts}


def test_a_staff_row_another_transaction_holds_is_skipped_not_waited_for(reference_data):
    """Moving book marks never waits on a staff row: its holder moves that mark itself before it commits."""
    from django.db import transaction

    from customers.models import Staff

    cs = office("CS")
    held_advisor, free_advisor = (StaffFactory(role=Role.WEALTH_ADVISOR, office=cs) for _ in range(2))
    before = dict(Staff.objects.values_list("pk", "book_changed_at"))
    held, release = threading.Event(), threading.Event()

    def holder():  # another transaction holds one advisor's row, as assign_advisor does, until released
        try:
            with transaction.atomic():
                Staff.objects.select_for_update().get(pk=held_advisor.pk)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        moved = services.touch_books(staff_ids=[held_advisor.pk, free_advisor.pk])  # returns without waiting
    finally:
        release.set()
        thread.join(10)
    assert moved == 1
    after = dict(Staff.objects.values_list("pk", "book_changed_at"))
    assert after[held_advisor.pk] == before[held_advisor.pk] and after[free_advisor.pk] != before[free_advisor.pk]


def test_two_managers_swapping_customers_between_two_advisors_do_not_deadlock(reference_data, monkeypatch):
    cs = office("CS")
    managers = [StaffFactory(role=Role.OFFICE_MANAGER, office=cs, with_user=True) for _ in range(2)]
    a, b = (StaffFactory(role=Role.WEALTH_ADVISOR, office=cs) for _ in range(2))
    of_a, of_b = CustomerFactory(advisor=a, office=cs), CustomerFactory(advisor=b, office=cs)
    slowed(monkeypatch, services, "active_capacity_policy")  # both hold their new advisor's row meanwhile
    results = run_together(
        lambda: services.assign_advisor(customer=of_a, advisor=b, actor=managers[0].user),
        lambda: services.assign_advisor(customer=of_b, advisor=a, actor=managers[1].user),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Customer.objects.get(pk=of_a.pk).advisor_id == b.pk and Customer.objects.get(pk=of_b.pk).advisor_id == a.pk
