"""Who an import writes for, and the rows a person's upload may not touch.

The system (the nightly drop folder, the `import_backoffice` command) writes anything. A person's upload is held
to that person's scope (customers.scope.scope_for): staff files only from branch managers (and superusers), never
a change of the uploader's own role or login, only rows of their own office for office roles, and no
reassignment of an existing customer by a role that may not reassign. Any such row refuses the whole file.
"""
from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from ..models import Customer, Office, Staff
from ..rights import Write
from ..scope import scope_for

CUSTOMER_KEYED = ("snapshots", "activity", "ipo_quotas", "applications", "events")


@dataclass(frozen=True)
class Uploader:
    user: object = None  # None: the system
    system: bool = False
    refusal: str = ""  # set when this person may not import at all
    office_id: int | None = None  # an office role's office; None: every office
    may_import_staff: bool = False
    may_assign: bool = False
    staff_code: str | None = None  # the uploader's own staff row, and their login
    role: str | None = None
    username: str | None = None

    @property
    def limited(self):
        return not self.system and (self.office_id is not None or not self.may_assign)


SYSTEM = Uploader(system=True, may_import_staff=True, may_assign=True)


def may_import_staff(scope):
    return scope.may(Write.UPLOAD_STAFF)


def uploader_for(user):
    """The uploader a person is; a missing user (deleted since the upload) may import nothing."""
    if user is None:
        return Uploader(refusal=_("the uploader is unknown"))
    scope = scope_for(user)
    if not scope.can_import:
        return Uploader(user=user, refusal=_("you may not import files"))
    return Uploader(
        user=user,
        office_id=None if scope.is_branch_wide else scope.office_id,
        may_import_staff=may_import_staff(scope),
        may_assign=scope.can_assign,
        staff_code=scope.staff.staff_code if scope.staff else None,
        role=scope.role,
        username=user.get_username(),
    )


def file_refusal(uploader, dataset_name):
    """Why this uploader may not import this dataset at all ("" when they may)."""
    if uploader.refusal:
        return uploader.refusal
    if dataset_name == "staff" and not uploader.may_import_staff:
        return _("only branch managers may import staff")
    return ""


class RowRights:
    """The per-row check of one file for one uploader; the lookups are loaded once, on the first chunk."""

    def __init__(self, uploader, dataset_name):
        self.uploader = uploader
        self.dataset = dataset_name
        self._loaded = False

    def _load(self):
        self.office_code = dict(Office.objects.values_list("id", "code"))
        if self.dataset == "customers":
            rows = Customer.objects.values_list("customer_code", "office_id", "advisor_id", "investment_advisor_id")
            self.current = pd.DataFrame(list(rows), columns=["code", "office_id", "advisor_id",
                                                             "investment_advisor_id"]).set_index("code")
            self.staff_office = dict(Staff.objects.values_list("id", "office_id"))
        elif self.dataset in CUSTOMER_KEYED and self.uploader.office_id is not None:
            self.customer_office = dict(Customer.objects.values_list("id", "office_id"))
        self._loaded = True

    def errors(self, parsed, raw):
        """(line, field, value, message) for each row this uploader may not write."""
        if self.uploader.system:
            return []
        if self.dataset == "staff":
            return self._own_staff_row(raw)
        if not self.uploader.limited:
            return []
        if not self._loaded:
            self._load()
        if self.dataset == "customers":
            return self._customers(parsed, raw)
        if self.dataset in CUSTOMER_KEYED and self.uploader.office_id is not None:
            office = parsed["customer_code"].map(self.customer_office)
            return self._outside(office, "office_code")
        return []

    def _outside(self, office_ids, field_name):
        """Rows whose office (a Series of office ids by line) is known and not the uploader's."""
        out = office_ids.notna() & (office_ids != self.uploader.office_id)
        message = _("outside your office")
        return [(line, field_name, self.office_code.get(int(o), ""), message) for line, o in office_ids[out].items()]

    def _customers(self, parsed, raw):
        errors = []
        current = self.current.reindex(raw["customer_code"].to_numpy())
        current.index = raw.index
        if self.uploader.office_id is not None:
            # A row outside is one that names another office, or whose customer is now in another office
            # (moving a customer into or out of the uploader's office).
            errors += self._outside(parsed["office_code"], "office_code")
            named_own = parsed["office_code"].isna() | (parsed["office_code"] == self.uploader.office_id)
            errors += self._outside(current["office_id"].where(named_own), "office_code")
            for column in ("advisor_code", "investment_advisor_code"):
                staff_office = parsed[column].map(self.staff_office)
                out = staff_office.notna() & (staff_office != self.uploader.office_id)
                errors += [(line, column, raw.at[line, column], _("outside your office"))
                           for line in raw.index[out]]
        if not self.uploader.may_assign:
            for column, db_column in (("advisor_code", "advisor_id"),
                                      ("investment_advisor_code", "investment_advisor_id")):
                before, after = current[db_column], parsed[column]
                existing = current["office_id"].notna()
                changed = existing & ~((before.isna() & after.isna()) | (before == after))
                errors += [(line, column, raw.at[line, column], _("only managers may reassign customers"))
                           for line in raw.index[changed]]
        return errors

    def _own_staff_row(self, raw):
        """No upload changes its uploader's own role or login: their row keeps both, no other row takes the login."""
        me, errors = self.uploader, []
        if me.staff_code:
            own = raw["staff_code"] == me.staff_code
            for line in raw.index[own & (raw["role"] != me.role)]:
                errors.append((line, "role", raw.at[line, "role"], _("you cannot change your own role")))
            for line in raw.index[own & (raw["username"] != me.username)]:
                errors.append((line, "username", raw.at[line, "username"], _("you cannot change your own login")))
        if me.username:
            taken = (raw["username"] == me.username) & (raw["staff_code"] != (me.staff_code or ""))
            for line in raw.index[taken]:
                errors.append((line, "username", raw.at[line, "username"],
                               _("is your own login: it cannot be given to another staff row")))
        return errors
