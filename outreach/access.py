"""Who may do what in outreach, read from the one table of writes (customers.rights)."""
from customers.models import Role
from customers.rights import Write
from customers.scope import MANAGER_ROLES


def may_retry(scope):
    """Re-queue failed messages: office and branch managers (customers.rights)."""
    return scope.may(Write.RETRY_MESSAGES)


def sees_failed(scope):
    """The failed-messages page: managers (their office, or the branch) and compliance (read-only)."""
    return scope.everything or scope.role in (*MANAGER_ROLES, Role.COMPLIANCE)
