"""The customer import's opt-out columns (campaigns, issue 21): marketing_consent and do_not_contact are optional
columns — a file with them sets the flags, a file without them leaves the recorded flags alone."""
import pytest

from customers.imports.engine import import_file
from customers.models import Customer, Role
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.tests.test_import import CUST_HEADER, csv_bytes, customer_row, errors_of

pytestmark = pytest.mark.django_db
HEADER = CUST_HEADER + ",marketing_consent,do_not_contact"


@pytest.fixture
def advisor(db):
    return StaffFactory(staff_code="W001", role=Role.WEALTH_ADVISOR)


def flags(code):
    return tuple(Customer.objects.values_list("marketing_consent", "do_not_contact").get(customer_code=code))


def test_the_columns_set_the_flags_in_any_spelling(advisor):
    rows = [customer_row("N1") + ",1,0", customer_row("N2") + ",否,是", customer_row("N3") + ",Yes,no"]
    result = import_file("customers", csv_bytes(HEADER, *rows))
    assert result.errors == [] and result.inserted == 3
    assert flags("N1") == (True, False) and flags("N2") == (False, True) and flags("N3") == (True, False)


def test_a_file_without_the_columns_keeps_the_recorded_flags(advisor):
    CustomerFactory(customer_code="A1", advisor=advisor, marketing_consent=True, do_not_contact=True)
    result = import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1"), customer_row("N1")))
    assert result.errors == [] and (result.inserted, result.updated) == (1, 1)
    assert flags("A1") == (True, True)  # untouched
    assert flags("N1") == (False, False)  # a new customer: no consent until the back office records it


def test_a_bad_flag_is_reported_by_line_and_column(advisor):
    result = import_file("customers", csv_bytes(HEADER, customer_row("N1") + ",maybe,0",
                                                customer_row("N2") + ",1,"))
    assert errors_of(result) == [(2, "marketing_consent"), (3, "do_not_contact")]
    assert not Customer.objects.filter(customer_code__in=["N1", "N2"]).exists()
