"""Issue 22 part 3: the customers file carries each permission's opening date (`margin:2021-03-04;star_market`);
flags and dates always agree, and a code named without a date keeps the date already recorded."""
import pytest

from customers.imports.engine import import_file
from customers.models import Customer
from customers.tests.test_import import CUST_HEADER, book, csv_bytes, customer_row, errors_of  # noqa: F401


def held(code):
    c = Customer.objects.get(customer_code=code)
    return c.permissions, c.permission_dates


def test_new_customer_gets_the_dates_given_and_null_for_a_code_without_one(book):  # noqa: F811
    result = import_file("customers", csv_bytes(CUST_HEADER, customer_row(perms="star_market;margin:2021-03-04")))
    assert result.errors == [] and result.inserted == 1
    # Stored in the codes' fixed order (margin is bit 0), whatever the file's order.
    assert held("N1") == (["margin", "star_market"], {"margin": "2021-03-04", "star_market": None})


def test_a_code_without_a_date_keeps_the_recorded_date_and_a_dropped_code_drops_its_date(book):  # noqa: F811
    import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1", perms="margin:2021-03-04;neeq:2022-01-05")))
    assert held("A1") == (["margin", "neeq"], {"margin": "2021-03-04", "neeq": "2022-01-05"})
    # margin named without a date: its recorded date stays; neeq is not named: flag and date go; options is new.
    later = import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1", perms="margin;options")))
    assert later.errors == [] and later.updated == 1
    assert held("A1") == (["margin", "options"], {"margin": "2021-03-04", "options": None})
    # A date given replaces the recorded one.
    import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1", perms="margin:2023-07-08;options")))
    assert held("A1") == (["margin", "options"], {"margin": "2023-07-08", "options": None})
    # Dropping every permission drops every date.
    import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1", perms="")))
    assert held("A1") == ([], {})


def test_reimporting_the_same_permissions_and_dates_changes_nothing(book):  # noqa: F811
    data = csv_bytes(CUST_HEADER, customer_row(perms="margin:2021-03-04;star_market"),
                     customer_row("A1", perms="hk_connect"))
    first = import_file("customers", data)
    assert (first.inserted, first.updated) == (1, 1)
    again = import_file("customers", data)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    "perms, message",
    [
        ("margin:2021-02-30", "the opening date of margin (2021-02-30) is not a plausible date in the form YYYY-MM-DD"),
        ("margin:04/03/2021", "the opening date of margin (04/03/2021) is not a plausible date in the form YYYY-MM-DD"),
        ("margin:1850-01-01", "the opening date of margin (1850-01-01) is not a plausible date in the form YYYY-MM-DD"),
        ("moon:2021-03-04;margin", "unknown permission(s): moon"),
        ("moon;options:2021-13-01", "unknown permission(s): moon; "
                                    "the opening date of options (2021-13-01) is not a plausible date in the form "
                                    "YYYY-MM-DD"),
    ],
    ids=["impossible-day", "not-iso", "implausible-year", "unknown-code", "both"],
)
def test_a_bad_date_or_unknown_code_is_an_error_on_the_line_naming_the_field(book, perms, message):  # noqa: F811
    result = import_file("customers", csv_bytes(CUST_HEADER, customer_row("A1", perms="margin:2020-01-01"),
                                                customer_row(perms=perms)))
    assert errors_of(result) == [(3, "permissions")]
    assert result.errors[0]["message"] == message and result.errors[0]["value"] == perms
    assert not result.written
    assert held("A1") == ([], {})  # the good line 2 was not written either
    assert not Customer.objects.filter(customer_code="N1").exists()
