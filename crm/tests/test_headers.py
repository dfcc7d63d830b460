"""Response headers of the trust boundary: a strict Content-Security-Policy on every page, and nothing Django
answers (pages, API, exports) kept by a browser or a proxy; static files keep their caching."""
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Role
from customers.tests.factories import CustomerFactory, TierFactory

STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.fixture
def advisor_with_customer(make_staff):
    advisor = make_staff(Role.WEALTH_ADVISOR)
    customer = CustomerFactory(customer_code="C00000001", advisor=advisor, office=advisor.office)
    TierFactory(customer=customer, star="4", total_assets=250_000)
    return advisor, customer


def test_customer_page_is_not_stored_and_has_the_strict_policy(advisor_with_customer, client_for):
    advisor, customer = advisor_with_customer
    response = client_for(advisor).get(reverse("customers:detail", args=[customer.customer_code]))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert policy(response) == STRICT_POLICY


def test_api_answer_is_not_stored(advisor_with_customer, client_for):
    advisor, customer = advisor_with_customer
    response = client_for(advisor).get(f"/api/customers/customers/{customer.customer_code}/")
    assert response.status_code == 200
    assert response.json()["customer_code"] == customer.customer_code
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_not_stored(advisor_with_customer, client_for, fmt):
    advisor, _customer = advisor_with_customer
    response = client_for(advisor).get(reverse("customers:export", args=[fmt]))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]


def test_login_redirect_and_login_page_carry_the_policy(db):
    client = Client()
    redirect = client.get("/customers/")
    assert redirect.status_code == 302 and "/accounts/login/" in redirect.headers["Location"]
    assert policy(redirect) == STRICT_POLICY
    login = client.get("/accounts/login/")
    assert policy(login) == STRICT_POLICY
    assert "no-store" in login.headers["Cache-Control"]


def test_static_files_keep_their_caching(db):
    response = Client().get("/static/js/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response.headers  # served by WhiteNoise before any view


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_api_documentation_alone_allows_its_inline_bootstrap(make_staff, client_for, name):
    """drf-spectacular's Swagger UI and Redoc pages start with an inline script and inject styles; only they
    get 'unsafe-inline' (and Redoc its blob: worker); everything else stays as strict."""
    client = client_for(make_staff(Role.BRANCH_MANAGER))
    response = client.get(reverse(name))
    assert response.status_code == 200
    docs = policy(response)
    assert docs["script-src"] == "'self' 'unsafe-inline'"
    assert docs["style-src"] == "'self' 'unsafe-inline'"
    assert docs["object-src"] == "'none'" and docs["frame-ancestors"] == "'none'"
    assert "no-store" in response.headers["Cache-Control"]
    schema = client.get(reverse("api-schema"))
    assert policy(schema) == STRICT_POLICY


def test_templates_have_no_inline_script_or_event_handler():
    """What the policy refuses, caught before a browser does: a <script> without src (json_script data blocks
    are not scripts) or an on…= attribute in any of our templates."""
    root = Path(__file__).resolve().parents[2] / "templates"
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    found = [(str(path.relative_to(root)), match.group(0))
             for path in root.rglob("*.html") for pattern in (inline_script, handler)
             for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
