"""Issue 20, what the pages say: star shares that add up, the same customer counts or the difference said,
labelled stars / stages / quadrants, the navbar and the narrow-screen order. Expected figures worked by hand."""
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import CurrentTier, Role
from customers.tests.factories import CustomerFactory


def tier(customer, star, stage="mature", quadrant="A", cev=0):
    return CurrentTier.objects.create(customer=customer, star=star, lifecycle_stage=stage, quadrant=quadrant,
                                      total_assets=Decimal(1000), cev=Decimal(cev), cpv=Decimal(0),
                                      as_of=date(2026, 11, 26))


@pytest.fixture
def book(make_staff, customer_of):
    """CS: three retail customers (5★ CEV 6,000, 3★ 3,000, 1★ 1,000), two institutions (platinum 300,
    prestige 700), one closed account and one open account without a tier."""
    a = make_staff(Role.WEALTH_ADVISOR, "CS")
    for star, cev in (("5", 6000), ("3", 3000), ("1", 1000)):
        tier(customer_of(a), star, cev=cev)
    for star, cev in (("platinum", 300), ("prestige", 700)):
        tier(customer_of(a, kind="institutional"), star, cev=cev)
    tier(customer_of(a, closed_on=date(2026, 10, 1)), "3", cev=50)  # closed: listed, not counted on the home
    customer_of(a)  # open, never tiered
    return a


def test_star_shares_add_up_to_100_within_each_kind_and_are_grouped(book, make_staff, client_for):
    page = client_for(make_staff(Role.OFFICE_MANAGER, "CS")).get("/workspace/manager/")
    rows = page.context["stars"]
    by = {r["star"]: r for r in rows}
    # retail: 3 customers, CEV 10,000; institutions: 2 customers, CEV 1,000
    assert by["5"]["customer_share"] == pytest.approx(1 / 3) and by["5"]["cev_share"] == pytest.approx(0.6)
    assert by["prestige"]["customer_share"] == pytest.approx(0.5) and by["prestige"]["cev_share"] == pytest.approx(0.7)
    for kind in ("retail", "institutional"):
        assert sum(r["customer_share"] for r in rows if r["kind"] == kind) == pytest.approx(1.0)
        assert sum(r["cev_share"] for r in rows if r["kind"] == kind) == pytest.approx(1.0)
    html = page.content.decode()
    assert html.index('data-kind="retail"') < html.index('data-star="5"') < html.index('data-kind="institutional"') \
        < html.index('data-star="platinum"')
    # the chart draws retail only: its bars add up to 100 % (33.3 + 33.3 + 33.3)
    assert page.context["chart"]["stars"]["labels"] == ["1★", "3★", "5★"]
    assert page.context["chart"]["stars"]["customers"] == [33.3, 33.3, 33.3]
    assert page.context["chart"]["stars"]["cev"] == [10.0, 30.0, 60.0]


def test_the_home_says_why_the_customer_list_counts_more(book, make_staff, client_for):
    client = client_for(make_staff(Role.OFFICE_MANAGER, "CS"))
    home = client.get("/workspace/manager/")
    # 7 customers in scope; the home counts the 5 open ones with a tier; 1 closed, 1 not yet tiered
    assert home.context["summary"]["customers"] == 5
    assert home.context["counts_explained"] == {"listed": 7, "closed": 1, "unranked": 1}
    assert client.get("/customers/").context["page"].paginator.count == 7
    assert "the customer list shows 7 customers: 1 closed, 1 not yet tiered" in home.content.decode()
    # the advisor's own dashboard says the same of the advisor's book
    dashboard = client_for(book).get("/workspace/advisor/").content.decode()
    assert "the customer list shows 7 customers: 1 closed, 1 not yet tiered" in dashboard


def test_filters_and_the_list_name_stars_stages_and_quadrants_in_chinese(book, client_for):
    client = client_for(book)
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/customers/").content.decode()
    for option in ('<option value="platinum">铂金</option>', '<option value="prestige">尊荣</option>',
                   '<option value="potential">潜在期</option>', '<option value="churned">消亡期</option>',
                   '<option value="5">5★</option>'):
        assert option in html, option
    assert ">platinum<" not in html and ">potential<" not in html
    assert "<td>铂金</td>" in html and "<td>5★</td>" in html  # the rows too


def test_the_customer_page_tells_one_story(book, make_staff, client_for):
    """The issue's customer: the explanation said "no survey answers, neutral values" while the panel showed a
    2020 answer. Now the run names the too-old answer and the panel marks it as not used; the quadrant letter
    is explained."""
    from customers.models import TieringPolicy, TierSnapshot
    from surveys import services

    customer = CustomerFactory(advisor=book, office=book.office)
    current = tier(customer, "4", quadrant="B", cev=9000)
    current.snapshot = TierSnapshot.objects.create(
        customer=customer, date=date(2026, 11, 26), policy=TieringPolicy.objects.order_by("pk").first(), star="4",
        quadrant="B", lifecycle_stage="mature", cev=9000, cpv=100, clv=9100, clv_top_share=0.15,
        neutral_inputs="satisfaction,loyalty", survey_stale_on=date(2020, 5, 10), survey_max_age=24)
    current.save(update_fields=["snapshot"])
    services.file_response(actor=make_staff(Role.OPERATIONS, "CS").user, data={
        "questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
        "outcome": "completed", "date": "2020-05-10",
        "answers": {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}})
    html = client_for(book).get(f"/customers/{customer.customer_code}/").content.decode()
    explanation = html[html.index('id="tier-explanation"'):]
    explanation = explanation[:explanation.index("</p>")]
    assert "2020-05-10" in explanation and "24 months" in explanation and "no survey answers yet" not in explanation
    panel = html[html.index('id="surveys-panel"'):]
    assert 'data-use="too_old"' in panel and "2020-05-10" in panel and "not used for the star" in panel
    assert 'data-quadrant="B"' in html
    assert "current value (CEV) high, potential value (CPV) low" in html


def test_the_navbar_collapses_below_1200_px_and_keeps_daily_pages_in_front(make_staff, client_for):
    html = client_for(make_staff(Role.BRANCH_MANAGER, "CS")).get("/customers/").content.decode()
    nav = html[html.index('<nav class="navbar'):html.index("</nav>")]
    assert "navbar-expand-xl" in nav and 'data-bs-target="#nav"' in nav
    # the managers' pages sit in one "Manage" menu, the user's own links in the user menu
    manage = nav[nav.index("Manage"):]
    assert manage.index("Tier report") < manage.index("Audit log") < manage.index("dropdown-menu-end")
    assert nav.index("Customers") < nav.index("Manage")
    assert 'translate="no">' in nav  # the username is data


def test_a_narrow_screen_gets_today_first_and_the_contact_actions_first(book, client_for):
    customer = CustomerFactory(advisor=book, office=book.office)
    client = client_for(book)
    page = client.get(f"/customers/{customer.customer_code}/").content.decode()
    actions = page.index('id="contact-actions"')
    assert 'class="d-lg-none card mb-3"' in page[actions - 40:actions + 10]
    assert actions < page.index('id="tier"')  # before the profile and the tier, where a phone shows it first
    dashboard = client.get("/workspace/advisor/").content.decode()
    assert 'class="today-first"' in dashboard and 'id="customer-filters"' in dashboard
    assert "collapse d-md-flex" in dashboard  # the filter bar folds behind its button below 768 px
    inbox = client.get("/alerts/").content.decode()
    assert 'id="alert-filters"' in inbox and 'data-bs-target="#alert-filters"' in inbox
    assert "collapse d-md-flex show" in client.get("/alerts/?level=red").content.decode()  # a filter in use stays open
