"""Pages: every page in scope, manager-only writes, push list and export, customer panel, zh rendering, queries."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import AuditEvent
from customers.models import Role
from products.models import PolicyKind, ProductPolicy, ProductVersion, SuitabilityOverride


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


PAGES = ["products:catalogue", "products:matrix", "products:grades", "products:parameters", "products:overrides"]
MANAGER_PAGES = ["products:staffing", "products:matching"]


@pytest.mark.parametrize("role", [r for r, _ in Role.choices])
def test_pages_open_by_role(role, staff, client_for):
    client = client_for(staff(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("products:detail", args=["GHDH"])).status_code == 200
    assert client.get(reverse("products:push", args=["GHDH"])).status_code == 200
    expected = 200 if role in ("office_manager", "branch_manager", "compliance") else 403
    for name in MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == expected, name


@pytest.mark.parametrize("role", ["wealth_advisor", "investment_advisor", "operations", "office_manager",
                                  "compliance"])
def test_only_branch_managers_edit_catalogue_and_matrices(role, staff, client_for):
    client = client_for(staff(role))
    assert client.get(reverse("products:edit", args=["GHDH"])).status_code == 403
    assert client.post(reverse("products:edit", args=["GHDH"]), {"note": "x"}).status_code == 403
    assert client.post(reverse("products:retire", args=["GHDH"]), {"retired": "1"}).status_code == 403
    assert client.post(reverse("products:matrix"), {"note": "x"}).status_code == 403
    assert client.post(reverse("products:grades"), {"note": "x"}).status_code == 403
    assert client.post(reverse("products:parameters"), {"note": "x"}).status_code == 403
    assert ProductVersion.objects.count() == 25 and ProductPolicy.objects.count() == 3


def test_branch_manager_edits_product_with_history(staff, client_for):
    bm = client_for(staff(Role.BRANCH_MANAGER, "ZS"))
    form = bm.get(reverse("products:edit", args=["PRIVATE_FUND"])).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(min_investment="3000000", note="raise the minimum", permissions=[])
    response = bm.post(reverse("products:edit", args=["PRIVATE_FUND"]), data)
    assert response.status_code == 302
    versions = ProductVersion.objects.filter(product__code="PRIVATE_FUND").order_by("version")
    assert [(v.version, v.is_current, int(v.min_investment)) for v in versions] == [
        (1, False, 1_000_000), (2, True, 3_000_000)]
    page = bm.get(reverse("products:detail", args=["PRIVATE_FUND"])).content.decode()
    assert "raise the minimum" in page and "v1" in page and "v2" in page
    # a note longer than its column is a message, not a database error (a 500 on PostgreSQL), and no version
    refused = bm.post(reverse("products:retire", args=["PRIVATE_FUND"]), {"retired": "1", "note": "x" * 201},
                      follow=True)
    assert "At most 200 characters." in refused.content.decode()
    assert not ProductVersion.objects.get(product__code="PRIVATE_FUND", is_current=True).retired
    bm.post(reverse("products:retire", args=["PRIVATE_FUND"]), {"retired": "1", "note": "closed"})
    current = ProductVersion.objects.get(product__code="PRIVATE_FUND", is_current=True)
    assert current.version == 3 and current.retired
    assert ProductVersion.objects.filter(product__code="PRIVATE_FUND").count() == 3  # history kept
    assert list(AuditEvent.objects.filter(action__startswith="product.").values_list("action", flat=True)
                .order_by("id")) == ["product.edit", "product.retire"]


def test_branch_manager_edits_matrix_and_grades_as_new_versions(staff, client_for):
    bm = client_for(staff(Role.BRANCH_MANAGER, "ZS"))
    rows = ProductPolicy.objects.get(kind=PolicyKind.ELIGIBILITY).data
    post = {f"{code}|{col}": "1" for code in rows["products"] for col, v in zip(rows["columns"], rows["rows"][code])
            if v}
    post.pop("GHDH|1")  # untick 股海导航 for 1★
    post["note"] = "GHDH not for 1 star"
    bm.post(reverse("products:matrix"), post)
    active = ProductPolicy.objects.get(kind=PolicyKind.ELIGIBILITY, status="active")
    assert active.version == 2 and active.data["rows"]["GHDH"][0] == 0
    assert sum(map(sum, active.data["rows"].values())) == sum(map(sum, rows["rows"].values())) - 1
    assert ProductPolicy.objects.get(kind=PolicyKind.ELIGIBILITY, version=1).status == "retired"
    event = AuditEvent.objects.get(action="product_policy.eligibility")
    assert event.detail["changed"] == {"GHDH": ["1"]}
    grades = {f"grade|{c}": g for c, g in zip(*ProductPolicy.objects.get(kind="advisor_levels").data.values())}
    grades["grade|3"] = "senior"
    grades["grade|4-I"] = "wizard"
    grades["note"] = "typo"
    bm.post(reverse("products:grades"), grades)
    assert ProductPolicy.objects.filter(kind="advisor_levels").count() == 1  # refused whole, nothing written
    grades["grade|4-I"] = "senior"
    bm.post(reverse("products:grades"), grades)
    assert ProductPolicy.objects.get(kind="advisor_levels", status="active").data["grades"][2] == "senior"
    old = bm.get(reverse("products:matrix") + "?version=1")
    assert old.context["shown"].version == 1 and not old.context["can_edit"]


def test_push_list_scope_only_suitable_export_audited_and_constant_queries(staff, client_for, make_customer):
    wa, other = staff(Role.WEALTH_ADVISOR), staff(Role.WEALTH_ADVISOR)
    # PUBLIC_FUND: R4, matrix 2,3,4-I..III,5-I..III, no minimum
    ok = make_customer(wa, risk="C4", star="3")
    make_customer(wa, risk="C3", star="3")  # risk_level
    make_customer(wa, risk="C4", star="4", subtype="IV")  # tier_matrix
    make_customer(wa, risk="C4", star="3", assessed=None)  # assessment_expired
    theirs = make_customer(other, risk="C5", star="3")
    client = client_for(wa)
    url = reverse("products:push", args=["PUBLIC_FUND"])
    page = client.get(url)
    assert [r["customer_code"] for r in page.context["page"]] == [ok.customer_code]
    assert theirs.customer_code not in page.content.decode()
    csv = client.get(url + "?export=csv").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 2 and csv[1].startswith(ok.customer_code)
    assert AuditEvent.objects.filter(action="export", object_type="product_push", object_id="PUBLIC_FUND").count() == 1
    xlsx = client.get(url + "?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    bm = client_for(staff(Role.BRANCH_MANAGER, "ZS"))
    assert {r["customer_code"] for r in bm.get(url).context["page"]} == {ok.customer_code, theirs.customer_code}
    few = queries(bm, url)
    for _ in range(30):
        make_customer(wa, risk="C5", star="3")
    assert queries(bm, url) == few


def test_constant_queries_on_catalogue_overrides_staffing(staff, client_for, make_customer):
    om_staff = staff(Role.OFFICE_MANAGER)
    om = client_for(om_staff)
    wa, ia = staff(Role.WEALTH_ADVISOR), staff(Role.INVESTMENT_ADVISOR, grade="junior")
    from products import services
    from products.models import Product

    def add(n):
        for _ in range(n):
            c = make_customer(wa, star="4", subtype="I", investment_advisor=ia)
            services.create_override(user=om_staff.user, customer=c, product=Product.objects.get(code="ASSET_PLAN"),
                                     waive_min_investment=True, waive_tier_matrix=False, reason="vip")

    add(1)
    urls = [reverse("products:catalogue"), reverse("products:overrides"), reverse("products:staffing"),
            reverse("products:matching"), reverse("products:matrix")]
    before = [queries(om, u) for u in urls]
    add(12)
    assert [queries(om, u) for u in urls] == before


def test_customer_panel_lists_matches_and_reasons_in_words(staff, client_for, make_customer):
    wa = staff(Role.WEALTH_ADVISOR)
    customer = make_customer(wa, risk="C3", star="3", assets=50_000)
    page = client_for(wa).get(reverse("customers:detail", args=[customer.customer_code])).content.decode()
    assert 'id="products-panel"' in page
    assert "Stock Sea Navigator" in page  # GHDH matched, English name in English
    assert "C3 &lt; R5: the customer&#x27;s risk level is below the product&#x27;s" in page  # PRIVATE_FUND etc.
    assert "Save override" not in page  # advisors cannot override
    # the "not matched, and why" table: one row per product the customer may not be sold, name in English
    rows = re.findall(r'<tr><td>([^<]*)</td><td>(R\d)</td><td data-reason="([a-z_]+)">([^<]*)</td></tr>', page)
    assert ("Private funds", "R5", "risk_level",
            "C3 &lt; R5: the customer&#x27;s risk level is below the product&#x27;s") in rows
    from products.selectors import recommendations_for
    assert len(rows) == len(recommendations_for(customer)["excluded"]) > 1


def test_customer_page_in_chinese(staff, client_for, make_customer):
    wa = staff(Role.WEALTH_ADVISOR)
    customer = make_customer(wa, risk="C3", star="3", perms=[])
    client = client_for(wa)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("customers:detail", args=[customer.customer_code])).content.decode()
    assert "股海导航" in page and "适配产品" in page
    assert "风险等级低于产品" in page
    catalogue = client.get(reverse("products:catalogue")).content.decode()
    assert "产品目录" in catalogue and "Product catalogue" not in catalogue


def test_manager_override_from_customer_page(staff, client_for, make_customer):
    om_staff = staff(Role.OFFICE_MANAGER)
    wa = staff(Role.WEALTH_ADVISOR)
    customer = make_customer(wa, risk="C5", star="3", assets=10)  # ASSET_PLAN: min 400k + only 4-I/5-I
    far = make_customer(staff(Role.WEALTH_ADVISOR, "HY"), risk="C5")
    om = client_for(om_staff)
    page = om.get(reverse("customers:detail", args=[customer.customer_code])).content.decode()
    assert "Save override" in page
    data = {"product": "ASSET_PLAN", "waive_min_investment": "on", "waive_tier_matrix": "on", "reason": "family"}
    om.post(reverse("products:override-create", args=[customer.customer_code]), data)
    rec = client_for(wa).get(f"/api/products/recommendations/{customer.customer_code}/").json()
    assert "ASSET_PLAN" in rec["matched"] and rec["overridden"] == ["ASSET_PLAN"]
    assert AuditEvent.objects.filter(action="suitability_override.create").count() == 1
    assert om.post(reverse("products:override-create", args=[far.customer_code]), data).status_code == 404
    for role in ("wealth_advisor", "operations", "compliance"):
        other = client_for(staff(role, "ZS" if role == "compliance" else "CS"))
        assert other.post(reverse("products:override-create", args=[customer.customer_code]),
                          data).status_code in (403, 404)
    assert SuitabilityOverride.objects.count() == 1
    override = SuitabilityOverride.objects.get()
    assert client_for(wa).post(reverse("products:override-revoke", args=[override.pk])).status_code == 403
    om.post(reverse("products:override-revoke", args=[override.pk]))
    rec = client_for(wa).get(f"/api/products/recommendations/{customer.customer_code}/").json()
    assert "ASSET_PLAN" not in rec["matched"]


def test_customer_panel_adds_few_constant_queries(staff, client_for, make_customer, monkeypatch):
    import products.panels

    om_staff = staff(Role.OFFICE_MANAGER)
    om = client_for(om_staff)
    customer = make_customer(staff(Role.WEALTH_ADVISOR), risk="C5", star="5", subtype="I")
    url = reverse("customers:detail", args=[customer.customer_code])
    with_panel = queries(om, url)
    from products import services
    from products.models import Product

    for code in ("PRIVATE_FUND", "ASSET_PLAN", "REITS_TRUST"):
        services.create_override(user=om_staff.user, customer=customer, product=Product.objects.get(code=code),
                                 waive_min_investment=True, waive_tier_matrix=True, reason="r")
    assert queries(om, url) == with_panel  # overrides shown without extra queries
    monkeypatch.setattr(products.panels, "customer_panel", lambda *args: None)
    # policies, catalogue, latest snapshot, overrides
    assert with_panel - queries(om, url) <= 4


def _snap(customer, day, securities=0, equity=0, fixed=0, reits=0, other=0, cash=0):
    from customers.models import Snapshot

    total = securities + equity + fixed + reits + other + cash
    Snapshot.objects.create(customer=customer, date=day, total_assets=total, securities_value=securities,
                            equity_fund_value=equity, fixed_income_value=fixed, reits_trust_value=reits,
                            other_product_value=other, cash=cash, margin_debt=0)


def test_concentration_page_flags_and_suggests_in_scope(staff, client_for, make_customer):
    from datetime import date

    wa, other = staff(Role.WEALTH_ADVISOR), staff(Role.WEALTH_ADVISOR)
    heavy = make_customer(wa, risk="C3", star="3", assets=100)
    _snap(heavy, date(2026, 9, 30), fixed=100)  # older snapshot: balanced, ignored
    _snap(heavy, date(2026, 10, 31), securities=80, fixed=20, cash=900)  # cash left out: 80 % securities, R4
    balanced = make_customer(wa, risk="C3", star="3")
    _snap(balanced, date(2026, 10, 31), securities=50, fixed=50)
    theirs = make_customer(other, risk="C3", star="3")
    _snap(theirs, date(2026, 10, 31), securities=100)
    client = client_for(wa)
    page = client.get(reverse("products:concentration"))
    rows = list(page.context["page"])
    assert [r["customer_code"] for r in rows] == [heavy.customer_code]
    row = rows[0]
    assert (row["top_class"], round(row["class_share"], 6), row["top_risk"], round(row["risk_share"], 6)) == (
        "securities", 0.8, "R4", 0.8)
    # matched for C3 / 3★ with a holding class: LEXIANG1 YOUHUA STOCKPOOL (securities, R4) — skipped —
    # JINTIANLI and BOND1 (fixed income, R2) suggested
    assert row["suggestions"] == ["JINTIANLI", "BOND1"]
    detail = client.get(f"/api/products/recommendations/{heavy.customer_code}/").json()
    assert detail["suggestions"] == ["JINTIANLI", "BOND1"]
    assert {f["kind"] for f in detail["concentration"]} == {"class", "risk"}
    csv = client.get(reverse("products:concentration") + "?export=csv").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 2 and heavy.customer_code in csv[1]
    assert AuditEvent.objects.filter(object_type="product_concentration").count() == 1
    bm = client_for(staff(Role.BRANCH_MANAGER, "ZS"))
    assert len(bm.get(reverse("products:concentration")).context["page"]) == 2
    few = queries(bm, reverse("products:concentration"))
    for _ in range(5):
        _snap(make_customer(wa, risk="C3", star="3"), date(2026, 10, 31), reits=10)
    assert len(bm.get(reverse("products:concentration")).context["page"]) == 7
    assert queries(bm, reverse("products:concentration")) == few


def test_retired_product_is_pushed_to_nobody_and_never_recommended(staff, client_for, make_customer):
    from products import services
    from products.models import Product

    bm_staff = staff(Role.BRANCH_MANAGER, "ZS")
    wa = staff(Role.WEALTH_ADVISOR)
    customer = make_customer(wa, risk="C5", star="3")
    services.set_retired(user=bm_staff.user, product=Product.objects.get(code="GHDH"), retired=True, note="gone")
    bm = client_for(bm_staff)
    page = bm.get(reverse("products:push", args=["GHDH"]))
    assert page.status_code == 200 and page.context["total"] == 0
    assert bm.get(reverse("products:push", args=["GHDH"]) + "?export=csv").content.decode(
        "utf-8-sig").count("\n") == 1  # header only
    body = client_for(wa).get(f"/api/products/recommendations/{customer.customer_code}/").json()
    assert "GHDH" not in body["matched"] and "GHDH" not in [e["product"] for e in body["excluded"]]
    assert bm.get(reverse("products:push", args=["NOPE"])).status_code == 404
    assert bm.get(reverse("products:push", args=["GHDH"]) + "?export=pdf").status_code == 404


def test_login_without_staff_sees_nothing(db, make_customer):
    from django.contrib.auth import get_user_model
    from django.test import Client

    customer = make_customer()
    client = Client()
    client.force_login(get_user_model().objects.create_user("stranger", password="pw"))
    for url in [reverse("products:catalogue"), reverse("products:push", args=["GHDH"]),
                reverse("products:concentration"), reverse("products:staffing"), reverse("products:overrides")]:
        assert client.get(url).status_code == 403, url
    assert client.get(f"/api/products/recommendations/{customer.customer_code}/").status_code == 403
    assert client.get("/api/products/products/").status_code == 403


def test_pages_work_when_policy_rows_are_missing(staff, client_for, make_customer):
    """A flushed database (transactional tests, a fresh schema) keeps working on the shipped defaults."""
    ProductPolicy.objects.all().delete()
    bm = client_for(staff(Role.BRANCH_MANAGER, "ZS"))
    customer = make_customer(risk="C3", star="3")
    assert bm.get(reverse("customers:detail", args=[customer.customer_code])).status_code == 200
    for name in ("products:matrix", "products:grades", "products:parameters", "products:staffing",
                 "products:matching"):
        assert bm.get(reverse(name)).status_code == 200, name
    rec = bm.get(f"/api/products/recommendations/{customer.customer_code}/").json()
    assert "GHDH" in rec["matched"]  # shipped matrix: GHDH ticked for 3★


def test_override_list_and_revoke_respect_scope(staff, client_for, make_customer):
    from products import services
    from products.models import Product

    cs_manager = staff(Role.OFFICE_MANAGER, "CS")
    customer = make_customer(staff(Role.WEALTH_ADVISOR), risk="C5")
    override = services.create_override(user=cs_manager.user, customer=customer,
                                        product=Product.objects.get(code="PRIVATE_FUND"),
                                        waive_min_investment=True, waive_tier_matrix=False, reason="r")
    hy = client_for(staff(Role.OFFICE_MANAGER, "HY"))
    assert hy.get(reverse("products:overrides")).context["page"].paginator.count == 0
    assert customer.customer_code not in hy.get(reverse("products:overrides")).content.decode()
    assert hy.post(reverse("products:override-revoke", args=[override.pk])).status_code == 404
    other_wa = client_for(staff(Role.WEALTH_ADVISOR))
    assert other_wa.get(reverse("products:overrides")).context["page"].paginator.count == 0
    cs = client_for(cs_manager)
    assert cs.get(reverse("products:overrides")).context["page"].paginator.count == 1
    # the list exports what it shows, within the scope (CSV and XLSX)
    lines = cs.get(reverse("products:overrides") + "?export=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Customer code,Name,Product,Waived") and len(lines) == 2
    assert lines[1].startswith(f"{customer.customer_code},") and ",PRIVATE_FUND,minimum investment,r," in lines[1]
    assert len(hy.get(reverse("products:overrides") + "?export=csv").content.decode("utf-8-sig").splitlines()) == 1
    assert cs.get(reverse("products:overrides") + "?export=xlsx").content[:2] == b"PK"


def test_matching_by_product_exports_one_row_per_product(staff, client_for, make_customer):
    manager = staff(Role.OFFICE_MANAGER, "CS")
    make_customer(staff(Role.WEALTH_ADVISOR), risk="C3", star="3")
    client = client_for(manager)
    page = client.get(reverse("products:matching"))
    lines = client.get(reverse("products:matching") + "?export=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Product,Name,Risk,")
    assert len(lines) - 1 == len(page.context["rows"]) > 0
    # each product's counts add up to the customers in scope: matched plus the first failing rule of the rest
    assert all(sum(int(v) for v in line.split(",")[3:]) == page.context["customers"] for line in lines[1:])
    assert client.get(reverse("products:matching") + "?export=pdf").status_code == 404
