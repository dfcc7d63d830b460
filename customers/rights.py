"""Who may write what: every write action of the CRM × role, in one table beside the read scope (scope.py).

The read scope decides *which* customers a user reaches; this table decides *what* a role may change there.
Every POST view declares its action with `@writes(...)`, every API write through `write_actions` on its view
(crm.api.permissions.IsStaffMember refuses an undeclared one), and the services that guard a write ask the same
table through `Scope.may`. crm/tests/test_write_matrix.py walks every route from the URL resolver as every role
against it. Superusers may do everything; a user without a staff row nothing.

Compliance reads everything and writes nothing but audited reveals and exports (spec README: read-only). Object
rules stay in the services (an advisor logs contacts only in their book; only a task's owner or a manager closes
it); the table is the role's ceiling, never a way around them.
"""
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied

from .models import Role

WA, IA, INST = Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR, Role.INSTITUTIONAL_ADVISOR
OPS, OM, BM, COMP = Role.OPERATIONS, Role.OFFICE_MANAGER, Role.BRANCH_MANAGER, Role.COMPLIANCE
ADVISORS = (WA, IA, INST)


class Write(StrEnum):
    LOG_CONTACT = "customer.log_contact"
    REVEAL_PHONE = "customer.reveal_phone"
    REVEAL_ID = "customer.reveal_id_number"
    ASSIGN = "customer.assign"
    OVERRIDE_STAR = "customer.override_star"
    HANDLE_APPLICATION = "customer.application"
    UPLOAD_IMPORT = "import.upload"
    UPLOAD_STAFF = "import.upload_staff"
    RUN_RECLASSIFICATION = "tiering.run"
    EDIT_TIERING_POLICY = "tiering.policy"
    TRANSITION_ALERT = "alert.transition"
    RUN_ALERT_SCAN = "alert.run"
    EDIT_ALERT_POLICY = "alert.policy"
    EDIT_CATALOGUE = "product.catalogue"
    OVERRIDE_SUITABILITY = "product.override"
    FILE_SURVEY = "survey.file"
    PLAN_SURVEYS = "survey.plan"
    CLOSE_SURVEY_TASK = "survey.task_close"
    MANAGER_CLOSE_SURVEY_TASK = "survey.task_manager_close"
    EDIT_SURVEY_POLICY = "survey.policy"
    EDIT_KPI_TARGETS = "kpi.targets"
    EDIT_TODAY_POLICY = "today.policy"
    EDIT_CAPACITY = "staff.capacity"
    READ_OWN_NOTIFICATIONS = "self.notifications"
    PLAN_TASKS = "planner.task"
    MANAGE_OWN_FEED = "self.calendar_feed"
    RETRY_MESSAGES = "outreach.retry"
    EDIT_OWN_NOTIFICATION_PREFS = "self.notification_prefs"
    EDIT_CAMPAIGNS = "campaign.edit"
    APPROVE_CAMPAIGNS = "campaign.approve"


WRITE_RIGHTS = {
    Write.LOG_CONTACT: (*ADVISORS, OPS, OM, BM),
    Write.REVEAL_PHONE: (*ADVISORS, OPS, OM, BM, COMP),  # audited; advisors call their own customers
    Write.REVEAL_ID: (OPS, OM, BM, COMP),  # audited
    Write.ASSIGN: (OM, BM),
    Write.OVERRIDE_STAR: (OM, BM),
    Write.HANDLE_APPLICATION: (OPS, OM, BM),
    Write.UPLOAD_IMPORT: (OPS, OM, BM),  # rows outside an office role's office are refused by the import
    Write.UPLOAD_STAFF: (BM,),  # roles and grades: never an office's own upload
    Write.RUN_RECLASSIFICATION: (OM, BM),  # idempotent for its date; publishes the branch's tiers
    Write.EDIT_TIERING_POLICY: (BM,),
    Write.TRANSITION_ALERT: (*ADVISORS, OPS, OM, BM),
    Write.RUN_ALERT_SCAN: (BM,),
    Write.EDIT_ALERT_POLICY: (BM,),
    Write.EDIT_CATALOGUE: (BM,),  # products, matrices, grades, parameters (spec: branch manager)
    Write.OVERRIDE_SUITABILITY: (OM, BM),
    Write.FILE_SURVEY: (OPS, OM, BM),  # forms, API, call-centre CSV, call attempts
    Write.PLAN_SURVEYS: (OPS, OM, BM),
    Write.CLOSE_SURVEY_TASK: (*ADVISORS, OPS, OM, BM),  # the owner's own task (or a manager's)
    Write.MANAGER_CLOSE_SURVEY_TASK: (OM, BM),
    Write.EDIT_SURVEY_POLICY: (OM, BM),
    Write.EDIT_KPI_TARGETS: (BM,),
    Write.EDIT_TODAY_POLICY: (BM,),  # advisors' daily capacity and the churn risk per rule (today's list)
    Write.EDIT_CAPACITY: (BM,),  # customers per advisor (AdvisorCapacityPolicy), a new version per change
    Write.READ_OWN_NOTIFICATIONS: (*ADVISORS, OPS, OM, BM, COMP),  # one's own inbox, not customer data
    Write.PLAN_TASKS: (*ADVISORS, OPS, OM, BM),  # tasks and appointments; the owner's own (or a manager's in scope)
    Write.MANAGE_OWN_FEED: (*ADVISORS, OPS, OM, BM),  # one's own ICS feed URL (a new one revokes the old)
    Write.RETRY_MESSAGES: (OM, BM),  # re-queue failed outgoing messages (an office manager: their office's only)
    Write.EDIT_OWN_NOTIFICATION_PREFS: (*ADVISORS, OPS, OM, BM),  # one's own events, channel, quiet hours
    # channel campaigns to 1★/2★ and push lists: draft, submit, cancel (an office role: its office's)
    Write.EDIT_CAMPAIGNS: (OPS, OM, BM),
    Write.APPROVE_CAMPAIGNS: (OM, BM),  # approve a submitted campaign (never one's own; an office manager: its office's)
}
assert set(WRITE_RIGHTS) == set(Write), "every write action needs its row"


def may(scope, action):
    """Whether the scope's role may perform `action` (a superuser may do everything)."""
    if scope.everything:
        return True
    return scope.role is not None and scope.role in WRITE_RIGHTS[Write(action)]


def require(scope, action):
    if not may(scope, action):
        raise PermissionDenied(str(action))


def writes(action):
    """Declare that a view performs `action` on POST (and other unsafe methods) and refuse the roles the table
    does not allow with 403 before the view runs. GET stays the view's own affair (forms it shows read-only)."""
    action = Write(action)

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                from .scope import member_scope

                if not may(member_scope(request), action):
                    request.refused_write = action  # which rule said no (logs, the write matrix test)
                    raise PermissionDenied(str(action))
            return view(request, *args, **kwargs)

        guarded.write_action = action
        return guarded

    return decorate
