"""Project-wide fixtures: staff members of each role with logins, and customers in their books."""
import pytest
from django.test import Client

from customers.tests.factories import CustomerFactory, StaffFactory, office


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the per-process cache would otherwise outlive the test's data."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def test_language():
    """Each test starts in the test settings' language: a request made in Chinese leaves its language active
    in the thread (the next request sets its own; a test asserting English messages would not)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def make_staff(db):
    """make_staff(role, office_code="CS") -> Staff linked to a user whose password is 'pw'."""

    def make(role, office_code="CS", **kwargs):
        return StaffFactory(role=role, office=office(office_code), with_user=True, **kwargs)

    return make


@pytest.fixture
def client_for():
    """client_for(staff) -> a Django test client logged in as that staff member."""

    def login(staff):
        client = Client()
        client.force_login(staff.user)
        return client

    return login


@pytest.fixture
def customer_of(db):
    def make(advisor, **kwargs):
        return CustomerFactory(advisor=advisor, office=advisor.office, **kwargs)

    return make


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests flush the database after each test, data migrations included: restore them."""
    import importlib

    from django.apps import apps

    for module in ("customers.migrations.0002_offices_and_capacity", "customers.migrations.0004_initial_tiering_policy",
                   "products.migrations.0002_shipped_data", "alerts.migrations.0002_initial_alert_policy",
                   "surveys.migrations.0002_questionnaires_and_policy"):
        importlib.import_module(module).forwards(apps, None)
