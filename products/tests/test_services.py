"""Services: who may write, validation field by field (nothing half-written), versions and audit."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm.models import AuditEvent
from customers.models import Role
from products import selectors, services
from products.models import PolicyKind, Product, ProductPolicy, ProductVersion, SuitabilityOverride

VALUES = {"name_zh": "新产品", "name_en": "New", "category": "wealth", "risk": "R2", "min_investment": 0,
          "required_flags": 0}


@pytest.mark.parametrize("role", ["wealth_advisor", "investment_advisor", "institutional_advisor", "operations",
                                  "office_manager", "compliance"])
def test_only_branch_managers_write_catalogue_and_policy(role, staff):
    user = staff(role).user
    with pytest.raises(PermissionDenied):
        services.save_product(user=user, code="NEW1", values=VALUES)
    with pytest.raises(PermissionDenied):
        services.set_retired(user=user, product=Product.objects.get(code="GHDH"), retired=True)
    with pytest.raises(PermissionDenied):
        services.save_policy(user=user, kind=PolicyKind.PARAMETERS, data=selectors.active_policies()[
            "parameters"].data)
    assert not Product.objects.filter(code="NEW1").exists()


def test_new_product_version_history_and_retirement(staff):
    user = staff(Role.BRANCH_MANAGER, "ZS").user
    v1 = services.save_product(user=user, code="NEW1", values=VALUES, note="launch")
    assert (v1.version, v1.is_current, v1.retired) == (1, True, False)
    same = services.save_product(user=user, code="NEW1", values=VALUES, note="no change")
    assert same.pk == v1.pk  # nothing changed: no new version
    v2 = services.save_product(user=user, code="NEW1", values={**VALUES, "risk": "R3"}, note="riskier")
    assert v2.version == 2 and ProductVersion.objects.filter(product__code="NEW1", is_current=True).get() == v2
    assert "NEW1" in selectors.match_context().versions
    services.set_retired(user=user, product=v2.product, retired=True, note="closed")
    assert "NEW1" not in selectors.match_context().versions  # retired: never matched
    assert ProductVersion.objects.filter(product__code="NEW1").count() == 3  # history kept
    event = AuditEvent.objects.get(action="product.edit")
    assert event.detail["changed"] == {"risk": ["R2", "R3"]}


def test_bad_product_values_are_refused_field_by_field(staff):
    user = staff(Role.BRANCH_MANAGER, "ZS").user
    with pytest.raises(ValidationError) as exc:
        services.save_product(user=user, code="BAD", values={**VALUES, "name_zh": " ", "risk": "R9",
                                                             "min_investment": -1, "category": "toys"})
    assert set(exc.value.message_dict) == {"name_zh", "risk", "min_investment", "category"}
    assert not Product.objects.filter(code="BAD").exists()  # atomic: not even the identity row


def test_policy_validation_and_versions(staff):
    user = staff(Role.BRANCH_MANAGER, "ZS").user
    params = dict(selectors.active_policies()["parameters"].data)
    bad = {**params, "concentration_threshold": 1.5, "assessment_valid_months": 0,
           "white_list_columns": ["6-I"], "holding_class_risk": {"securities": "R9"}}
    with pytest.raises(ValidationError) as exc:
        services.save_policy(user=user, kind=PolicyKind.PARAMETERS, data=bad, note="bad")
    assert set(exc.value.message_dict) == {"concentration_threshold", "assessment_valid_months",
                                           "white_list_columns", "holding_class_risk"}
    policy = services.save_policy(user=user, kind=PolicyKind.PARAMETERS,
                                  data={**params, "assessment_valid_months": 12}, note="shorter")
    assert policy.version == 2 and selectors.match_context().params["assessment_valid_months"] == 12
    assert ProductPolicy.objects.get(kind="parameters", version=1).status == "retired"
    matrix = selectors.active_policies()["eligibility"].data
    broken = {**matrix, "rows": {**matrix["rows"], "GHDH": [1, 2] + [0] * 13, "NOPE": [0] * 15}}
    with pytest.raises(ValidationError) as exc:
        services.save_policy(user=user, kind=PolicyKind.ELIGIBILITY, data=broken, note="bad")
    assert {"GHDH", "NOPE", "products"} <= set(exc.value.message_dict)


def test_shorter_assessment_validity_takes_effect(staff, make_customer):
    """Policy is data: with 12 months, an assessment 13 months old blocks R2+ products."""
    from products import rules

    user = staff(Role.BRANCH_MANAGER, "ZS").user
    today = timezone.localdate()
    customer = make_customer(risk="C5", assessed=rules.add_months(today, -13), star="3")
    ctx = selectors.match_context()
    assert selectors.recommendations_for(customer, ctx)["matched"]
    params = dict(selectors.active_policies()["parameters"].data)
    services.save_policy(user=user, kind=PolicyKind.PARAMETERS, data={**params, "assessment_valid_months": 12},
                         note="12 months")
    rec = selectors.recommendations_for(customer)
    assert rec["matched"] == [] and {v.reason for v in rec["excluded"]} == {"assessment_expired"}


def test_override_rules(staff, make_customer):
    om = staff(Role.OFFICE_MANAGER).user
    customer = make_customer(risk="C5")
    far = make_customer(staff(Role.WEALTH_ADVISOR, "HY"), risk="C5")
    product = Product.objects.get(code="PRIVATE_FUND")
    with pytest.raises(ValidationError) as exc:
        services.create_override(user=om, customer=customer, product=product, waive_min_investment=False,
                                 waive_tier_matrix=False, reason=" ",
                                 expires_on=timezone.localdate() - timedelta(days=1))
    assert set(exc.value.message_dict) == {"waive_min_investment", "reason", "expires_on"}
    with pytest.raises(PermissionDenied):
        services.create_override(user=om, customer=far, product=product, waive_min_investment=True,
                                 waive_tier_matrix=False, reason="x")
    for role in ("wealth_advisor", "operations", "compliance"):
        with pytest.raises(PermissionDenied):
            services.create_override(user=staff(role).user, customer=customer, product=product,
                                     waive_min_investment=True, waive_tier_matrix=True, reason="x")
    assert SuitabilityOverride.objects.count() == 0
    o = services.create_override(user=om, customer=customer, product=product, waive_min_investment=True,
                                 waive_tier_matrix=True, reason="family office",
                                 expires_on=timezone.localdate())
    assert "PRIVATE_FUND" in {v.product for v in selectors.recommendations_for(customer)["matched"]}
    SuitabilityOverride.objects.filter(pk=o.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert "PRIVATE_FUND" not in {v.product for v in selectors.recommendations_for(customer)["matched"]}
    assert AuditEvent.objects.filter(action="suitability_override.create", object_id=str(o.pk)).exists()


def test_matching_summary_task_records_counts(staff, make_customer):
    from crm.models import JobRun
    from products import tasks

    wa = staff(Role.WEALTH_ADVISOR)
    make_customer(wa, risk="C4", star="3")
    make_customer(wa, risk="C3", star="3")
    make_customer(wa, risk="C5", star="3", closed_on=timezone.localdate())  # closed: left out
    run = JobRun.objects.get(pk=tasks.matching_summary.delay().get())
    assert run.status == "succeeded" and run.counts["customers"] == 2
    # PUBLIC_FUND (R4, column 3 ticked): the C4 matches, the C3 fails rule 1
    assert run.counts["products"]["PUBLIC_FUND"] == {"matched": 1, "risk_level": 1, "assessment_expired": 0,
                                                     "permission": 0, "min_investment": 0, "tier_matrix": 0}
    tasks.matching_summary.delay().get()  # rerun: a second record, same numbers
    runs = JobRun.objects.filter(job="product_matching").order_by("id")
    assert runs.count() == 2 and runs[0].counts["products"] == runs[1].counts["products"]


def test_pages_reuse_the_catalogue_until_an_edit_changes_it(staff, django_assert_num_queries):
    user = staff(Role.BRANCH_MANAGER, "ZS").user
    first = selectors.current_match_context()
    with django_assert_num_queries(1):  # only the catalogue mark is read again
        assert selectors.current_match_context() is first
    services.save_product(user=user, code="NEW1", values=VALUES, note="launch")
    rebuilt = selectors.current_match_context()
    assert rebuilt is not first and "NEW1" in rebuilt.versions and "NEW1" not in first.versions
    params = dict(selectors.active_policies()["parameters"].data)
    services.save_policy(user=user, kind=PolicyKind.PARAMETERS, data={**params, "assessment_valid_months": 12},
                         note="12 months")
    assert selectors.current_match_context().params["assessment_valid_months"] == 12
    # removing an old row (not the newest: its id and date are not the maxima) also changes the mark
    mark = selectors.catalogue_mark()
    ProductPolicy.objects.filter(kind=PolicyKind.PARAMETERS, status=ProductPolicy.Status.RETIRED).order_by("id") \
        .first().delete()
    assert selectors.catalogue_mark() != mark


def test_the_pages_overrides_are_active_overrides_of_the_customer(staff, make_customer):
    """customer_overrides (compiled read of the unrevoked ones, expiry checked in Python) keeps exactly the rows
    of active_overrides() for the customer: open-ended, expiring today; not expired, revoked, or another's."""
    customer, other = make_customer(risk="C5"), make_customer(risk="C5")
    today = timezone.localdate()
    product = Product.objects.get(code="PRIVATE_FUND")

    def override(who, **kw):
        return SuitabilityOverride.objects.create(customer=who, product=product, waive_min_investment=True,
                                                  reason="x", **kw)

    kept = {override(customer).pk, override(customer, expires_on=today).pk}
    override(customer, expires_on=today - timedelta(days=1))
    override(customer, revoked_at=timezone.now())
    override(other)
    shown = selectors.customer_overrides(customer, today)
    assert {o.pk for o in shown} == kept == set(
        selectors.active_overrides(today).filter(customer=customer).values_list("pk", flat=True))
    assert {o.product_code for o in shown} == {"PRIVATE_FUND"}
    assert selectors.waivers_of(shown) == {"PRIVATE_FUND": {"min_investment"}}
