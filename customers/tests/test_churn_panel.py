"""The learned churn risk on the customer page and in the API's customer detail (issue 19): the active model's
latest score in percent, the model version and the score's date, the top three reasons in words and the nightly
history as an inline SVG sparkline; null / a placeholder without one; a constant number of queries; the scope."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from alerts.churn.labels import reason_text
from alerts.models import ChurnModel, ChurnScore
from customers import selectors_360
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

REASONS = [("net_outflow_30", 0.9), ("days_since_contact", 0.5), ("satisfaction", 0.3), ("contacts_90", 0.1)]


def top_three():
    """The words alerts.churn.labels gives the three largest contributions (the fourth is left out)."""
    with translation.override("en"):
        return [reason_text(code) for code, _c in REASONS[:3]]


def churn_model(version=3, status="active", horizon=90):
    return ChurnModel.objects.create(version=version, status=status, algorithm="logistic", horizon_days=horizon,
                                     trained_at=timezone.now(), file=f"churn_models/v{version}.joblib")


def score(customer, model, days_ago, risk, reasons=()):
    return ChurnScore.objects.create(customer=customer, model=model, risk=risk,
                                     scored_on=timezone.localdate() - timedelta(days=days_ago),
                                     reasons=[{"feature": f, "contribution": c} for f, c in reasons])


@pytest.fixture
def advisor(db):
    return StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True)


@pytest.fixture
def customer(advisor):
    c = CustomerFactory(advisor=advisor, office=advisor.office)
    TierFactory(customer=c)
    return c


@pytest.fixture
def scored(customer):
    model = churn_model()
    score(customer, model, 10, 0.1)
    score(customer, model, 5, 0.5)
    score(customer, model, 0, 0.25, REASONS)
    return customer


def page(client, customer):
    with translation.override("en"):
        response = client.get(f"/customers/{customer.customer_code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    return re.search(r'<div class="card mb-3" id="churn-risk">.*?</div></div>', html, re.S).group(0)


def test_the_panel_shows_the_risk_the_model_the_date_and_three_reasons(scored, advisor, client_for):
    card = page(client_for(advisor), scored)
    today = timezone.localdate().isoformat()
    assert '<span class="fs-5" data-figure="churn-risk">25.0%</span> chance of leaving within 90 days' in card
    assert f"Churn model v3, scored on {today}." in card
    reasons = re.findall(r"<li>(.*?)</li>", card)
    assert reasons == top_three() and len(set(reasons)) == 3


def test_the_sparkline_draws_the_nightly_history_by_date():
    day = timezone.localdate()
    history = [(day - timedelta(days=10), 0.1), (day - timedelta(days=5), 0.5), (day, 0.25)]
    # x: 0, 5/10 and 10/10 of 160; y: (1 − risk) × 32 → 28.8, 16.0, 24.0
    assert selectors_360.sparkline(history) == "0.0,28.8 80.0,16.0 160.0,24.0"
    assert selectors_360.sparkline(history[:1]) == ""  # one night draws no line


def test_the_page_draws_the_sparkline(scored, advisor, client_for):
    card = page(client_for(advisor), scored)
    assert '<polyline points="0.0,28.8 80.0,16.0 160.0,24.0"' in card


def test_without_an_active_model_there_is_no_panel(customer, advisor, client_for):
    retired = churn_model(status="retired")
    score(customer, retired, 0, 0.8)
    with translation.override("en"):
        html = client_for(advisor).get(f"/customers/{customer.customer_code}/").content.decode()
    assert 'id="churn-risk"' not in html


def test_a_customer_the_active_model_has_not_scored_reads_so(customer, advisor, client_for):
    churn_model()
    card = page(client_for(advisor), customer)
    assert "Not scored by the churn model yet" in card and "data-figure" not in card


def test_the_api_detail_carries_the_risk_and_the_list_does_not_read_it(scored, advisor, client_for):
    client = client_for(advisor)
    body = client.get(f"/api/customers/customers/{scored.customer_code}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["churn_risk"] == {
        "risk": 0.25, "scored_on": timezone.localdate().isoformat(), "model_version": 3, "reasons": top_three()}
    listed = client.get("/api/customers/customers/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert [row["churn_risk"] for row in listed] == [None]


def test_the_api_detail_is_null_without_a_score(customer, advisor, client_for):
    churn_model()
    body = client_for(advisor).get(f"/api/customers/customers/{customer.customer_code}/").json()
    assert body["churn_risk"] is None


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_constant_number_of_queries_whatever_the_history(scored, advisor, client_for):
    bare = CustomerFactory(advisor=advisor, office=advisor.office)
    TierFactory(customer=bare)
    model = ChurnModel.objects.get(version=3)
    for days in range(11, 60):
        score(scored, model, days, 0.2, REASONS)
    client = client_for(advisor)
    client.get(f"/customers/{bare.customer_code}/")  # warm the session and the scope
    for prefix in ("/customers/", "/api/customers/customers/"):
        assert count(client, f"{prefix}{bare.customer_code}/") == count(client, f"{prefix}{scored.customer_code}/")


@pytest.mark.parametrize("role,shown", [
    (Role.WEALTH_ADVISOR, False),  # another advisor's customer: not found
    (Role.OFFICE_MANAGER, True), (Role.OPERATIONS, True), (Role.BRANCH_MANAGER, True), (Role.COMPLIANCE, True),
])
def test_whoever_sees_the_customer_sees_the_risk(scored, client_for, role, shown):
    viewer = StaffFactory(role=role, office=office("CS"), with_user=True)
    client = client_for(viewer)
    response = client.get(f"/customers/{scored.customer_code}/")
    api = client.get(f"/api/customers/customers/{scored.customer_code}/")
    if shown:
        assert response.status_code == 200 and 'data-figure="churn-risk"' in response.content.decode()
        assert api.json()["churn_risk"]["risk"] == 0.25
    else:
        assert response.status_code == 404 and api.status_code == 404


def test_an_office_manager_of_another_office_does_not_see_it(scored, client_for):
    other = StaffFactory(role=Role.OFFICE_MANAGER, office=office("ZS"), with_user=True)
    client = client_for(other)
    assert client.get(f"/customers/{scored.customer_code}/").status_code == 404
    assert client.get(f"/api/customers/customers/{scored.customer_code}/").status_code == 404
