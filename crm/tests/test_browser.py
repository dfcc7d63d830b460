"""Real headless Chromium walks the main flows of the foundation as each kind of user."""
import re

import pytest

from customers.models import Interaction, Role, Snapshot
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory
from customers.tests.test_import import SNAP_HEADER, csv_bytes, snap

from .browser import browser, log_in, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture(autouse=True)
def chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default; the suite otherwise runs in English


@pytest.fixture
def book():
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True, username="wa1")
    other = StaffFactory(role=Role.WEALTH_ADVISOR)
    mine = CustomerFactory(customer_code="C00000001", name="张伟", advisor=wa)
    TierFactory(customer=mine, total_assets=1_234_567)
    CustomerFactory(customer_code="C00000002", name="李娜", advisor=other)
    return wa


def test_advisor_logs_in_finds_a_customer_and_logs_a_contact(page, live_server, book):
    log_in(page, live_server, "wa1")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.url.endswith("/workspace/today/")  # advisors land on today's list
    page.goto(f"{live_server.url}/customers/")
    assert "客户" in page.locator("h1").inner_text()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "C00000001" in rows.first.inner_text()
    assert "123.46万" in rows.first.inner_text()  # amounts in 万 in Chinese
    page.keyboard.press("/")  # keyboard: "/" jumps to the search box
    page.keyboard.type("C00000002")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("table tbody tr").first.inner_text().strip() == "没有符合条件的客户。"
    page.goto(f"{live_server.url}/customers/C00000001/")
    assert "138****5678" in page.content()
    page.get_by_role("button", name="查看").first.click()
    page.wait_for_selector("#phone-value:text('13812345678')")
    page.select_option("select[name=channel]", "phone")
    page.fill("#contact-form input[name=summary]", "季度回访")
    with page.expect_navigation():
        page.get_by_role("button", name="记录联系").click()
    assert "季度回访" in page.locator("table#contacts").inner_text()
    assert Interaction.objects.get().summary == "季度回访"
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_operations_upload_shows_errors_then_imports(page, live_server, tmp_path):
    StaffFactory(role=Role.OPERATIONS, with_user=True, username="ops1")
    CustomerFactory(customer_code="A1")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(SNAP_HEADER, snap(), snap("GHOST")))
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(SNAP_HEADER, snap()))
    log_in(page, live_server, "ops1")
    page.goto(f"{live_server.url}/customers/import/")
    page.select_option("select[name=dataset]", "snapshots")
    page.set_input_files("input[name=file]", str(bad))
    page.locator("input[type=submit]").click()
    page.wait_for_selector("table")
    assert "GHOST" in page.locator("table").inner_text()
    assert re.search(r"客户\s*不存在|不存在", page.locator("table").inner_text())
    assert Snapshot.objects.count() == 0
    page.goto(f"{live_server.url}/customers/import/")
    page.select_option("select[name=dataset]", "snapshots")
    page.set_input_files("input[name=file]", str(good))
    page.locator("input[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert Snapshot.objects.count() == 1
