"""The advisor dashboard is served from the cache until its book changes (customers.services.touch_books),
the day ends or its next open alert falls overdue; every write to the book shows on the next view."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services as crm_services
from crm.tests.test_workspaces import alert, tier
from crm.workspaces import selectors
from customers import services
from customers.models import Customer, Role, Staff

URL = "/workspace/advisor/"


def view(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def figure(html, name):
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start:html.index("<", start)]


@pytest.fixture
def book(make_staff, customer_of):
    advisor = make_staff(Role.WEALTH_ADVISOR)
    customers = [customer_of(advisor) for _ in range(3)]
    for c in customers:
        tier(c, "5", "mature", "A", 1_000_000, 10_000)  # 5★ monthly
    # the contact plan (alerts.schedule) has all three past their next contact: overdue
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        next_contact_on=timezone.localdate() - timedelta(days=2), contact_cycle_months=1)
    return advisor, customers


def test_a_second_view_is_served_from_the_cache(book, client_for):
    advisor, _customers = book
    client = client_for(advisor)
    first, cold = view(client)
    second, warm = view(client)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # the layout's forms: a token per response
    assert token.sub("", second) == token.sub("", first)
    # the cached view reads only the session, the user and the staff row (with the book's change mark)
    assert warm == 3 < cold


def test_logging_a_contact_shows_on_the_next_view(book, client_for):
    advisor, customers = book
    client = client_for(advisor)
    assert figure(view(client)[0], "contacts-overdue") == "3"
    client.post(reverse("customers:log-interaction", args=[customers[0].customer_code]),
                {"channel": "phone", "summary": "call"})
    assert figure(view(client)[0], "contacts-overdue") == "2"


def test_an_alert_transition_shows_on_the_next_view(book, client_for):
    advisor, customers = book
    red = alert(customers[0], "red")
    client = client_for(advisor)
    assert figure(view(client)[0], "red") == "1"
    client.post(reverse("alerts:transition", args=[red.pk]), {"to": "dismissed", "note": "duplicate"})
    assert figure(view(client)[0], "red") == "0"


def test_reassigning_a_customer_changes_both_books(book, make_staff, client_for):
    advisor, customers = book
    other = make_staff(Role.WEALTH_ADVISOR)
    manager = make_staff(Role.OFFICE_MANAGER)
    mine, theirs = client_for(advisor), client_for(other)
    assert figure(view(mine)[0], "customers") == "3"
    assert figure(view(theirs)[0], "customers") == "0"
    services.assign_advisor(customer=customers[0], advisor=other, actor=manager.user)
    assert figure(view(mine)[0], "customers") == "2"
    assert figure(view(theirs)[0], "customers") == "1"


def test_a_finished_nightly_job_marks_every_book_once_it_has_committed(book, make_staff,
                                                                        django_capture_on_commit_callbacks):
    advisor, _customers = book
    bystander = make_staff(Role.OPERATIONS)
    before = dict(Staff.objects.values_list("pk", "book_changed_at"))
    with django_capture_on_commit_callbacks() as after_commit:
        run = crm_services.start_job("scan_alerts")
        crm_services.finish_job(run, counts={"alerts": 0})
    assert dict(Staff.objects.values_list("pk", "book_changed_at")) == before  # nothing before the commit
    for callback in after_commit:
        callback()
    after = dict(Staff.objects.values_list("pk", "book_changed_at"))
    assert after[advisor.pk] != before[advisor.pk] and after[bystander.pk] != before[bystander.pk]


def test_touch_books_marks_the_customers_advisors_only(make_staff, customer_of):
    advisor, investment_advisor, bystander = (make_staff(Role.WEALTH_ADVISOR), make_staff(Role.INVESTMENT_ADVISOR),
                                              make_staff(Role.WEALTH_ADVISOR))
    customer = customer_of(advisor, investment_advisor=investment_advisor)
    before = dict(Staff.objects.values_list("pk", "book_changed_at"))
    assert services.touch_books(customer_ids=[customer.pk]) == 2
    after = dict(Staff.objects.values_list("pk", "book_changed_at"))
    assert after[advisor.pk] != before[advisor.pk]
    assert after[investment_advisor.pk] != before[investment_advisor.pk]
    assert after[bystander.pk] == before[bystander.pk]
    assert services.touch_books(customer_ids=[]) == 0


def test_each_viewer_and_language_has_its_own_copy(book, make_staff, client_for):
    advisor, _customers = book
    client = client_for(advisor)
    client.cookies["django_language"] = "zh-hans"
    html, _n = view(client)
    assert figure(html, "customers") == "3" and "我的客户" in html and "My book" not in html
    stranger = make_staff(Role.WEALTH_ADVISOR)  # same office, empty book: never served the other's copy
    assert figure(view(client_for(stranger))[0], "customers") == "0"
    client.cookies["django_language"] = "en"
    html, _n = view(client)
    assert "My book" in html and "我的客户" not in html


def test_a_superuser_dashboard_is_never_cached(book, client_for):
    """A superuser sees the whole branch, which no single book mark follows."""
    advisor, customers = book
    advisor.user.is_superuser = True
    advisor.user.save()
    client = client_for(advisor)
    _html, cold = view(client)
    _html, again = view(client)
    assert again == cold > 3


def test_the_copy_lives_until_the_next_open_alert_falls_overdue(book):
    now = timezone.now()
    context = {"alert_counts": {"next_due": now + timedelta(seconds=90)}}
    assert selectors.dashboard_fresh_for(context, now=now) == 90
    context = {"alert_counts": {"next_due": now + timedelta(hours=5)}}
    assert selectors.dashboard_fresh_for(context, now=now) == 15 * 60  # at most a quarter of an hour
    assert selectors.dashboard_fresh_for({"alert_counts": {"next_due": None}}, now=now) == 15 * 60


def test_the_view_keeps_the_copy_until_the_next_alert_falls_overdue(book, client_for, monkeypatch):
    from crm.workspaces import views

    advisor, customers = book
    alert(customers[0], "red", due=timezone.now() + timedelta(seconds=120))
    timeouts = []
    real_set = views.cache.set
    monkeypatch.setattr(views.cache, "set", lambda key, value, timeout: timeouts.append(timeout) or
                        real_set(key, value, timeout))
    view(client_for(advisor))
    assert len(timeouts) == 1 and 100 <= timeouts[0] <= 120
