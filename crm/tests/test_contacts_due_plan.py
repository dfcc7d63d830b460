"""The advisor dashboard's "contacts due" panel reads the contact plan (Customer.next_contact_on), the same
schedule the contact_due alert fires on (issue 18, point 3): overdue = past the scheduled date."""
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.workspaces import selectors
from customers.models import CurrentTier, Customer, Role
from customers.scope import scope_for

DAY = date(2026, 3, 15)  # due soon = 15 .. 22 March


def planned(customer_of, advisor, next_on, star="4", **kw):
    c = customer_of(advisor, **kw)
    CurrentTier.objects.create(customer=c, star=star, as_of=DAY)
    Customer.objects.filter(pk=c.pk).update(next_contact_on=next_on, contact_cycle_months=1 if next_on else None)
    return c


def test_the_panel_reads_the_schedule(make_staff, customer_of):
    advisor, other = make_staff(Role.WEALTH_ADVISOR, "CS"), make_staff(Role.WEALTH_ADVISOR, "CS")
    late = planned(customer_of, advisor, DAY - timedelta(days=5))  # overdue
    today = planned(customer_of, advisor, DAY)  # due today: not overdue yet, due
    soon = planned(customer_of, advisor, DAY + timedelta(days=7))  # the 7th day: due
    planned(customer_of, advisor, DAY + timedelta(days=8))  # later: not listed
    planned(customer_of, advisor, None)  # not planned yet (never contacted): not listed, not "overdue"
    planned(customer_of, advisor, DAY - timedelta(days=9), closed_on=DAY - timedelta(days=30))  # closed
    planned(customer_of, other, DAY - timedelta(days=9))  # another book
    with CaptureQueriesContext(connection) as queries:
        result = selectors.contacts_due(scope_for(advisor.user), day=DAY)
    assert (result["overdue"], result["due"]) == (1, 2)
    assert [(r["code"], r["due_on"], r["overdue"]) for r in result["rows"]] == [
        (late.customer_code, DAY - timedelta(days=5), True), (today.customer_code, DAY, False),
        (soon.customer_code, DAY + timedelta(days=7), False)]
    assert len(queries) <= 3  # the scope's staff read, the counts, the list
    assert len(selectors.contacts_due(scope_for(advisor.user), day=DAY, limit=1)["rows"]) == 1
