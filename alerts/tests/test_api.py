"""/api/alerts/alerts/: fields per interfaces.md, filters, transitions with clear 400s, scope (404), queries."""
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import AlertTransition

URL = "/api/alerts/alerts/"


@pytest.fixture
def alerts(advisor, make_customer, make_alert):
    yellow = make_alert(make_customer())
    red = make_alert(make_customer(), rule="closing_application", level="red",
                     evidence={"filed_on": "2026-11-25", "kind": "close"})
    return yellow, red


def test_list_fields_and_order(alerts, advisor, client_for):
    yellow, red = alerts
    body = client_for(advisor).get(URL).json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["id"] == red.pk  # red first
    assert {"id", "customer_code", "rule", "level", "status", "evidence", "owner", "opened_at", "due_at"} <= set(first)
    assert first["customer_code"] == red.customer.customer_code and first["owner"] == advisor.staff_code
    assert first["evidence"] == {"filed_on": "2026-11-25", "kind": "close"} and first["status"] == "open"


@pytest.mark.parametrize("query,expected", [("rule=large_outflow", "yellow"), ("level=red", "red"),
                                            ("status=open", "both"), ("status=resolved", "none")])
def test_filters(alerts, advisor, client_for, query, expected):
    yellow, red = alerts
    ids = {r["id"] for r in client_for(advisor).get(f"{URL}?{query}").json()["results"]}
    assert ids == {"yellow": {yellow.pk}, "red": {red.pk}, "both": {yellow.pk, red.pk}, "none": set()}[expected]


def test_customer_filter(alerts, advisor, client_for):
    yellow, _red = alerts
    body = client_for(advisor).get(URL, {"customer": yellow.customer.customer_code}).json()
    assert [r["id"] for r in body["results"]] == [yellow.pk]


def test_transition_and_illegal_transition(alerts, advisor, client_for):
    yellow, _ = alerts
    client = client_for(advisor)
    url = f"{URL}{yellow.pk}/transition/"
    bad = client.post(url, {"to": "resolved", "outcome": "retained"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json() == {"to": ["An alert that is Open cannot become Resolved. "
                                 "Allowed next: Acknowledged, Contacted, Dismissed."]}
    unknown = client.post(url, {"to": "flying"}, content_type="application/json")
    assert unknown.status_code == 400 and "to" in unknown.json()
    ok = client.post(url, {"to": "contacted", "channel": "phone", "note": "called"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "contacted"
    missing = client.post(url, {"to": "resolved", "outcome": "funds_returned"}, content_type="application/json")
    assert missing.status_code == 400 and "amount" in missing.json()
    done = client.post(url, {"to": "resolved", "outcome": "funds_returned", "amount": "12345.60"},
                       content_type="application/json")
    assert done.json()["funds_returned"] == "12345.60" and done.json()["outcome"] == "funds_returned"
    assert AlertTransition.objects.filter(alert=yellow).count() == 2


def test_other_advisor_gets_404(alerts, make_staff, client_for):
    yellow, _ = alerts
    stranger = client_for(make_staff("wealth_advisor"))
    assert stranger.get(f"{URL}{yellow.pk}/").status_code == 404
    assert stranger.get(URL).json()["count"] == 0
    response = stranger.post(f"{URL}{yellow.pk}/transition/", {"to": "acknowledged"}, content_type="application/json")
    assert response.status_code == 404
    yellow.refresh_from_db()
    assert yellow.status == "open"


def test_compliance_reads_but_cannot_transition(alerts, make_staff, client_for):
    yellow, _ = alerts
    compliance = client_for(make_staff("compliance", office_code="ZS"))
    assert compliance.get(URL).json()["count"] == 2
    assert compliance.post(f"{URL}{yellow.pk}/transition/", {"to": "acknowledged"},
                           content_type="application/json").status_code == 403


def test_anonymous_is_refused(alerts, client):
    assert client.get(URL).status_code in (401, 403)


def test_list_queries_constant(advisor, make_customer, make_alert, client_for, django_assert_max_num_queries):
    client = client_for(advisor)
    make_alert(make_customer())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(25):
        make_alert(make_customer(), due_at=timezone.now() + timedelta(hours=2))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(URL).json()["count"] == 26
