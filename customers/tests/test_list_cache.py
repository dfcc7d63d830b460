"""An advisor's pages of their own customer list are served from the cache until their book changes
(customers.services.touch_books); office and branch lists are always read afresh."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.tests.test_workspaces import tier
from customers import services
from customers.models import Role


def view(client, **query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:list"), query)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def codes(html):
    return re.findall(r'href="/customers/([^/]+)/" data-row-link', html)


@pytest.fixture
def book(make_staff, customer_of):
    """An advisor with 30 customers: 10 of 5★, 20 of 3★."""
    advisor = make_staff(Role.WEALTH_ADVISOR)
    customers = [customer_of(advisor, customer_code=f"B{i:03d}") for i in range(30)]
    for i, c in enumerate(customers):
        tier(c, "5" if i < 10 else "3", "mature", "A", 1_000_000 + i, 10_000)
    return advisor, customers


def test_a_second_view_of_the_same_page_is_served_from_the_cache(book, client_for):
    advisor, customers = book
    client = client_for(advisor)
    first, cold = view(client, star="3", per_page="25")
    second, warm = view(client, star="3", per_page="25")
    assert codes(second) == codes(first) == [c.customer_code for c in customers[10:30]]
    # cached: the session, the user and the staff row (with the book's change mark) only
    assert warm == 3 < cold


def test_the_cached_page_keeps_its_count_and_pager(book, client_for):
    advisor, customers = book
    client = client_for(advisor)
    for _ in range(2):  # computed, then from the cache
        html, _n = view(client, per_page="25", page="2")
        assert codes(html) == [c.customer_code for c in customers[25:30]]
        assert "Page 2 of 2" in html and '<small class="text-muted">30</small>' in html
        assert "page=1" in html and "page=3" not in html  # "previous", no "next"


def test_each_query_and_page_has_its_own_entry(book, client_for):
    advisor, customers = book
    client = client_for(advisor)
    assert codes(view(client, star="5")[0]) == [c.customer_code for c in customers[:10]]
    assert codes(view(client, star="3", per_page="25")[0]) == [c.customer_code for c in customers[10:30]]
    assert codes(view(client, per_page="25")[0]) == [c.customer_code for c in customers[:25]]
    assert codes(view(client, per_page="25", page="2")[0]) == [c.customer_code for c in customers[25:30]]
    assert codes(view(client, star="3", ordering="-total_assets")[0])[0] == "B029"
    assert codes(view(client, star="5")[0]) == [c.customer_code for c in customers[:10]]


def test_reassigning_a_customer_shows_on_both_advisors_next_views(book, make_staff, client_for):
    advisor, customers = book
    other, manager = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.OFFICE_MANAGER)
    mine, theirs = client_for(advisor), client_for(other)
    assert "B000" in codes(view(mine)[0]) and codes(view(theirs)[0]) == []
    services.assign_advisor(customer=customers[0], advisor=other, actor=manager.user)
    assert "B000" not in codes(view(mine)[0])
    assert codes(view(theirs)[0]) == ["B000"]


def test_an_advisor_never_sees_another_advisors_copy(book, make_staff, client_for):
    advisor, _customers = book
    assert len(codes(view(client_for(advisor))[0])) == 30
    stranger = make_staff(Role.WEALTH_ADVISOR)  # same office, same query, empty book
    assert codes(view(client_for(stranger))[0]) == []


@pytest.mark.parametrize("role", [Role.OFFICE_MANAGER, Role.BRANCH_MANAGER])
def test_office_and_branch_lists_are_read_afresh(book, make_staff, client_for, role):
    client = client_for(make_staff(role))
    _html, first = view(client, star="3")
    _html, second = view(client, star="3")
    assert second == first > 3


def test_a_zero_lifetime_turns_the_cache_off(book, client_for, settings):
    settings.CUSTOMER_LIST_CACHE_SECONDS = 0
    client = client_for(book[0])
    assert view(client)[1] == view(client)[1] > 3


def test_a_bad_filter_value_is_reported_on_the_cached_view_too(book, client_for):
    advisor, _customers = book
    client = client_for(advisor)
    for _ in range(2):  # computed, then from the cache: the filter bar validates on every view
        html, _n = view(client, star="7", per_page="25")
        assert ('<div class="alert alert-danger py-1">Select a valid choice. 7 is not one of the available '
                'choices.') in html
        assert len(codes(html)) == 25  # the bad filter is left out, the rest of the query still applies


def test_an_investment_advisors_book_is_cached_and_follows_its_customers(make_staff, customer_of, client_for):
    from customers.models import CurrentTier

    advisor, investment_advisor = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.INVESTMENT_ADVISOR)
    served = customer_of(advisor, customer_code="I001", investment_advisor=investment_advisor)
    customer_of(advisor, customer_code="I002")  # the wealth advisor's alone
    tier(served, "3", "mature", "A", 500_000, 1_000)
    client = client_for(investment_advisor)
    html, _n = view(client)
    assert codes(html) == ["I001"] and "<td>3★</td>" in html
    assert view(client)[1] == 3  # from the cache
    CurrentTier.objects.filter(customer=served).update(star="4")  # as a publish does, then it moves the marks
    assert "<td>3★</td>" in view(client)[0]  # the mark has not moved yet: still the cached page
    services.touch_books(customer_ids=[served.pk])
    html, _n = view(client)
    assert codes(html) == ["I001"] and "<td>4★</td>" in html
