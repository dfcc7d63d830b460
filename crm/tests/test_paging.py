"""crm.paging.paged: the page size is one of the offered sizes whatever the query says."""
import pytest
from django.http import QueryDict
from django.test import RequestFactory

from crm.paging import paged


@pytest.mark.parametrize("query, per_page, page_number", [
    ("", 50, 1), ("per_page=25&page=3", 25, 3), ("per_page=7", 50, 1), ("per_page=abc", 50, 1),
    ("per_page=200&page=999", 200, 2),  # past the end: the last page (250 rows / 200)
    ("per_page=-1&page=x", 50, 1),
])
def test_page_size_and_number_from_the_query(query, per_page, page_number):
    out = paged(RequestFactory().get("/list/?" + query + "&star=5"), list(range(250)))
    assert (out["per_page"], out["page"].number) == (per_page, page_number)
    kept = QueryDict(out["query"])
    assert "page" not in kept and kept["star"] == "5"  # the pager adds its own page number


@pytest.fixture
def office_codes(db):
    """The seven shipped offices, in code order: a small list to page through with its total on every row."""
    from customers.models import Office

    return Office.objects.order_by("code").values("code")


@pytest.mark.parametrize("query, page_number, rows", [
    ("per_page=25&page=1", 1, 7), ("per_page=25&page=abc", 1, 7),
    ("per_page=25&page=9", 1, 7),  # past the end: the last page, here the first
])
def test_the_total_carried_by_the_rows_gives_the_same_pages(office_codes, query, page_number, rows,
                                                            django_assert_num_queries):
    total = office_codes.count()
    assert total == 7
    request = RequestFactory().get("/list/?" + query)
    # one query when the page holds rows; a page past the end also counts, then reads the last page
    with django_assert_num_queries(1 if "page=9" not in query else 3):
        out = paged(request, office_codes, total_with_rows=True)
        listed = [r["code"] for r in out["page"]]
    assert out["page"].number == page_number and out["page"].paginator.count == total
    assert listed == [r["code"] for r in office_codes][:rows]


def test_the_total_carried_by_the_rows_on_an_empty_list(office_codes, django_assert_num_queries):
    with django_assert_num_queries(2):  # the empty page, then the count
        out = paged(RequestFactory().get("/list/?page=3"), office_codes.filter(code="none"),
                    total_with_rows=True)
    assert out["page"].number == 1 and out["page"].paginator.count == 0 and list(out["page"]) == []


@pytest.fixture
def thirty_customers(db):
    from customers.models import Customer
    from customers.tests.factories import CustomerFactory

    for i in range(30):
        CustomerFactory(customer_code=f"P{i:02d}")
    return Customer.objects.order_by("customer_code").values("customer_code")


@pytest.mark.parametrize("page, number, first, rows, queries", [
    ("2", 2, "P25", 5, 1),
    ("9", 2, "P25", 5, 3),  # past the end: counted, then the last page
    ("99999999999999999999", 2, "P25", 5, 3),  # beyond SQL's integers too: no error, the last page
    ("0", 1, "P00", 25, 1),
])
def test_the_total_carried_by_the_rows_on_later_pages(thirty_customers, page, number, first, rows, queries,
                                                      django_assert_num_queries):
    with django_assert_num_queries(queries):
        out = paged(RequestFactory().get(f"/list/?per_page=25&page={page}"), thirty_customers, total_with_rows=True)
        listed = [r["customer_code"] for r in out["page"]]
    assert out["page"].number == number and out["page"].paginator.count == 30
    assert out["page"].paginator.num_pages == 2 and len(listed) == rows and listed[0] == first


@pytest.mark.parametrize("ordering", [
    ("-tier__total_assets", "customer_code"), ("tier__total_assets", "customer_code"), ("-name", "customer_code")])
def test_a_small_list_keeps_its_order_nulls_included(db, ordering, django_assert_num_queries):
    """The counted-along page sorts on expressions no index provides (so that PostgreSQL reads the small list
    and sorts it): the order must be the plain one, customers without a tier (NULL assets) included."""
    from customers.models import Customer
    from customers.tests.factories import CustomerFactory, TierFactory

    assets = [500, None, 20, 500, None, 7, 1000, 20]
    for i, amount in enumerate(assets):
        customer = CustomerFactory(customer_code=f"N{i}", name=f"name {i % 3}")
        if amount is not None:
            TierFactory(customer=customer, total_assets=amount)
    rows = Customer.objects.filter(customer_code__startswith="N").order_by(*ordering).values(
        "customer_code", "tier__total_assets")
    expected = [r["customer_code"] for r in rows]
    with django_assert_num_queries(1):
        first = paged(RequestFactory().get("/list/?per_page=25"), rows, total_with_rows=True)["page"]
        listed = [r["customer_code"] for r in first]
    assert listed == expected and first.paginator.count == len(assets)
    if ordering[0] == "tier__total_assets":  # ascending: hand-sorted, ties by code; NULLs where the database puts them
        known = ["N5", "N2", "N7", "N0", "N3", "N6"]
        assert [c for c in listed if c not in ("N1", "N4")] == known
