"""Reads: the current catalogue and policies, customer facts (one row or a frame), recommendations.

Customers are always obtained through the caller's scope (customers.scope) by the views; the
functions here take querysets that are already scoped.
"""
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import DecimalField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm import compiled
from crm.bulk import read_frame
from crm.compiled import CompiledRead
from customers.selectors import latest_snapshot_subquery

from . import rules
from .models import PolicyKind, ProductPolicy, ProductVersion, SuitabilityOverride

HOLDING_COLUMNS = {
    "securities": "securities_value", "equity_fund": "equity_fund_value", "fixed_income": "fixed_income_value",
    "reits_trust": "reits_trust_value", "other_product": "other_product_value",
}


def current_versions(include_retired=True):
    qs = ProductVersion.objects.filter(is_current=True).select_related("product").order_by("product_id")
    return qs if include_retired else qs.filter(retired=False)


def product_history(product):
    return product.versions.select_related("created_by").order_by("-version")


def active_policies():
    """{kind: ProductPolicy} of the active version of each kind (one query)."""
    return {p.kind: p for p in ProductPolicy.objects.filter(status=ProductPolicy.Status.ACTIVE)}


SHIPPED = {PolicyKind.ELIGIBILITY: "eligibility", PolicyKind.ADVISOR_LEVELS: "advisor_levels",
           PolicyKind.PARAMETERS: "parameters"}


def policy_data(policies, kind):
    """The active version's data, or the shipped default if the table holds none (e.g. a flushed test
    database): pages keep working, and the first save makes it version 1."""
    if kind in policies:
        return policies[kind].data
    from . import shipped

    return getattr(shipped, SHIPPED[kind])()


def active_policy(kind):
    """The active version, or an unsaved version 0 holding the shipped default."""
    policy = ProductPolicy.objects.filter(kind=kind, status=ProductPolicy.Status.ACTIVE).first()
    return policy or ProductPolicy(kind=kind, version=0, status=ProductPolicy.Status.ACTIVE,
                                   data=policy_data({}, kind))


def policy_history(kind):
    return ProductPolicy.objects.filter(kind=kind).select_related("created_by").order_by("-version")


@dataclass
class MatchContext:
    """Everything suitability needs besides the customer: loaded once per request or batch (2 queries)."""

    today: object
    cutoff: object
    versions: dict  # code -> current ProductVersion (not retired)
    catalogue: list  # [rules.ProductTerms] in catalogue order
    params: dict
    levels: dict  # column -> advisor grade
    matrix: dict  # code -> [0/1 per column]
    columns: list


def catalogue_mark():
    """A value that changes whenever the catalogue or a product policy does: every edit, retirement or
    activation adds a version row. The row count is part of it, so that an edit committed after a later one
    (its id and date are not the newest) still changes it (one query, a prepared statement of the session on
    PostgreSQL: planning its six subqueries took four fifths of its 0.4 ms of server time)."""
    from django.db import connection

    tables = [m._meta.db_table for m in (ProductVersion, ProductPolicy)]
    with connection.cursor() as cursor:
        compiled.execute(cursor, "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t}), (SELECT MAX(id) FROM {t}), "
                                                       f"(SELECT MAX(created_at) FROM {t})" for t in tables), [])
        return tuple(str(v) for v in cursor.fetchone())


_memo = {"entry": (None, None)}  # (key, MatchContext) of this process, swapped whole


def current_match_context():
    """match_context() for pages, built once per process and day until the catalogue changes: the customer
    page asks for it on every view, and rebuilding the catalogue costs more than the page's other panels."""
    key = (catalogue_mark(), timezone.localdate())
    cached_key, ctx = _memo["entry"]
    if cached_key != key:
        ctx = match_context(key[1])
        _memo["entry"] = (key, ctx)
    return ctx


def match_context(today=None):
    today = today or timezone.localdate()
    policies = active_policies()
    eligibility = policy_data(policies, PolicyKind.ELIGIBILITY)
    levels = policy_data(policies, PolicyKind.ADVISOR_LEVELS)
    params = policy_data(policies, PolicyKind.PARAMETERS)
    columns = eligibility["columns"]
    versions, catalogue = {}, []
    for v in current_versions(include_retired=False):
        row = dict(zip(columns, eligibility["rows"].get(v.product.code, [])))
        versions[v.product.code] = v
        catalogue.append(rules.ProductTerms(
            code=v.product.code, risk=v.risk, required_flags=v.required_flags, min_investment=v.min_investment,
            offered=frozenset(rules.offered_columns(row)),
        ))
    return MatchContext(
        today=today, cutoff=rules.assessment_cutoff(today, int(params["assessment_valid_months"])),
        versions=versions, catalogue=catalogue, params=params,
        levels=dict(zip(levels["columns"], levels["grades"])), matrix=eligibility["rows"], columns=columns,
    )


def with_facts(customers):
    """Annotate a customer queryset with what suitability reads (the same for one row or 220,000).

    Assets: the current tier's total assets, else the latest snapshot's, else 0.
    """
    return customers.annotate(
        f_star=Coalesce(F("tier__star"), Value("")),
        f_subtype=Coalesce(F("tier__stp_subtype"), Value("")),
        f_assets=Coalesce(F("tier__total_assets"), latest_snapshot_subquery(), Value(Decimal(0)),
                          output_field=DecimalField(max_digits=18, decimal_places=2)),
    )


FACT_FIELDS = ("id", "customer_code", "name", "kind", "risk_level", "risk_assessed_on", "permission_flags",
               "closed_on", "f_star", "f_subtype", "f_assets")


def facts_of(row):
    return rules.Facts(
        customer_id=row["id"], risk_level=row["risk_level"], risk_assessed_on=row["risk_assessed_on"],
        permission_flags=row["permission_flags"] or 0, assets=Decimal(row["f_assets"] or 0),
        star=row["f_star"] or "", stp_subtype=row["f_subtype"] or "", kind=row["kind"],
    )


def facts_for(customer):
    """One customer's facts (one query)."""
    from customers.models import Customer

    row = with_facts(Customer.objects.filter(pk=customer.pk)).values(*FACT_FIELDS).get()
    return facts_of(row)


def _sql(qs, columns):
    """SQL of a values() queryset; an always-empty one (e.g. .none()) becomes a query of no rows."""
    from django.core.exceptions import EmptyResultSet

    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:
        return "SELECT " + ", ".join(f"NULL AS {c}" for c in columns) + " WHERE 1 = 0", ()


def facts_frame(customers, extra=()):
    """The same facts for a (scoped) queryset as a DataFrame, read in one set-based query.

    extra: further (alias, expression) annotations to read along, e.g. ("office_code", F("office__code")).
    """
    qs = with_facts(customers)
    if extra:
        qs = qs.annotate(**dict(extra))
    qs = qs.order_by().values(*FACT_FIELDS, *(name for name, _ in extra))
    sql, params = _sql(qs, [*FACT_FIELDS, *(name for name, _ in extra)])
    frame = read_frame(sql, params, text=("customer_code", "name", "kind", "risk_level", "f_star", "f_subtype",
                                          *(name for name, _ in extra)))
    frame["risk_assessed_on"] = pd.to_datetime(frame["risk_assessed_on"])
    frame["closed_on"] = pd.to_datetime(frame["closed_on"])
    frame["f_assets"] = pd.to_numeric(frame["f_assets"]).fillna(0.0).astype(float)
    frame["permission_flags"] = pd.to_numeric(frame["permission_flags"]).fillna(0).astype("int64")
    return frame


def active_overrides(today=None):
    today = today or timezone.localdate()
    return SuitabilityOverride.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today))


def in_force(override, today):
    """active_overrides()'s rule for one loaded override: not revoked and not expired."""
    return override.revoked_at is None and (override.expires_on is None or override.expires_on >= today)


_unrevoked_overrides = CompiledRead(
    lambda customer_id: SuitabilityOverride.objects.filter(customer_id=customer_id, revoked_at__isnull=True)
    .order_by("-created_at", "-id").values("id", "customer_id", "product_id", "waive_min_investment",
                                           "waive_tier_matrix", "reason", "expires_on", "created_at", "revoked_at",
                                           product_code=F("product__code")))


def customer_overrides(customer, today=None):
    """The customer's active overrides as SuitabilityOverride objects with `product_code`. One compiled query
    of the unrevoked ones (the customer page asks on every view); the expiry, a date, is checked by in_force."""
    today = today or timezone.localdate()
    return [o for o in _unrevoked_overrides.instances(SuitabilityOverride, customer_id=customer.pk)
            if in_force(o, today)]


def waivers_of(overrides):
    """{product code: {waived rules}} of a customer's active overrides (from customer_overrides)."""
    out = {}
    for o in overrides:
        waived = out.setdefault(o.product_code, set())
        if o.waive_min_investment:
            waived.add(rules.MIN_INVESTMENT)
        if o.waive_tier_matrix:
            waived.add(rules.TIER_MATRIX)
    return out


def waivers_for(customer, today=None):
    return waivers_of(customer_overrides(customer, today))


def overrides_frame(product_code=None, today=None):
    """Active overrides as (customer_id, product, waive_min_investment, waive_tier_matrix), combined per pair."""
    qs = active_overrides(today)
    if product_code:
        qs = qs.filter(product__code=product_code)
    frame = pd.DataFrame(list(qs.values_list("customer_id", "product__code", "waive_min_investment",
                                             "waive_tier_matrix")),
                         columns=["customer_id", "product", "waive_min_investment", "waive_tier_matrix"])
    if frame.empty:
        return frame
    return frame.groupby(["customer_id", "product"], as_index=False).any()


def holdings_of(snapshot):
    """{holding class: value} of a snapshot (None without one)."""
    if snapshot is None:
        return None
    return {cls: Decimal(getattr(snapshot, col)) for cls, col in HOLDING_COLUMNS.items()}


def facts_from(customer, snapshot):
    """Facts from a customer loaded with select_related("tier") and its latest snapshot: no query.

    Same values as facts_for (tier assets, else the latest snapshot's, else 0); falls back to
    facts_for when the tier was not loaded with the customer.
    """
    from customers.models import Customer

    if not Customer.tier.is_cached(customer):
        return facts_for(customer)
    tier = getattr(customer, "tier", None)
    if tier is not None and tier.total_assets is not None:
        assets = tier.total_assets
    else:
        assets = snapshot.total_assets if snapshot is not None else Decimal(0)
    return rules.Facts(
        customer_id=customer.pk, risk_level=customer.risk_level, risk_assessed_on=customer.risk_assessed_on,
        permission_flags=customer.permission_flags or 0, assets=Decimal(assets),
        star=(tier.star if tier else "") or "", stp_subtype=(tier.stp_subtype if tier else "") or "",
        kind=customer.kind,
    )


def recommendations_for(customer, ctx=None):
    """Matched and excluded products of one customer (rules.check per product), plus flags and concentration.

    Queries: the catalogue mark (1, unless a context is given), latest snapshot (1), overrides (1), and the
    facts (1) only when the customer was loaded without its tier.
    """
    from customers.selectors import latest_snapshot

    ctx = ctx or current_match_context()
    snapshot = latest_snapshot(customer)
    facts = facts_from(customer, snapshot)
    overrides = customer_overrides(customer, ctx.today)
    matched, excluded = rules.recommend(facts, ctx.catalogue, cutoff=ctx.cutoff, overrides=waivers_of(overrides))
    holdings = holdings_of(snapshot)
    concentration = rules.concentration(holdings, ctx.params) if holdings else None
    suggestions = []
    if concentration:
        suggestions = rules.diversifying(concentration, [ctx.versions[v.product] for v in matched], ctx.params)
    return {
        "facts": facts, "ctx": ctx, "matched": matched, "excluded": excluded, "overrides": overrides,
        "column": rules.column_for(facts.star, facts.stp_subtype),
        "flags": rules.service_flags(facts, ctx.params),
        "concentration": concentration, "suggestions": suggestions,
    }


def terms_of(ctx, code):
    for terms in ctx.catalogue:
        if terms.code == code:
            return terms
    return None


PUSH_EXTRA = (("office_code", F("office__code")), ("advisor_code", F("advisor__staff_code")),
              ("advisor_name", F("advisor__name")))


def push_list(user, code, ctx):
    """The customers in the user's scope that product `code` may be pushed to (set-based, one read).

    Only customers matched by the full suitability rules (overrides included, which can only waive
    rules 4–5), open accounts only. Sorted by customer code.
    """
    from customers.scope import scope_for

    from . import batch

    terms = terms_of(ctx, code)
    if terms is None:  # retired or unknown: nobody
        return facts_frame(scope_for(user).customers().none(), extra=PUSH_EXTRA)
    frame = facts_frame(scope_for(user).customers(), extra=PUSH_EXTRA)
    out = batch.suitable(frame, terms, cutoff=ctx.cutoff, overrides=overrides_frame(code, ctx.today))
    return out.sort_values("customer_code").reset_index(drop=True)


def staffing_inputs(scope):
    """The frames of the staffing report (3 queries): open customers counted by office, investment advisor,
    grade, star and sub-type (`n`; aggregated in SQL, not one row per customer), advisors in scope, their load."""
    from django.db.models import Count

    from customers.models import ADVISOR_ROLES
    from customers.selectors import advisor_load

    fields = ["office_code", "investment_advisor_id", "ia_grade", "f_star", "f_subtype"]
    groups = (scope.customers().filter(closed_on__isnull=True).annotate(
        office_code=F("office__code"), ia_grade=F("investment_advisor__grade"),
        f_star=Coalesce(F("tier__star"), Value("")),
        f_subtype=Coalesce(F("tier__stp_subtype"), Value(""))).order_by()
        .values(*fields).annotate(n=Count("id")))
    frame = pd.DataFrame.from_records(list(groups), columns=[*fields, "n"])
    for column in ("office_code", "ia_grade", "f_star", "f_subtype"):
        frame[column] = frame[column].fillna("").astype(str)
    advisors = pd.DataFrame(list(
        scope.staff_queryset().filter(role__in=ADVISOR_ROLES, is_active=True).order_by()
        .values_list("id", "staff_code", "name", "office__code", "role", "grade")),
        columns=["id", "staff_code", "name", "office_code", "role", "grade"])
    load = advisor_load(list(advisors["id"])) if len(advisors) else {}
    return frame, advisors, load


def staffing_report(scope):
    """Advisor grade fit and capacity (batch.staffing) for the customers and advisors in scope:
    (people, offices, caps). 5 queries."""
    from customers.models import Role
    from customers.selectors import active_capacity_policy

    from . import batch

    customers, advisors, load = staffing_inputs(scope)
    policy = active_capacity_policy()
    caps = {r: policy.cap_for(r) for r in (Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR,
                                           Role.INSTITUTIONAL_ADVISOR)}
    levels = policy_data(active_policies(), PolicyKind.ADVISOR_LEVELS)
    people, offices, _below = batch.staffing(customers, advisors, load, caps,
                                              dict(zip(levels["columns"], levels["grades"])))
    return people, offices, caps


def latest_holdings_frame(customers):
    """The latest snapshot's holding columns for every customer of a (scoped) queryset (one query).

    One pass: the latest date per customer by GROUP BY, joined back on the (customer, date) key.
    """
    sub_sql, sub_params = _sql(customers.order_by().values("pk"), ["id"])
    cols = ", ".join(f"s.{c}" for c in HOLDING_COLUMNS.values())
    sql = (f"SELECT s.customer_id AS id, {cols} FROM customers_snapshot s "
           "JOIN (SELECT customer_id, MAX(date) AS last FROM customers_snapshot GROUP BY customer_id) m "
           "ON m.customer_id = s.customer_id AND s.date = m.last "
           f"WHERE s.customer_id IN ({sub_sql})")
    return read_frame(sql, sub_params)


def concentration_list(user, ctx):
    """Customers in scope whose holdings are concentrated (set-based): (rows sorted by code, suggestions frame).

    The suggestions are a boolean frame (customer id x product); batch.suggestion_lists turns the rows
    that are shown or exported into lists.
    """
    from customers.scope import scope_for

    from . import batch

    customers = scope_for(user).customers().filter(closed_on__isnull=True)
    flags = batch.concentration(latest_holdings_frame(customers), ctx.params)
    flagged = flags[flags["class_flag"] | flags["risk_flag"]]
    facts = facts_frame(customers, extra=PUSH_EXTRA)
    facts = facts[facts["id"].isin(flagged["id"])]
    picks = batch.suggestions(flagged, facts, ctx.catalogue, ctx.versions, ctx.params, cutoff=ctx.cutoff,
                              overrides=overrides_frame(today=ctx.today))
    out = flagged.merge(facts[["id", "customer_code", "name", "office_code", "advisor_name", "f_assets"]], on="id")
    return out.sort_values("customer_code").reset_index(drop=True), picks
