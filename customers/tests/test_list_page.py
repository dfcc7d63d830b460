"""The customer list page: rows built in one pass (escaped), a stable order across pages, and the count
taken from the current tiers when only tier filters are active."""
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse

from customers import selectors
from customers.filters import CustomerFilter
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office


def rows_of(client, language="zh-hans", **query):
    client.cookies["django_language"] = language  # zh-hans: the default language of the site (tests run in English)
    return client.get(reverse("customers:list"), query)


def test_rows_show_every_column_and_escape_what_customers_typed(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True, name="王顾问")
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, name="李投顾")
    customer = CustomerFactory(customer_code="X1", name='<script>alert("x")</script>', advisor=wa,
                               investment_advisor=ia, risk_level="C4")
    TierFactory(customer=customer, star="4", lifecycle_stage="mature", quadrant="B",
                total_assets=Decimal("1234567"), clv=Decimal("8900"))
    html = rows_of(client_for(wa)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # zh (the default): 1,234,567 -> 123.46万; 8,900 stays below 万
    assert ('<td class="num">123.46万</td><td>4★</td><td>成熟期</td><td>B</td><td class="num">8,900</td>'
            in html)
    assert '<td>王顾问 / 李投顾</td><td>C4</td>' in html
    assert 'href="/customers/X1/" data-row-link>X1</a>' in html
    # en: amounts with separators, no 万; the stage's English name
    html = rows_of(client_for(wa), language="en").content.decode()
    assert ('<td class="num">1,234,567</td><td>4★</td><td>mature</td><td>B</td><td class="num">8,900</td>'
            in html)


def test_each_row_names_its_own_office_and_advisors(db, client_for):
    """The office and the advisors are read apart from the rows (selectors.name_list_rows): each row gets
    its own, and a missing advisor is a dash."""
    a = StaffFactory(name="甲顾问")
    b = StaffFactory(name="乙顾问", office=office("HY"))
    ia = StaffFactory(role=Role.INVESTMENT_ADVISOR, name="丙投顾")
    CustomerFactory(customer_code="R1", name="一号", advisor=a)
    CustomerFactory(customer_code="R2", name="二号", advisor=b, investment_advisor=ia, office=office("HY"))
    CustomerFactory(customer_code="R3", name="三号", advisor=None, office=office("HY"))
    html = rows_of(client_for(StaffFactory(role=Role.BRANCH_MANAGER, with_user=True))).content.decode()
    assert ">R1</a></td><td>一号</td><td>CS</td><td>甲顾问</td>" in html
    assert ">R2</a></td><td>二号</td><td>HY</td><td>乙顾问 / 丙投顾</td>" in html
    assert ">R3</a></td><td>三号</td><td>HY</td><td>—</td>" in html


def test_a_customer_without_a_tier_shows_dashes(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    CustomerFactory(customer_code="N1", advisor=wa)
    html = rows_of(client_for(wa)).content.decode()
    assert '<td class="num">—</td><td>—</td><td>—</td><td>—</td><td class="num">—</td>' in html


def test_no_match_says_so(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    assert "没有符合条件的客户。" in rows_of(client_for(wa), q="nobody").content.decode()


def test_sorting_by_a_column_with_ties_pages_through_every_customer_once(db, client_for):
    import random

    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    codes = [f"T{i:03d}" for i in range(60)]
    random.Random(7).shuffle(codes)  # stored out of code order, so only the tie-break can give code order
    for code in codes:  # 60 customers, all 3★: the star sort is one big tie
        TierFactory(customer=CustomerFactory(customer_code=code, advisor=wa), star="3")
    client = client_for(wa)
    seen = []
    for page in (1, 2):
        response = rows_of(client, ordering="star", per_page=25, page=page)
        seen += [r["customer_code"] for r in response.context["page"]]
    seen += [r["customer_code"] for r in rows_of(client, ordering="star", per_page=25, page=3).context["page"]]
    # ties broken by the code: 25 + 25 + 10, in code order, none twice
    assert seen == [f"T{i:03d}" for i in range(60)]


def _count_queryset(user, query):
    filterset = CustomerFilter(QueryDict(query), queryset=selectors.visible_customers_by_code(user))
    return selectors.list_count_queryset(user, filterset), filterset


@pytest.fixture
def branch(db):
    """Two advisors: A with 3 customers (2 in decline), B with 2 (1 in decline); one customer without a tier."""
    a = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    b = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    manager = StaffFactory(role=Role.BRANCH_MANAGER, with_user=True)
    for advisor, stages in ((a, ("decline", "decline", "growth")), (b, ("decline", "mature"))):
        for stage in stages:
            TierFactory(customer=CustomerFactory(advisor=advisor), lifecycle_stage=stage, star="3",
                        total_assets=Decimal("100000"))
    CustomerFactory(advisor=a)  # not classified yet: no tier
    return a, b, manager


def test_tier_only_filters_count_the_current_tiers_within_the_scope(branch):
    a, _b, manager = branch
    counted, filterset = _count_queryset(manager.user, "lifecycle_stage=decline&ordering=-clv")
    assert counted.model.__name__ == "CurrentTier"
    assert counted.count() == filterset.qs.count() == 3  # 2 of A + 1 of B
    counted, filterset = _count_queryset(a.user, "lifecycle_stage=decline&min_assets=50000")
    assert counted.model.__name__ == "CurrentTier"
    assert counted.count() == filterset.qs.count() == 2  # A's book only


def test_other_filters_and_no_filter_count_the_customers(branch):
    a, _b, manager = branch
    counted, _f = _count_queryset(manager.user, "")
    assert counted.model.__name__ == "Customer" and counted.count() == 6  # the untiered customer too
    counted, _f = _count_queryset(manager.user, f"lifecycle_stage=decline&advisor={a.staff_code}")
    assert counted.model.__name__ == "Customer" and counted.count() == 2
    counted, _f = _count_queryset(manager.user, "lifecycle_stage=nonsense")  # invalid: the filterset's own answer
    assert counted.model.__name__ == "Customer"


def test_every_tier_filter_has_an_index_of_its_own_to_count_with():
    """A branch-wide count filtered on one tier column reads that column's own index (deduplicated, a few
    pages per value; the two-column sort indexes took three times as long to count)."""
    from customers.models import CurrentTier

    tier_columns = {f.field_name.removeprefix("tier__") for f in CustomerFilter.base_filters.values()
                    if getattr(f, "field_name", "").startswith("tier__") and not f.method}
    own_indexes = {index.fields[0] for index in CurrentTier._meta.indexes if len(index.fields) == 1}
    assert tier_columns == {"star", "stp_subtype", "lifecycle_stage", "quadrant", "total_assets"}
    assert tier_columns <= own_indexes


def test_the_page_shows_the_count(branch, client_for):
    _a, _b, manager = branch
    response = rows_of(client_for(manager), lifecycle_stage="decline")
    assert response.context["page"].paginator.count == 3
    assert len(response.context["page"].object_list) == 3


def test_the_filter_bar_keeps_the_current_choices_and_escapes_what_was_typed(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    html = rows_of(client_for(wa), star="4", office='"><b>x').content.decode()
    assert '<option value="4" selected>4★</option>' in html and '<option value="3">3★</option>' in html
    # the empty option names the field (the bar has no visible labels)
    assert '<select class="form-select" name="star" id="id_star" title="星级"><option value="">星级</option>' in html
    assert 'value="&quot;&gt;&lt;b&gt;x"' in html and '"><b>x' not in html
