"""Role and data scope, in one place.

Every page, API endpoint, export and search obtains its customers (or rows that
belong to customers) through `scope_for(user).filter(...)`; nothing else
decides who may see what.

- advisors: only customers assigned to them (as advisor or investment advisor);
- operations and office managers: customers of their own office;
- branch managers and compliance (and superusers): everything.
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from . import rights
from .models import ADVISOR_ROLES, Customer, Role, Staff

OFFICE_ROLES = (Role.OPERATIONS, Role.OFFICE_MANAGER)
BRANCH_ROLES = (Role.BRANCH_MANAGER, Role.COMPLIANCE)
MANAGER_ROLES = (Role.OFFICE_MANAGER, Role.BRANCH_MANAGER)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    staff: Staff | None
    role: str | None
    office_id: int | None
    everything: bool

    @property
    def is_member(self):
        """Anyone the CRM knows: a staff member with a role, or a superuser."""
        return self.everything or self.staff is not None

    @property
    def is_advisor(self):
        return self.role in ADVISOR_ROLES

    def reach(self):
        """Which customers the scope reaches, as (kind, key): ("all", None), ("advisor", staff id),
        ("office", office id) or ("none", None). `filter` applies it; a compiled read (one per kind,
        customers.selectors.customer_detail) takes the key as its argument."""
        if self.everything:
            return ALL, None
        if self.staff is None:
            return NONE, None
        if self.role in ADVISOR_ROLES:
            return ADVISOR, self.staff.pk
        if self.role in OFFICE_ROLES:
            return OFFICE, self.office_id
        if self.role in BRANCH_ROLES:
            return ALL, None
        return NONE, None

    def filter(self, queryset, path=""):
        """Restrict a queryset whose rows reach a customer through `path` (e.g. "customer__")."""
        return restrict(queryset, *self.reach(), path=path)

    def customers(self):
        return self.filter(Customer.objects.all())

    def staff_queryset(self):
        """Staff this user may see (e.g. in an advisor filter)."""
        qs = Staff.objects.select_related("office")
        if self.everything or self.role in BRANCH_ROLES:
            return qs
        if self.staff is None:
            return qs.none()
        if self.role in ADVISOR_ROLES:
            return qs.filter(pk=self.staff.pk)
        return qs.filter(office_id=self.office_id)

    def offices_visible(self):
        from .models import Office

        if self.everything or self.role in BRANCH_ROLES:
            return Office.objects.all()
        if self.staff is None:
            return Office.objects.none()
        return Office.objects.filter(pk=self.office_id)

    def may(self, action):
        """Whether this role may perform a write action (customers.rights: the one table of writes)."""
        return rights.may(self, action)

    def can_reveal(self, field):
        return self.may(rights.Write.REVEAL_ID if field == "id_number" else rights.Write.REVEAL_PHONE)

    @property
    def can_import(self):
        return self.may(rights.Write.UPLOAD_IMPORT)

    @property
    def can_assign(self):
        return self.may(rights.Write.ASSIGN)

    @property
    def can_plan(self):
        return self.may(rights.Write.PLAN_TASKS)

    @property
    def can_campaign(self):
        return self.may(rights.Write.EDIT_CAMPAIGNS)

    @property
    def is_branch_wide(self):
        return self.everything or self.role in BRANCH_ROLES


ALL, ADVISOR, OFFICE, NONE = "all", "advisor", "office", "none"


def restrict(queryset, kind, key, path=""):
    """The rows of `queryset` within a reach (Scope.reach) whose customer is found through `path`."""
    if kind == ALL:
        return queryset
    if kind == ADVISOR:
        return queryset.filter(Q(**{f"{path}advisor_id": key}) | Q(**{f"{path}investment_advisor_id": key}))
    if kind == OFFICE:
        return queryset.filter(**{f"{path}office_id": key})
    return queryset.none()


ANONYMOUS = Scope(user_id=None, staff=None, role=None, office_id=None, everything=False)


def scope_for(user):
    """The user's scope, computed once per user object (one query at most)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    staff = Staff.objects.filter(user_id=user.pk, is_active=True).select_related("office").first()
    scope = Scope(
        user_id=user.pk,
        staff=staff,
        role=staff.role if staff else None,
        office_id=staff.office_id if staff else None,
        everything=bool(user.is_superuser),
    )
    user._crm_scope = scope
    return scope


def mask(value):
    """Keep the first 3 and last 4 characters (13812345678 -> 138****5678)."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def member_scope(request):
    """The scope of the user behind a request, refused (403) unless the CRM knows them: every page's first check."""
    scope = scope_for(request.user)
    if not scope.is_member:
        raise PermissionDenied
    return scope
