"""Reads: customer lists and pages (always through the scope), policies and batch frames."""
from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Subquery

from crm.compiled import CompiledRead

from .models import AdvisorCapacityPolicy, CurrentTier, Customer, Snapshot, TierChange, TierSnapshot
from .scope import ADVISOR, ALL, OFFICE, restrict, scope_for


def active_capacity_policy():
    policy = AdvisorCapacityPolicy.objects.order_by("-created_at", "-id").first()
    return policy or AdvisorCapacityPolicy()  # unsaved defaults (800/400/40) before any row exists


def visible_customers(user):
    return scope_for(user).customers()


def customer_list(user):
    """The list page / API list: one query with everything each row shows."""
    return (
        visible_customers(user)
        .select_related("office", "advisor", "investment_advisor", "tier", "tier__snapshot")
        .order_by("customer_code")
    )


# What each row of the list page shows: one narrow query of plain values (no model instances, no snapshot).
# The office and the advisors come as ids and are named afterwards (name_list_rows).
LIST_ROW_FIELDS = ("customer_code", "name", "office_id", "advisor_id", "investment_advisor_id", "risk_level",
                   "tier__total_assets", "tier__star", "tier__lifecycle_stage", "tier__quadrant", "tier__clv")


def visible_customers_by_code(user):
    """The customers in scope in code order, without joins: what the list page filters."""
    return visible_customers(user).order_by("customer_code")


def list_rows(filtered):
    """The list page's rows of a filtered queryset of visible_customers_by_code(): the displayed columns only."""
    return filtered.values(*LIST_ROW_FIELDS)


def name_list_rows(rows):
    """The page's rows (list_rows) with the office code and the advisors' names filled in, read in one query
    of the page's staff and offices. Joined in the list query, they were joined for the whole book before an
    advisor's page was cut from it: 3.5 ms of the query's 6.5 ms for a 679-customer book. The query is plain
    SQL because building two ORM queries for a handful of names cost 2 ms, more than what the join cost."""
    from django.db import connection

    from .models import Office, Staff

    rows = list(rows)
    staff_ids = sorted({r[k] for r in rows for k in ("advisor_id", "investment_advisor_id")} - {None})
    office_ids = sorted({r["office_id"] for r in rows})
    names = {"staff": {}, "office": {}}
    if rows:
        q = connection.ops.quote_name
        parts, params = [], []
        for kind, model, column, ids in (("staff", Staff, "name", staff_ids), ("office", Office, "code", office_ids)):
            if ids:
                parts.append(f"SELECT '{kind}', {q('id')}, {q(column)} FROM {q(model._meta.db_table)} "
                             f"WHERE {q('id')} IN ({', '.join(['%s'] * len(ids))})")
                params.extend(ids)
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for kind, pk, label in cursor.fetchall():
                names[kind][pk] = label
    for row in rows:
        row["office__code"] = names["office"].get(row["office_id"])
        row["advisor__name"] = names["staff"].get(row["advisor_id"])
        row["investment_advisor__name"] = names["staff"].get(row["investment_advisor_id"])
    return rows


def own_book_mark(user, scope):
    """The part of a cache key that follows what an advisor sees of their own book: the viewer, their staff
    row and its change mark (Staff.book_changed_at, moved by every write to the book and by every nightly job:
    customers.services.touch_books), role and office. None when no single mark follows what the viewer sees:
    anyone but an advisor seeing their own book (an office's, the branch's, a superuser's view)."""
    staff = scope.staff
    if staff is None or not scope.is_advisor or scope.everything:
        return None
    return f"{user.pk}:{staff.pk}:{staff.book_changed_at.isoformat()}:{staff.role}:{staff.office_id}"


def list_count_queryset(user, filterset):
    """What to count for a filtered customer list: the filtered customers, or, when every active filter is on
    the current tier (star, stage, quadrant, sub-type, assets), the matching current tiers within the scope.
    Every current tier belongs to exactly one customer, so both hold the same rows, but PostgreSQL does not
    drop an unneeded inner join by itself: counting the 33 k customers of the decline stage branch-wide
    through the 220 k-row customer table takes 35 ms, through the tier index 4 ms."""
    if not filterset.is_valid():
        return filterset.qs
    active = {name: value for name, value in filterset.form.cleaned_data.items()
              if name != "ordering" and value not in (None, "", [], ())}
    on_tier = {name: filterset.filters[name] for name in active}
    if not active or not all(f.field_name.startswith("tier__") and not f.method for f in on_tier.values()):
        return filterset.qs
    tiers = CurrentTier.objects.filter(**{
        f"{f.field_name.removeprefix('tier__')}__{f.lookup_expr}": active[name] for name, f in on_tier.items()})
    return scope_for(user).filter(tiers, "customer__")


def latest_snapshot_subquery(field="total_assets"):
    return Subquery(
        Snapshot.objects.filter(customer=OuterRef("pk")).order_by("-date").values(field)[:1]
    )


_CUSTOMER_FIELDS = [f.attname for f in Customer._meta.concrete_fields]
_TIER_FIELDS = [f.attname for f in CurrentTier._meta.concrete_fields if f.attname != "customer_id"]


def _customer_with_tier(customers):
    return customers.values(*_CUSTOMER_FIELDS, *(f"tier__{name}" for name in _TIER_FIELDS))


# One compiled read per kind of reach (customers.scope.restrict): compiling the scoped, tier-joined query took
# 0.7 ms of every customer page and planning it 0.5 ms of the server's (crm/compiled.py).
def _customer_by_code_within(kind):
    return CompiledRead(lambda customer_code, key: _customer_with_tier(
        restrict(Customer.objects.filter(customer_code=customer_code), kind, key)))


_CUSTOMER_BY_CODE = {
    ALL: CompiledRead(lambda customer_code: _customer_with_tier(Customer.objects.filter(customer_code=customer_code))),
    ADVISOR: _customer_by_code_within(ADVISOR),
    OFFICE: _customer_by_code_within(OFFICE),
}


def customer_detail(user, customer_code):
    """One customer within the user's scope, with its current tier (raises Customer.DoesNotExist otherwise).
    The 360° page reads the names and the run behind the tier with `selectors_360.people` and
    `explained_run`: every join added here cost a millisecond of planning and loading on each view."""
    kind, key = scope_for(user).reach()
    read = _CUSTOMER_BY_CODE.get(kind)
    rows = [] if read is None else read(customer_code=customer_code, **({} if kind == ALL else {"key": key}))
    if not rows:
        raise Customer.DoesNotExist(f"no customer {customer_code!r} within the scope")
    row = rows[0]
    customer = Customer.from_db(DEFAULT_DB_ALIAS, _CUSTOMER_FIELDS, [row[name] for name in _CUSTOMER_FIELDS])
    tier = None
    if row["tier__star"] is not None:  # NOT NULL in the table: None only when the outer join found no tier
        tier = CurrentTier.from_db(DEFAULT_DB_ALIAS, ["customer_id", *_TIER_FIELDS],
                                   [customer.pk, *(row[f"tier__{name}"] for name in _TIER_FIELDS)])
        CurrentTier.customer.field.set_cached_value(tier, customer)
    Customer.tier.related.set_cached_value(customer, tier)  # as select_related("tier") leaves it
    return customer


def latest_snapshot(customer):
    """The customer's latest snapshot (one query, once per customer object: the customer page's positions
    and its products panel share it; selectors_360.positions fills it in)."""
    if "_latest_snapshot" not in customer.__dict__:
        customer._latest_snapshot = Snapshot.objects.filter(customer=customer).order_by("-date").first()
    return customer._latest_snapshot


def advisor_load(advisor_ids=None):
    """{staff id: open customers served} as advisor plus as investment advisor (staff serving none are left out;
    a closed account keeps its advisor for the record but takes no place under the capacity cap).
    Two grouped counts, one on each advisor column's index: joining staff to both columns at once would pair
    every customer of one column with every customer of the other before counting them distinct (0.3 s for
    a 220 k branch, against 30 ms)."""
    from django.db.models import Count

    load = {}
    advisor_ids = None if advisor_ids is None else list(advisor_ids)
    for column in ("advisor_id", "investment_advisor_id"):
        customers = Customer.objects.filter(**{f"{column}__isnull": False}, closed_on__isnull=True)
        if advisor_ids is not None:
            customers = customers.filter(**{f"{column}__in": advisor_ids})
        for staff_id, n in customers.order_by().values_list(column).annotate(n=Count("pk")):
            load[staff_id] = load.get(staff_id, 0) + n
    return load


def data_date():
    """The latest date with back-office snapshot data (the default run date of nightly jobs)."""
    return Snapshot.objects.order_by("-date").values_list("date", flat=True).first()


def tier_history(customer):
    return list(TierSnapshot.objects.filter(customer=customer).select_related("policy").order_by("date"))


def tier_changes(customer, limit=50):
    return list(TierChange.objects.filter(customer=customer).order_by("-date", "field")[:limit])


def notifications_for(staff):
    from .models import Notification

    return Notification.objects.filter(staff=staff).select_related("customer").order_by("read_at", "-created_at")


def unread_notification_count(staff):
    from .models import Notification

    return Notification.objects.filter(staff=staff, read_at__isnull=True).count()
