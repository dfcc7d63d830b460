"""Pages: inbox (red first, overdue marked, filters, quick actions), alert page, measures, thresholds, the
customer-page panel — each within the user's data scope, with a constant number of queries."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import Alert, AlertPolicy
from crm.models import AuditEvent
from crm.tests.policy_forms import posted
from customers.models import Application, DailyActivity

from .conftest import DAY, act


@pytest.fixture
def book(advisor, make_customer, make_alert):
    """The advisor's alerts: a yellow one, an overdue yellow one and a red one."""
    a, b, c = make_customer(), make_customer(), make_customer()
    yellow = make_alert(a)
    late = make_alert(b, rule="falling_trading", due_at=timezone.now() - timedelta(hours=1),
                      evidence={"recent_trades": 1, "baseline_trades": 12, "monthly_average": 4.0, "ratio": 0.25})
    red = make_alert(c, rule="closing_application", level="red", evidence={"filed_on": "2026-11-25", "kind": "close"})
    return {"yellow": yellow, "late": late, "red": red}


def test_inbox_red_first_overdue_marked(book, advisor, client_for):
    response = client_for(advisor).get(reverse("alerts:inbox"))
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows[0] == book["red"]  # red first, then the earliest due
    assert rows[1] == book["late"]
    html = response.content.decode()
    assert html.count('class="table-danger"') == 1 and "overdue" in html
    assert "80,000" in html  # the evidence shows in the row


def test_inbox_filters_share_the_api_filterset(book, advisor, client_for):
    client = client_for(advisor)
    page = client.get(reverse("alerts:inbox"), {"level": "red"})
    assert list(page.context["page"]) == [book["red"]]
    page = client.get(reverse("alerts:inbox"), {"overdue": "true"})
    assert list(page.context["page"]) == [book["late"]]
    services.transition(alert_id=book["yellow"].pk, actor=advisor.user, to="dismissed", note="dup")
    assert book["yellow"] not in list(client.get(reverse("alerts:inbox")).context["page"])  # active by default
    assert list(client.get(reverse("alerts:inbox"), {"status": "dismissed"}).context["page"]) == [book["yellow"]]


def test_inbox_shows_only_the_advisors_alerts(book, make_staff, make_customer, make_alert, client_for):
    other = make_staff("wealth_advisor")
    theirs = make_alert(make_customer(owner=other))
    page = client_for(other).get(reverse("alerts:inbox"))
    assert list(page.context["page"]) == [theirs]
    manager = make_staff("office_manager")
    assert len(client_for(manager).get(reverse("alerts:inbox")).context["page"]) == 4  # the whole office
    far = make_staff("office_manager", office_code="HY")
    assert len(client_for(far).get(reverse("alerts:inbox")).context["page"]) == 0


def test_inbox_queries_do_not_grow_with_rows(advisor, make_customer, make_alert, client_for,
                                             django_assert_max_num_queries):
    client = client_for(advisor)
    make_alert(make_customer())
    client.get(reverse("alerts:inbox"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("alerts:inbox"))
    for _ in range(20):
        make_alert(make_customer(), rule="falling_trading")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("alerts:inbox"))
    assert len(response.context["page"]) == 21


def test_quick_acknowledge_from_the_inbox(book, advisor, client_for):
    client = client_for(advisor)
    url = reverse("alerts:transition", args=[book["late"].pk])
    response = client.post(url, {"to": "acknowledged", "next": reverse("alerts:inbox")})
    assert response.status_code == 302 and response["Location"] == reverse("alerts:inbox")
    book["late"].refresh_from_db()
    assert book["late"].status == "acknowledged"


def test_alert_page_evidence_history_and_illegal_step(book, advisor, client_for):
    client = client_for(advisor)
    alert = book["yellow"]
    page = client.get(reverse("alerts:detail", args=[alert.pk]))
    html = page.content.decode()
    assert "Transfer-out" in html and "80,000" in html and "40.0%" in html
    response = client.post(reverse("alerts:transition", args=[alert.pk]), {"to": "resolved", "outcome": "lost"},
                           follow=True)
    assert "cannot become Resolved" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"
    client.post(reverse("alerts:transition", args=[alert.pk]), {"to": "contacted", "channel": "visit",
                                                                 "note": "met at the counter"})
    html = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "met at the counter" in html and "Contacted" in html  # the status label, not its code


def test_another_advisors_alert_is_404(book, make_staff, client_for):
    stranger = client_for(make_staff("wealth_advisor"))
    alert = book["yellow"]
    assert stranger.get(reverse("alerts:detail", args=[alert.pk])).status_code == 404
    assert stranger.post(reverse("alerts:transition", args=[alert.pk]), {"to": "acknowledged"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_alert_page_queries_are_constant(book, advisor, client_for, django_assert_max_num_queries):
    client = client_for(advisor)
    alert = book["yellow"]
    client.get(reverse("alerts:detail", args=[alert.pk]))
    with django_assert_max_num_queries(8):
        client.get(reverse("alerts:detail", args=[alert.pk]))
    for note in ("a", "b"):
        pass
    services.transition(alert_id=alert.pk, actor=advisor.user, to="acknowledged", note="one")
    services.transition(alert_id=alert.pk, actor=advisor.user, to="contacted", channel="sms", note="two")
    with django_assert_max_num_queries(8):
        client.get(reverse("alerts:detail", args=[alert.pk]))


def test_export_is_scoped_and_audited(book, advisor, make_staff, client_for):
    response = client_for(advisor).get(reverse("alerts:export", args=["csv"]))
    body = response.content.decode("utf-8-sig")
    assert body.count("\n") == 4  # header + 3 alerts
    assert AuditEvent.objects.filter(action="export", object_type="alerts").exists()
    other = client_for(make_staff("wealth_advisor")).get(reverse("alerts:export", args=["xlsx"]))
    assert other.status_code == 200 and other["Content-Type"].startswith("application/vnd.openxmlformats")


def test_page_renders_in_chinese(book, advisor, client_for):
    client = client_for(advisor)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("alerts:inbox")).content.decode()
    assert "预警" in html and "转销户申请" in html and "逾期" in html


def test_evidence_codes_read_as_words_in_both_languages(advisor, make_customer, make_alert, client_for):
    """What an alert stores as a code (an application's kind, a P&L move's direction, a stage) is shown in the
    reader's words."""
    closing = make_alert(make_customer(), rule="closing_application", level="red",
                         evidence={"filed_on": "2026-11-25", "kind": "transfer_out"})
    pnl = make_alert(make_customer(), rule="pnl_threshold",
                     evidence={"pnl": -30000.0, "start_assets": 100000.0, "ratio": -0.3, "direction": "loss"})
    decline = make_alert(make_customer(), rule="lifecycle_decline",
                         evidence={"stage": "decline", "as_of": "2026-11-20", "total_assets": 50000.0})
    client = client_for(advisor)

    def evidence(alert, language):
        client.cookies["django_language"] = language
        html = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    assert "Kind Transfer out" in evidence(closing, "en") and "transfer_out" not in evidence(closing, "en")
    assert "Direction Loss" in evidence(pnl, "en")
    assert "Stage decline" in evidence(decline, "en")  # the stage's English name is its code
    zh = evidence(decline, "zh-hans")
    assert "衰退期" in zh and "decline" not in zh
    assert "亏损" in evidence(pnl, "zh-hans") and "转户" in evidence(closing, "zh-hans")


def test_customer_panel_lists_active_alerts(book, advisor, client_for, django_assert_max_num_queries):
    client = client_for(advisor)
    customer = book["red"].customer
    html = client.get(reverse("customers:detail", args=[customer.customer_code])).content.decode()
    assert "Closing / transfer application" in html and "Active alerts" in html
    from alerts.panels import customer_panel
    from customers.scope import scope_for

    class Request:
        user = advisor.user

    scope_for(advisor.user)
    with django_assert_max_num_queries(1):
        panel = customer_panel(Request, customer, scope_for(advisor.user))
    assert [a.pk for a in panel["alerts"]] == [book["red"].pk]


# -- manager pages -------------------------------------------------------------------------------
def test_advisors_cannot_open_manager_pages(advisor, client_for):
    client = client_for(advisor)
    assert client.get(reverse("alerts:measures")).status_code == 403
    assert client.get(reverse("alerts:policy")).status_code == 403


def test_measures_hand_worked(make_staff, make_customer, make_alert, client_for, advisor):
    """Two large-outflow warnings: A churned 10 days after its warning, B did not. A third customer C churned
    with no warning. A's 100,000 left; B's alert resolved with 20,000 returned, its 100,000 left too.
    Precision(large outflow) = churned / (churned + false positives) = 1 / 1: B's 90-day window is still open on
    the report's last day and no advisor judged it not a risk, so it is pending; missed churn = 1 of 2 churned (C); recovery = 20k / 200k = 10 %."""
    manager = make_staff("office_manager")
    a, b, c = make_customer(), make_customer(), make_customer()
    fired = DAY - timedelta(days=30)
    make_alert(a, first_fired_on=fired, last_fired_on=fired, opened_at=timezone.now())
    alert_b = make_alert(b, first_fired_on=fired, last_fired_on=fired)
    act(a, fired, transfer_out=100_000)
    act(b, fired, transfer_out=100_000)
    a.closed_on = fired + timedelta(days=10)
    a.save()
    Application.objects.create(customer=c, filed_on=DAY - timedelta(days=5), kind="close", status="accepted")
    user = advisor.user
    services.transition(alert_id=alert_b.pk, actor=user, to="contacted", channel="phone")
    services.transition(alert_id=alert_b.pk, actor=user, to="resolved", outcome="funds_returned", amount="20000")
    client = client_for(manager)
    response = client.get(reverse("alerts:measures"), {"from": (DAY - timedelta(days=60)).isoformat(),
                                                       "to": DAY.isoformat()})
    result = response.context["result"]
    precision = result["tables"]["precision"]
    assert precision.loc["Large outflow"].to_dict() == {"warned": 2, "churned": 1, "not_a_risk": 0, "pending": 1,
                                                        "precision": 1.0}
    assert result["missed"] == {"churned": 2, "missed": 1, "share": 0.5}
    assert result["recovery"] == {"returned": 20_000.0, "left": 200_000.0, "rate": 0.1}
    assert result["tables"]["outcomes"]["count"].to_dict() == {"Funds returned": 1}
    html = response.content.decode()
    assert "chart-rules" in html and "chart.umd.min.js" in html
    export = client.get(reverse("alerts:measures"), {"export": "precision", "format": "csv",
                                                     "from": (DAY - timedelta(days=60)).isoformat(),
                                                     "to": DAY.isoformat()})
    assert "Large outflow,2,1,0,1,100.0%" in export.content.decode("utf-8-sig")  # precision 1 of 1, as a percentage
    far = client_for(make_staff("office_manager", office_code="HY"))
    assert far.get(reverse("alerts:measures")).context["result"]["count"] == 0  # another office's alerts


def test_measures_queries_are_constant(make_staff, make_customer, make_alert, client_for,
                                       django_assert_max_num_queries):
    manager = client_for(make_staff("office_manager"))
    for _ in range(3):
        make_alert(make_customer())
    manager.get(reverse("alerts:measures"))
    with django_assert_max_num_queries(12):
        manager.get(reverse("alerts:measures"))
    for _ in range(15):
        make_alert(make_customer(), rule="birthday", level="reminder")
    with django_assert_max_num_queries(12):
        manager.get(reverse("alerts:measures"))


def test_branch_manager_edits_thresholds(make_staff, client_for):
    bm = client_for(make_staff("branch_manager", office_code="ZS"))
    form = bm.get(reverse("alerts:policy")).context["form"]
    data = posted(form)
    data["outflow_amount"] = 80_000
    data["note"] = "tighter outflow"
    data["holidays__0"] = "2026-10-01"  # a blank row filled in adds a holiday
    data["working_weekdays__4"] = ""  # Friday's row left blank removes it
    data["contact_months__3"] = ""  # no contact plan for 3★
    response = bm.post(reverse("alerts:policy"), data)
    assert response.status_code == 302
    active = AlertPolicy.objects.get(status="active")
    assert active.version == 2 and active.params["outflow_amount"] == 80_000
    assert active.params["holidays"] == ["2026-10-01"]
    assert active.params["working_weekdays"] == [0, 1, 2, 3]
    assert active.params["contact_months"] == {"4": 1, "5": 1}
    page = bm.get(reverse("alerts:policy")).content.decode()
    # the history names what v2 changed by label, old → new, lists and mappings as words
    assert "Transfer-out of at least: 100,000 → <strong>80,000</strong>" in page
    assert "Holidays: — → <strong>2026-10-01</strong>" in page
    assert "Working weekdays: Monday, Tuesday, Wednesday, Thursday, Friday → <strong>Monday, Tuesday, Wednesday, " \
           "Thursday</strong>" in page
    data["holidays__0"] = "2026-13-01"
    data["outflow_share"] = 3
    page = bm.post(reverse("alerts:policy"), data)
    errors = page.context["form"].errors
    assert page.status_code == 200 and set(errors) == {"holidays", "outflow_share"}
    assert errors["holidays"] == ["Row 1: enter a date as YYYY-MM-DD"]
    assert errors["outflow_share"] == ["between 0 and 1"]
    assert AlertPolicy.objects.count() == 2  # nothing half-written
    office = client_for(make_staff("office_manager"))
    assert office.get(reverse("alerts:policy")).status_code == 200  # may read
    assert office.post(reverse("alerts:policy"), data).status_code == 403


def test_branch_manager_runs_the_scan_now(make_staff, client_for, make_customer, make_alert):
    from crm.models import JobRun

    bm = client_for(make_staff("branch_manager", office_code="ZS"))
    response = bm.post(reverse("alerts:run"))  # tasks run eagerly in tests
    assert response.status_code == 302
    assert JobRun.objects.get(job="scan_alerts").status == "succeeded"
    assert client_for(make_staff("office_manager")).post(reverse("alerts:run")).status_code == 403


def test_run_now_reports_an_unreachable_queue(make_staff, client_for, monkeypatch):
    from kombu.exceptions import OperationalError

    from alerts import tasks

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.scan_alerts, "apply_async", down)
    bm = client_for(make_staff("branch_manager", office_code="ZS"))
    response = bm.post(reverse("alerts:run"), follow=True)
    assert "The job queue is unreachable" in response.content.decode()


def test_operations_can_file_questionnaire_w_from_a_warning(book, make_staff, advisor, client_for):
    ops = client_for(make_staff("operations"))
    html = ops.get(reverse("alerts:detail", args=[book["red"].pk])).content.decode()
    assert reverse("surveys:file", args=["W"]) + f"?customer={book['red'].customer.customer_code}" in html
    assert reverse("surveys:file", args=["W"]) not in client_for(advisor).get(
        reverse("alerts:detail", args=[book["red"].pk])).content.decode()
