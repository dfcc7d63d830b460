"""Real headless Chromium (issue 20): the policy editors and the Job runs page fit a 1440 px wide window (no
sideways scrolling), in Chinese, with no Content-Security-Policy refusal; a list row filled in on the alert
thresholds page is saved as a holiday."""
import pytest
from django.utils import timezone

from alerts.models import AlertPolicy
from crm.models import JobRun
from customers.models import Role
from customers.tests.factories import StaffFactory, office

from .browser import browser, log_in, page, screenshot  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

WIDTH = 1440


def _wide_runs():
    """Runs with the longest counts the jobs write: every office, every rule, a preview, a rejected import."""
    now = timezone.now()
    offices = {code: 1000 + i for i, code in enumerate(["ZS", "CS", "XS", "HY", "XT", "YY", "ZZ"])}
    rules = {r: 100 + i for i, r in enumerate(["large_outflow", "falling_trading", "pnl_threshold",
                                               "assets_elsewhere", "closing_application", "lifecycle_decline",
                                               "id_expiry", "ipo_payment", "rights_payment", "margin_ratio",
                                               "debt_maturity", "assessment_expiry", "birthday", "contact_due"])}
    JobRun.objects.create(job="survey_sampling", params={"month": "2026-11-01", "seed": None},
                          counts={"month": "2026-11-01", "items": offices}, status="succeeded", finished_at=now)
    JobRun.objects.create(job="scan_alerts", params={"date": "2026-11-26", "policy_version": 1},
                          counts={"fired": 106000, "suppressed": 0, "updated": 5, "opened": 106000, "lapsed": 0,
                                  "contact_plan_changed": 78000, "by_rule": rules}, status="succeeded",
                          finished_at=now)
    JobRun.objects.create(job="reclassify", params={"date": "2026-11-26", "policy_id": 1, "policy_version": 1,
                                                     "chunks": [[i * 50000 + 1, (i + 1) * 50000] for i in range(5)],
                                                     "data_start": "2025-07-29"},
                          counts={"customers": 220000, "changes": 1234, "star_changes": 321, "notifications": 600,
                                  "previous_run": "2026-11-25", "policy_version": 1, "chunks": 5},
                          status="succeeded", finished_at=now)
    JobRun.objects.create(job="import_backoffice", params={"dataset": "snapshots",
                                                            "file": "snapshots-2026-11-26-full-branch-export.csv"},
                          counts={"rows": 220000, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 3,
                                  "errors": 3}, status="rejected", finished_at=now,
                          error="line 12: total_assets: not a number " * 8)


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_policy_pages_and_job_runs_fit_1440_px(page, live_server):
    StaffFactory(role=Role.BRANCH_MANAGER, office=office("ZS"), with_user=True, username="bm_policies")
    _wide_runs()
    page.set_viewport_size({"width": WIDTH, "height": 900})
    log_in(page, live_server, "bm_policies")
    for path, name in (("/jobs/", "job-runs"), ("/customers/tiering/policy/new/", "tiering-policy-new"),
                       ("/alerts/policy/", "alert-policy"), ("/surveys/policy/", "survey-policy"),
                       ("/surveys/questionnaires/S2020/new/", "questionnaire-new"),
                       ("/customers/capacity/", "capacity"), ("/workspace/manager/targets/", "kpi-targets")):
        page.goto(f"{live_server.url}{path}")
        assert _fits(page) <= WIDTH, (path, _fits(page))
        screenshot(page, f"policies-{name}")


def test_a_holiday_row_filled_in_the_browser_is_saved(page, live_server):
    StaffFactory(role=Role.BRANCH_MANAGER, office=office("ZS"), with_user=True, username="bm_holiday")
    log_in(page, live_server, "bm_holiday")
    page.goto(f"{live_server.url}/alerts/policy/")
    page.fill("#id_holidays__0", "2026-10-01")
    page.fill("#id_note", "National Day")
    with page.expect_navigation():
        page.click("#policy-form button.btn-primary")
    active = AlertPolicy.objects.get(status="active")
    assert active.params["holidays"] == ["2026-10-01"] and active.note == "National Day"
