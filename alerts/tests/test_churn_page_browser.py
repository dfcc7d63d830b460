"""The churn model page in headless Chromium (issue 19): a branch manager finds it in the alert measures menu,
reads the backtest with its lift chart, and activates a version through the confirmation page; nothing on the
page breaks the Content-Security-Policy (the `page` fixture fails on any refusal: an inline style, a script)."""
import pytest

from alerts.models import ChurnModel
from crm.tests.browser import browser, log_in, page  # noqa: F401  (fixtures)
from customers.models import Role
from customers.tests.factories import StaffFactory, office

from .test_churn_page import churn_model

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_a_branch_manager_reads_the_backtest_and_activates_a_version(page, live_server, monkeypatch):
    from alerts import tasks

    monkeypatch.setattr(tasks.score_churn, "delay", lambda *args, **kwargs: None)  # the test models have no file
    StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True, username="bm_churn")
    churn_model(1, "active")
    churn_model(2)
    log_in(page, live_server, "bm_churn")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("button", name="Alert measures").or_(page.get_by_role("link", name="Alert measures")).click()
    page.get_by_role("link", name="Churn risk").click()
    page.wait_for_url("**/alerts/churn/")
    assert page.locator("#churn-lift polyline[data-line='model']").is_visible()
    page.goto(f"{live_server.url}/alerts/churn/?version=2")
    page.get_by_role("button", name="Activate v2…").click()
    page.get_by_role("button", name="Yes, activate v2").click()
    page.wait_for_url("**/alerts/churn/?version=2")
    assert page.get_by_text("Churn model v2 is now active").is_visible()
    assert ChurnModel.objects.get(version=2).status == "active"
    assert ChurnModel.objects.get(version=1).status == "retired"
