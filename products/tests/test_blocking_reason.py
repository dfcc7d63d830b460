"""Issue 20: the customer page's products panel leads with the one reason that blocks them, and what to do."""
from datetime import date, timedelta

from django.urls import reverse

from customers.models import Role
from products import rules
from products.reasons import blocking


def _excluded(reason, detail, n):
    return [rules.Verdict(f"P{i}", reason, detail) for i in range(n)]


def test_an_expired_assessment_is_said_once_with_its_age_and_the_remedy():
    # assessed 2024-08-25, valid 24 months: expired on the anniversary 2026-08-25; on 2026-11-26 that is
    # 6 (rest of Aug) + 30 (Sep) + 31 (Oct) + 26 (Nov) = 93 days ago
    excluded = _excluded(rules.ASSESSMENT_EXPIRED, {"assessed_on": date(2024, 8, 25)}, 14)
    lead = blocking([], excluded, date(2026, 11, 26), 24)
    assert lead["reason"] == rules.ASSESSMENT_EXPIRED and lead["count"] == 14
    assert str(lead["text"]) == "The risk assessment expired 93 days ago (2026-08-25)."
    assert "Renew it" in str(lead["remedy"])


def test_an_expired_assessment_leads_even_when_r1_products_match():
    matched = [rules.Verdict("R1P", "", {})]
    excluded = _excluded(rules.ASSESSMENT_EXPIRED, {"assessed_on": None}, 3) + \
        _excluded(rules.TIER_MATRIX, {"column": "3"}, 5)
    lead = blocking(matched, excluded, date(2026, 11, 26), 24)
    assert lead["reason"] == rules.ASSESSMENT_EXPIRED and lead["count"] == 3
    assert str(lead["text"]) == "No risk assessment on file."


def test_without_a_match_the_most_common_reason_leads_and_with_matches_nothing_does():
    excluded = _excluded(rules.TIER_MATRIX, {"column": "2"}, 4) + _excluded(rules.RISK_LEVEL,
                                                                           {"customer": "C1", "product": "R3"}, 2)
    lead = blocking([], excluded, date(2026, 11, 26), 24)
    assert lead["reason"] == rules.TIER_MATRIX and lead["count"] == 4
    assert blocking([rules.Verdict("X", "", {})], excluded, date(2026, 11, 26), 24) is None
    assert blocking([rules.Verdict("X", "", {})], [], date(2026, 11, 26), 24) is None


def test_the_customer_page_leads_with_the_expired_assessment(staff, client_for, make_customer):
    from django.utils import timezone

    wa = staff(Role.WEALTH_ADVISOR)
    today = timezone.localdate()
    assessed = date(today.year - 3, today.month, min(today.day, 28))  # expired about a year ago, any day
    customer = make_customer(wa, risk="C5", star="4", subtype="I", assets=1_000_000, assessed=assessed)
    page = client_for(wa).get(reverse("customers:detail", args=[customer.customer_code])).content.decode()
    lead = page[page.index('id="products-blocking"'):]
    lead = lead[:lead.index("</div>")]
    assert 'data-reason="assessment_expired"' in lead
    expired = date(assessed.year + 2, assessed.month, assessed.day)  # the anniversary after 24 months
    assert f"expired {(today - expired).days} days ago ({expired.isoformat()})" in lead
    assert (today - expired).days >= 365 - 1
    assert "Renew it" in lead
    fresh = make_customer(wa, risk="C5", star="4", subtype="I", assets=1_000_000, assessed=today - timedelta(days=1))
    page = client_for(wa).get(reverse("customers:detail", args=[fresh.customer_code])).content.decode()
    assert 'data-reason="assessment_expired"' not in page[page.index('id="products-panel"'):]
