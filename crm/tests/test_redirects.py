"""Finding 12 of the trust-boundary review: `products/overrides/<id>/revoke/` redirected to any `next=` URL — an
open redirect a phishing mail could start from our own host. Every `next=` goes through crm.redirects.safe_next."""
import pytest
from django.test import RequestFactory

from crm.redirects import safe_next
from customers.models import Role
from customers.tests.factories import CustomerFactory
from products.models import Product, SuitabilityOverride


@pytest.mark.parametrize("target, expected", [
    ("/customers/K1/", "/customers/K1/"),
    ("https://evil.example/login", "/products/overrides/"),
    ("//evil.example/", "/products/overrides/"),
    ("javascript:alert(1)", "/products/overrides/"),
    ("", "/products/overrides/"),
    ("0", "/products/overrides/"),  # not a URL name either (found by the form fuzz: NoReverseMatch, a 500)
    ("/\\evil.example/", "/products/overrides/"),
])
def test_safe_next_keeps_only_paths_of_this_site(target, expected):
    request = RequestFactory().post("/x/", {"next": target})
    assert safe_next(request, "products:overrides") == expected


def test_revoking_an_override_never_redirects_off_site(db, make_staff, client_for):
    manager = make_staff(Role.OFFICE_MANAGER)
    customer = CustomerFactory(office=manager.office)
    override = SuitabilityOverride.objects.create(
        customer=customer, product=Product.objects.order_by("pk").first(), waive_min_investment=True,
        reason="test", created_by=manager.user)
    response = client_for(manager).post(f"/products/overrides/{override.pk}/revoke/",
                                        {"next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == "/products/overrides/"
    override.refresh_from_db()
    assert override.revoked_at is not None
