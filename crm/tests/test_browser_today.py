"""Real headless Chromium: an advisor logs in, lands on today's list and works the top three cards (acknowledge
the red alert, quick-log a contact on each); another advisor's customer never shows. The landing page is saved
as a screenshot."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from customers.models import Interaction, Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

from .browser import browser, log_in, page, screenshot  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _alert(customer, rule, level, evidence, due=None):
    now, day = timezone.now(), timezone.localdate()
    return Alert.objects.create(customer=customer, rule=rule, level=level, owner=customer.advisor, opened_at=now,
                                due_at=due, evidence=evidence, first_fired_on=day, last_fired_on=day)


@pytest.fixture
def day_book():
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True, username="wa_today")
    other = StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"))
    day = timezone.localdate()
    c = [CustomerFactory(customer_code=f"C3000000{i}", name=name, advisor=wa, office=wa.office)
         for i, name in enumerate(["王芳", "刘洋", "陈静", "赵磊"], start=1)]
    for customer, clv in zip(c, [2_000_000, 900_000, 300_000, 1_000]):
        TierFactory(customer=customer, star="4", lifecycle_stage="mature", total_assets=clv, clv=Decimal(clv))
    # value at risk: 1.8M (closing, red due now), 900k × 0.35, 300k × 0.2, 1k × 0.05: this order
    red = _alert(c[0], "closing_application", "red", {"filed_on": day.isoformat(), "kind": "close"},
                 due=timezone.now() + timedelta(minutes=30))
    _alert(c[1], "large_outflow", "yellow", {"date": day.isoformat(), "transfer_out": 300_000.0, "share": 0.33})
    _alert(c[2], "falling_trading", "yellow", {"ratio": 0.25})
    _alert(c[2], "contact_due", "reminder", {"due_on": (day - timedelta(days=20)).isoformat()})
    _alert(c[3], "contact_due", "reminder", {"due_on": (day - timedelta(days=2)).isoformat()})
    theirs = CustomerFactory(customer_code="C40000001", advisor=other, office=other.office)
    TierFactory(customer=theirs, star="5", total_assets=9_000_000, clv=Decimal(9_000_000))
    _alert(theirs, "closing_application", "red", {"filed_on": day.isoformat(), "kind": "close"},
           due=timezone.now() + timedelta(hours=1))
    return {"advisor": wa, "customers": c, "red": red}


def _cards(tab):
    return tab.locator("#today-cards > li[data-customer]")


def test_advisor_works_the_top_three_cards_of_the_day(page, live_server, day_book):
    customers, red = day_book["customers"], day_book["red"]
    log_in(page, live_server, "wa_today")
    assert page.url.endswith("/workspace/today/")
    codes = [_cards(page).nth(i).get_attribute("data-customer") for i in range(_cards(page).count())]
    assert codes == ["C30000001", "C30000002", "C30000003", "C30000004"]  # never C40000001 (another book)
    assert "C40000001" not in page.content()
    third = _cards(page).nth(2)
    assert "75 %" in third.locator("[data-rule=falling_trading]").inner_text()  # trading down 75 %, any language
    screenshot(page, "advisor-today")

    # 1. the red alert on the top card: acknowledged from the card, back on the list
    top = page.locator("#today-cards > li[data-customer=C30000001]")
    with page.expect_navigation():
        top.locator("[data-role=acknowledge] button").click()
    assert page.url.endswith("/workspace/today/")
    red.refresh_from_db()
    assert red.status == "acknowledged"

    # 2. a quick-logged contact on each of the top three cards, with the card's reasons as the summary
    for code, channel in (("C30000001", "visit"), ("C30000002", "phone"), ("C30000003", "wechat")):
        page.goto(f"{live_server.url}/workspace/today/")
        card = page.locator(f"#today-cards > li[data-customer={code}]")
        why = card.locator("[data-role=why]").inner_text().strip()
        form = card.locator("[data-role=quick-log]")
        form.locator("select[name=channel]").select_option(channel)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        logged = Interaction.objects.get(customer__customer_code=code)
        assert (logged.channel, logged.summary) == (channel, why[:200])

    # each worked card has left the list: the contact closed its work (alerts moved to contacted / resolved)
    page.goto(f"{live_server.url}/workspace/today/")
    codes = [_cards(page).nth(i).get_attribute("data-customer") for i in range(_cards(page).count())]
    assert codes == ["C30000004"]
    red.refresh_from_db()
    assert red.status == "contacted"
