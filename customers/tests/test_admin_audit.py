"""Every role or assignment change from any path is audited with before and after (issue 17) — the Django admin
(superusers only) too: a superuser promoting a staff member or moving a customer leaves a record."""
from crm.models import AuditEvent
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, UserFactory, office


def _admin_client(client):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    return admin_user


def test_a_role_changed_in_the_admin_is_audited_with_before_and_after(db, client):
    admin_user = _admin_client(client)
    clerk = StaffFactory(role=Role.OPERATIONS, with_user=True)
    response = client.post(f"/admin/customers/staff/{clerk.pk}/change/", {
        "staff_code": clerk.staff_code, "name": clerk.name, "office": clerk.office_id, "role": Role.BRANCH_MANAGER,
        "grade": "", "username": clerk.username, "user": clerk.user_id, "is_active": "on"})
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="staff.role")
    assert event.actor == admin_user and event.object_id == str(clerk.pk)
    assert (event.detail["before"], event.detail["after"]) == ("operations", "branch_manager")


def test_a_customer_moved_in_the_admin_is_audited(db, client):
    _admin_client(client)
    first = StaffFactory(role=Role.WEALTH_ADVISOR)
    second = StaffFactory(role=Role.WEALTH_ADVISOR)
    customer = CustomerFactory(advisor=first, office=office("CS"))
    data = {f.name: getattr(customer, f.attname) for f in customer._meta.fields
            if f.name not in ("id", "id_number", "phone") and getattr(customer, f.attname) is not None}
    data["advisor"] = second.pk
    response = client.post(f"/admin/customers/customer/{customer.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    event = AuditEvent.objects.get(action="customer.assign")
    assert (event.detail["field"], event.detail["before"], event.detail["after"]) == ("advisor", first.pk, second.pk)
