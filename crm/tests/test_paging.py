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
