"""The role and assignment changes an import writes, read before the write and audited after it with before
and after: one audit event per changed staff role or login and per changed customer advisor, investment
advisor or office, written in bulk. New customers are not listed (their first assignment is the back office's
record); new staff are (a role granted)."""
import pandas as pd

from crm.services import audit_many

from ..models import Customer, Office, Staff

CUSTOMER_FIELDS = (("advisor_id", "advisor"), ("investment_advisor_id", "investment_advisor"), ("office_id", "office"))


def _same(a, b):
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _code(mapping, value):
    return None if pd.isna(value) else mapping.get(int(value))


def before_write(dataset_name, frame):
    """The changes `frame` (the rows about to be written) makes, as (kind, key, field, before, after)."""
    if dataset_name == "staff":
        return _staff_changes(frame)
    if dataset_name == "customers":
        return _customer_changes(frame)
    return []


def _staff_changes(frame):
    from django.contrib.auth import get_user_model

    now = {code: (role, user, office) for code, role, user, office
           in Staff.objects.values_list("staff_code", "role", "user_id", "office_id")}
    logins = dict(get_user_model().objects.filter(staff__isnull=False).values_list("id", "username"))
    logins.update((uid, name) for name, uid in zip(frame["username"], frame["user_id"]) if not pd.isna(uid))
    offices = dict(Office.objects.values_list("id", "code"))
    changes = []
    for code, role, user, office in zip(frame["staff_code"], frame["role"], frame["user_id"], frame["office_id"]):
        old_role, old_user, old_office = now.get(code, (None, None, None))
        if role != old_role:
            changes.append(("staff", code, "role", old_role, role))
        if code in now and not _same(old_user, user):
            changes.append(("staff", code, "login", _code(logins, old_user), _code(logins, user)))
        if code in now and not _same(old_office, office):  # an office is a data scope: as much a right as a role
            changes.append(("staff", code, "office", _code(offices, old_office), _code(offices, office)))
    return changes


def _customer_changes(frame):
    columns = ["customer_code", *(f for f, _name in CUSTOMER_FIELDS)]
    now = pd.DataFrame(list(Customer.objects.values_list(*columns)), columns=columns)
    both = frame[columns].merge(now, on="customer_code", suffixes=("", "_before"))
    staff = dict(Staff.objects.values_list("id", "staff_code"))
    offices = dict(Office.objects.values_list("id", "code"))
    changes = []
    for column, name in CUSTOMER_FIELDS:
        codes = offices if name == "office" else staff
        after, before = both[column], both[f"{column}_before"]
        changed = ~((after.isna() & before.isna()) | (after == before))
        for code, old, new in zip(both["customer_code"][changed], before[changed], after[changed]):
            changes.append(("customer", code, name, _code(codes, old), _code(codes, new)))
    return changes


def audit_written(changes, *, actor, filename):
    """After the write: one audit event per change, naming the import's file."""
    if not changes:
        return 0
    staff_ids = dict(Staff.objects.filter(staff_code__in={c[1] for c in changes if c[0] == "staff"})
                     .values_list("staff_code", "id"))
    customer_codes = [c[1] for c in changes if c[0] == "customer"]
    customer_ids = {}
    for start in range(0, len(customer_codes), 5000):  # SQLite caps a statement's parameters
        customer_ids.update(Customer.objects.filter(customer_code__in=customer_codes[start:start + 5000])
                            .values_list("customer_code", "id"))
    events = []
    for kind, key, field_name, before, after in changes:
        if kind == "staff":
            events.append((f"staff.{field_name}", "customers.staff",
                           staff_ids.get(key, key), {"staff_code": key, "before": before, "after": after}))
        else:
            events.append(("customer.assign", "customers.customer", customer_ids.get(key, key),
                           {"customer": key, "field": field_name, "before": before, "after": after}))
    return audit_many(actor, [(action, object_type, object_id, {**detail, "file": filename, "source": "import"})
                              for action, object_type, object_id, detail in events])
