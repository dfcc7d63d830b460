"""Pages and API lists run the same number of queries whatever the page size."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def manager_client(db, client_for):
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR)
    for i in range(120):
        wa = StaffFactory(role=Role.WEALTH_ADVISOR) if i % 40 == 0 else wa
        customer = CustomerFactory(advisor=wa, investment_advisor=ia if i % 3 == 0 else None)
        if i % 2:
            TierFactory(customer=customer, total_assets=1000 * i, star="3")
    return client_for(StaffFactory(role=Role.OFFICE_MANAGER, with_user=True))


@pytest.mark.parametrize(
    "small, large",
    [
        ("/customers/?per_page=25", "/customers/?per_page=100"),
        ("/customers/?per_page=25&ordering=-total_assets&star=3", "/customers/?per_page=100&ordering=-total_assets&star=3"),
        ("/api/customers/customers/?page_size=5", "/api/customers/customers/?page_size=120"),
    ],
)
def test_query_count_does_not_grow_with_page_size(manager_client, small, large):
    assert count_queries(manager_client, small) == count_queries(manager_client, large)


def test_customer_page_query_count_is_bounded(manager_client):
    """Every section (the panels of products, surveys and alerts included) reads a constant number of times:
    a customer with many contacts, positions and alerts costs the same queries as one with none."""
    from datetime import date, timedelta

    from django.utils import timezone

    from alerts.models import Alert
    from customers.models import Customer, Interaction, Snapshot

    bare, busy = Customer.objects.order_by("pk")[:2]
    now, today = timezone.now(), date(2026, 11, 26)
    for i in range(15):
        Interaction.objects.create(customer=busy, channel="phone", summary=f"call {i}", at=now - timedelta(days=i))
        Snapshot.objects.create(customer=busy, date=today - timedelta(days=30 * i), total_assets=1000 + i,
                                cash=1000 + i, securities_value=0, equity_fund_value=0, fixed_income_value=0,
                                reits_trust_value=0, other_product_value=0, margin_debt=0)
    for rule in ("large_outflow", "falling_trading", "birthday"):
        Alert.objects.create(customer=busy, rule=rule, level="yellow", evidence={"x": 1}, opened_at=now,
                             first_fired_on=today, last_fired_on=today)
    # The first view in a process also builds the catalogue's match context (kept until the catalogue
    # changes: products.selectors.current_match_context); the test counts views after it, in any test order.
    count_queries(manager_client, f"/customers/{bare.customer_code}/")
    bare_count = count_queries(manager_client, f"/customers/{bare.customer_code}/")
    assert count_queries(manager_client, f"/customers/{busy.customer_code}/") == bare_count
    assert bare_count <= 25
