"""API: catalogue and recommendations (interfaces.md format), data scope, constant queries."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Role


@pytest.fixture
def advisor(staff):
    return staff(Role.WEALTH_ADVISOR)


def test_recommendations_format_and_reasons(advisor, client_for, make_customer):
    # C4, 4★ II, margin only, 450,000 CNY: ASSET_PLAN (R5) fails rule 1, X_QIQUAN (R4, options, 4-I only)
    # fails rule 3, X_LIANGRONG (R4, margin, 4-I/4-II) matches.
    customer = make_customer(advisor, risk="C4", perms=["margin"], assets=450_000, star="4", subtype="II")
    body = client_for(advisor).get(f"/api/products/recommendations/{customer.customer_code}/").json()
    assert set(body) >= {"matched", "excluded"}
    why = {e["product"]: e for e in body["excluded"]}
    assert "X_LIANGRONG" in body["matched"]
    assert why["ASSET_PLAN"]["reason"] == "risk_level" and why["ASSET_PLAN"]["detail"].startswith("C4 < R5")
    assert why["X_QIQUAN"]["reason"] == "permission" and "Options" in why["X_QIQUAN"]["detail"]
    assert why["X_JIJIN"]["reason"] == "tier_matrix"  # X_JIJIN: 4★ only IV–VI
    assert len(body["matched"]) + len(body["excluded"]) == 25
    assert {e["reason"] for e in body["excluded"]} <= {"risk_level", "assessment_expired", "permission",
                                                       "min_investment", "tier_matrix"}


def test_expired_assessment_reason(advisor, client_for, make_customer):
    today = timezone.localdate()
    from products.rules import add_months

    customer = make_customer(advisor, risk="C5", assessed=add_months(today, -24), star="5", subtype="I")
    body = client_for(advisor).get(f"/api/products/recommendations/{customer.customer_code}/").json()
    reasons = {e["product"]: e["reason"] for e in body["excluded"]}
    # assessed exactly 24 months ago: the last valid day was yesterday -> everything above R1 blocked;
    # the catalogue has no R1 product, so nothing matches.
    assert body["matched"] == [] and set(reasons.values()) == {"assessment_expired"}
    fresh = make_customer(advisor, risk="C5", assessed=add_months(today, -24) + timedelta(days=1), star="5",
                          subtype="I")
    assert "GHDH" in client_for(advisor).get(f"/api/products/recommendations/{fresh.customer_code}/").json()[
        "matched"]


def test_recommendations_respect_data_scope(staff, client_for, make_customer):
    mine, other = staff(Role.WEALTH_ADVISOR), staff(Role.WEALTH_ADVISOR)
    far_manager = staff(Role.OFFICE_MANAGER, "HY")
    customer = make_customer(mine)
    url = f"/api/products/recommendations/{customer.customer_code}/"
    assert client_for(mine).get(url).status_code == 200
    assert client_for(other).get(url).status_code == 404
    assert client_for(far_manager).get(url).status_code == 404
    assert client_for(staff(Role.OFFICE_MANAGER, "CS")).get(url).status_code == 200
    assert client_for(staff(Role.COMPLIANCE, "ZS")).get(url).status_code == 200
    assert client_for(mine).get("/api/products/recommendations/NOPE/").status_code == 404
    from django.test import Client

    assert Client().get(url).status_code in (302, 401, 403)


def test_product_api_list_filter_detail_and_constant_queries(advisor, client_for):
    client = client_for(advisor)
    body = client.get("/api/products/products/").json()
    assert body["count"] == 25
    assert client.get("/api/products/products/?category=wealth").json()["count"] == 6
    # products.csv R5 rows: PRIVATE_FUND, ASSET_PLAN, REITS_TRUST, XINGUANJIA
    assert client.get("/api/products/products/?risk=R5").json()["count"] == 4
    detail = client.get("/api/products/products/X_LIANGRONG/").json()
    assert detail["required_permissions"] == ["margin"] and detail["risk"] == "R4" and detail["version"] == 1
    counts = []
    for size in (2, 25):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/products/products/?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
