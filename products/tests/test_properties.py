"""Property: no recommendation, panel, push list or export ever contains a product failing rules 1–3.

Random customers (risk level, assessment date around the 24-month edge, permissions, assets, tier),
random extra products (risk, required permissions, minimum, matrix row) and random manager overrides
(which may target any customer-product pair, including ones failing rules 1–3). The oracle below is
written independently of products.rules.
"""
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers import permissions
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office
from products import selectors
from products.models import PolicyKind, Product, ProductPolicy, ProductVersion, SuitabilityOverride

PERMS = ["margin", "options", "hk_connect", "star_market"]
STARS = ["", "1", "2", "3", "4", "5", "platinum", "diamond", "prestige"]

customer_st = st.fixed_dictionaries({
    "risk": st.sampled_from(["C1", "C2", "C3", "C4", "C5"]),
    "assessed_days": st.one_of(st.none(), st.integers(-3, 3), st.integers(-800, 800)),
    "perms": st.sets(st.sampled_from(PERMS)),
    "assets": st.sampled_from([0, 399_999, 400_000, 999_999, 1_000_000, 7_000_000]),
    "star": st.sampled_from(STARS),
    "subtype": st.sampled_from(["", "I", "II", "III", "IV", "V", "VI"]),
    "tier": st.booleans(),
})
product_st = st.fixed_dictionaries({
    "risk": st.sampled_from(["R1", "R2", "R3", "R4", "R5"]),
    "perms": st.sets(st.sampled_from(PERMS), max_size=2),
    "min": st.sampled_from([0, 400_000, 1_000_000]),
    "row": st.lists(st.integers(0, 1), min_size=15, max_size=15),
})
world_st = st.fixed_dictionaries({
    "customers": st.lists(customer_st, min_size=1, max_size=4),
    "products": st.lists(product_st, max_size=3),
    "overrides": st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100), st.booleans(), st.booleans()),
                          max_size=8),
    "push": st.integers(0, 100),
})


def two_years_before(today):
    try:
        return today.replace(year=today.year - 2)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 2, day=28)


def passes_hard_rules(customer, version, today):
    """Oracle for rules 1–3 (products.md), independent of products.rules."""
    c_level, p_level = int(customer.risk_level[1]), int(version.risk[1])
    if c_level < p_level:
        return False
    if p_level > 1:
        if customer.risk_assessed_on is None or customer.risk_assessed_on <= two_years_before(today):
            return False
    needed = set(permissions.to_codes(version.required_flags))
    return needed <= set(permissions.to_codes(customer.permission_flags))


def build(world, advisor, manager_user, today):
    customers = []
    for spec in world["customers"]:
        days = spec["assessed_days"]
        assessed = None if days is None else two_years_before(today) + timedelta(days=days)
        c = CustomerFactory(advisor=advisor, office=advisor.office, risk_level=spec["risk"], risk_assessed_on=assessed,
                            permission_flags=permissions.to_flags(spec["perms"]))
        if spec["tier"]:
            TierFactory(customer=c, star=spec["star"], stp_subtype=spec["subtype"], total_assets=spec["assets"])
        customers.append(c)
    policy = ProductPolicy.objects.get(kind=PolicyKind.ELIGIBILITY, status="active")
    data = policy.data
    for i, spec in enumerate(world["products"]):
        product = Product.objects.create(code=f"HX{i}")
        ProductVersion.objects.create(product=product, version=1, name_zh=f"产品{i}", name_en=f"Product {i}",
                                      category="wealth", risk=spec["risk"], min_investment=spec["min"],
                                      required_flags=permissions.to_flags(spec["perms"]))
        data["products"].append(product.code)
        data["rows"][product.code] = spec["row"]
    policy.data = data
    policy.save()
    products = list(Product.objects.order_by("id"))
    for ci, pi, waive_min, waive_matrix in world["overrides"]:
        SuitabilityOverride.objects.create(  # straight to the table: even a bad override must not leak 1–3
            customer=customers[ci % len(customers)], product=products[pi % len(products)],
            waive_min_investment=waive_min, waive_tier_matrix=waive_matrix, reason="hypothesis",
            created_by=manager_user)
    return customers, products


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(world=world_st)
def test_nothing_failing_rules_1_to_3_is_ever_offered(world):
    today = timezone.localdate()
    with transaction.atomic():
        advisor = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
        manager = StaffFactory(role=Role.BRANCH_MANAGER, office=office("ZS"), with_user=True)
        customers, products = build(world, advisor, manager.user, today)
        versions = {v.product.code: v for v in ProductVersion.objects.filter(is_current=True)
                    .select_related("product")}
        client = Client()
        client.force_login(advisor.user)
        for customer in customers:
            customer.refresh_from_db()
            body = client.get(f"/api/products/recommendations/{customer.customer_code}/").json()
            for code in body["matched"] + body["suggestions"]:
                assert passes_hard_rules(customer, versions[code], today), ("api", customer.customer_code, code)
            page = client.get(f"/customers/{customer.customer_code}/")
            panel = next(p for p in page.context["panels"] if p["template"] == "products/_customer_panel.html")
            for item in panel["matched"]:
                assert passes_hard_rules(customer, item["version"], today), ("panel", item["version"].product.code)
        by_pk = {c.pk: c for c in customers}
        product = products[world["push"] % len(products)]
        ctx = selectors.match_context(today)
        frame = selectors.push_list(manager.user, product.code, ctx)
        for cid in frame["id"]:
            if cid in by_pk:
                assert passes_hard_rules(by_pk[cid], versions[product.code], today), ("push", product.code, cid)
        # every product at once, the set-based way (matching report, precomputes)
        from customers.models import Customer
        from products import batch

        table = batch.reason_table(selectors.facts_frame(Customer.objects.filter(pk__in=by_pk)), ctx.catalogue,
                                   cutoff=ctx.cutoff, overrides=selectors.overrides_frame(today=today))
        for code in table.columns:
            for cid in table.index[table[code] == ""]:
                assert passes_hard_rules(by_pk[cid], versions[code], today), ("batch", code, cid)
        boss = Client()
        boss.force_login(manager.user)
        csv = boss.get(f"/products/p/{product.code}/push/?export=csv").content.decode("utf-8-sig").splitlines()[1:]
        codes = {c.customer_code: c for c in customers}
        for line in csv:
            code = line.split(",")[0]
            if code in codes:
                assert passes_hard_rules(codes[code], versions[product.code], today), ("export", product.code, code)
        transaction.set_rollback(True)
