"""Issue 20 in headless Chromium: the navbar keeps one line at 1440 px in English (it wrapped to three) and
collapses behind its button on a phone; on a 390 px screen the advisor dashboard leads with today's work and
the customer page with the contact actions; Chinese names in report tables do not break a character per line."""
import pytest

from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

from .browser import browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _nav_height(page):
    return page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")


def test_the_navbar_keeps_one_line_at_1440_and_collapses_on_a_phone(page, live_server):
    StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="bm_nav")  # most links
    log_in(page, live_server, "bm_nav")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    for width in (1440, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/customers/")
        brand = page.evaluate("document.querySelector('.navbar-brand').getBoundingClientRect().height")
        # one line: the bar is its padding plus one row of links, under twice the brand's own height
        assert _nav_height(page) < 2 * brand + 20, (width, _nav_height(page))
        assert page.get_by_role("link", name="Customers", exact=True).is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/customers/")
    assert page.locator(".navbar-toggler").is_visible()
    assert not page.get_by_role("link", name="Customers", exact=True).is_visible()  # folded away
    page.locator(".navbar-toggler").click()
    page.get_by_role("link", name="Customers", exact=True).wait_for(state="visible")


def test_a_phone_shows_today_first_and_the_contact_actions_first(page, live_server):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True, username="wa_phone")
    customer = CustomerFactory(advisor=wa, office=wa.office, customer_code="C20000001", name="张伟")
    TierFactory(customer=customer, star="4", total_assets=600_000)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "wa_phone")
    page.goto(f"{live_server.url}/workspace/advisor/")
    top = page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", "#h-today")
    assert top < page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", "#h-book")
    assert not page.locator("#customer-filters").is_visible()  # folded behind its button
    page.locator("[data-bs-target='#customer-filters']").click()
    page.locator("#customer-filters").wait_for(state="visible")
    page.goto(f"{live_server.url}/customers/C20000001/")
    actions = page.locator("#contact-actions")
    assert actions.is_visible()
    assert actions.bounding_box()["y"] < page.locator("#tier").bounding_box()["y"]
    page.set_viewport_size({"width": 1440, "height": 900})
    assert not actions.is_visible()  # a desk has the full contacts card beside the tier


def test_chinese_names_do_not_break_a_character_per_line(page, live_server):
    bm = StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="bm_zh")
    for i, name in enumerate(("欧阳建国", "司马光明", "诸葛文华")):
        advisor = StaffFactory(role=Role.WEALTH_ADVISOR, office=bm.office, name=name)
        TierFactory(customer=CustomerFactory(advisor=advisor, office=bm.office), star="4", total_assets=600_000)
    log_in(page, live_server, "bm_zh")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/workspace/manager/")
    # the coverage table's advisor cells hold "T00001 欧阳建国" on one line (they broke a character per line)
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#coverage td')).lineHeight)")
    for cell in page.locator("#coverage tbody tr td:first-child").all():
        assert cell.bounding_box()["height"] < 1.5 * line + 8, cell.inner_text()
