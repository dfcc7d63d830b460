"""Lookups an import needs, loaded in bulk once per file (code -> id maps, capacity, recorded dates)."""
import json

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from ..models import Customer, Office, Role, Staff
from ..selectors import active_capacity_policy


def load(dataset):
    refs = {}
    needed = {c.ref for c in dataset.columns if c.kind == "ref"}
    if "office" in needed:
        refs["office"] = dict(Office.objects.values_list("code", "id"))
    if "staff" in needed:
        rows = list(Staff.objects.values_list("staff_code", "id", "role"))
        refs["staff"] = {code: pk for code, pk, _role in rows}
        refs["staff_role"] = {pk: role for _code, pk, role in rows}  # by id: checks see parsed ids
    if "customer" in needed:
        refs["customer"] = dict(Customer.objects.values_list("customer_code", "id"))
    return refs


class CapacityCheck:
    """Rows that would put an advisor over the cap of the capacity policy in force, fed chunk by chunk.

    The count after import = customers already assigned (not in this file) + rows in this file, so the
    verdict waits for the whole file; meanwhile each row costs three numbers.
    """

    FIELDS = (("advisor_code", "advisor_id"), ("investment_advisor_code", "investment_advisor_id"))

    def __init__(self):
        self.policy = active_capacity_policy()
        self.existing = pd.DataFrame(
            list(Customer.objects.values_list("customer_code", "advisor_id", "investment_advisor_id")),
            columns=["customer_code", "advisor_id", "investment_advisor_id"],
        )
        self.in_file = np.zeros(len(self.existing), dtype=bool)
        self.parts = []

    def add(self, parsed, raw):
        self.in_file |= self.existing["customer_code"].isin(raw["customer_code"]).to_numpy()
        self.parts.append(parsed[[name for name, _column in self.FIELDS]].astype("float64"))

    def errors(self):
        """-> (line, field, message) for each row over the cap."""
        if not self.parts:
            return []
        incoming_all = pd.concat(self.parts)
        kept = self.existing[~self.in_file]
        roles = dict(Staff.objects.values_list("id", "role"))
        errors = []
        for field_name, column in self.FIELDS:
            incoming = incoming_all[field_name].dropna()
            if incoming.empty:
                continue
            base = kept[column].dropna().value_counts()
            order = incoming.groupby(incoming).cumcount() + 1  # the n-th row of this file for that advisor
            total = order + incoming.map(base).fillna(0)
            for line, advisor_id in incoming[total > incoming.map(lambda a: self.policy.cap_for(roles.get(a)) or 0)].items():
                cap = self.policy.cap_for(roles.get(advisor_id)) or 0
                errors.append((line, field_name, _("advisor is at the capacity cap of %(cap)d customers") % {"cap": cap}))
        return errors


def attach_users(frame):
    """Link staff to Django users by username, creating missing users with unusable passwords."""
    User = get_user_model()
    wanted = [u for u in frame["username"].unique() if u]
    existing = dict(User.objects.filter(username__in=wanted).values_list("username", "id"))
    missing = [u for u in wanted if u not in existing]
    User.objects.bulk_create([User(username=u, password=make_password(None)) for u in missing], batch_size=1000)
    if missing:
        existing.update(User.objects.filter(username__in=missing).values_list("username", "id"))
    frame = frame.copy()
    frame["user_id"] = frame["username"].map(existing).astype("Int64")
    return frame


MANAGED_ROLES = tuple(Role.values)


def with_recorded_permission_dates(frame):
    """The customers frame with `permission_dates` as the JSON to write: a permission the file names without an
    opening date keeps the date already recorded for that customer (if any, else null); a permission the file
    does not name is dropped with its date, so flags and dates always agree."""
    frame = frame.copy()
    dates = frame["permission_dates"]
    dateless = dates.map(lambda d: any(v is None for v in d.values()))
    codes = frame.loc[dateless, "customer_code"].tolist()
    recorded = {}
    for start in range(0, len(codes), 5000):  # SQLite caps a statement's parameters
        recorded.update(Customer.objects.filter(customer_code__in=codes[start:start + 5000])
                        .values_list("customer_code", "permission_dates"))

    def merged(code, held):
        before = recorded.get(code) or {}
        return json.dumps({c: d if d is not None else before.get(c) for c, d in held.items()})

    frame["permission_dates"] = [merged(code, held) for code, held in zip(frame["customer_code"], dates)]
    return frame
