"""API permissions; data scope itself is applied to querysets by customers.scope, write rights come from the one
table in customers.rights."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from customers.scope import scope_for


def declared_write(view):
    """The write action a view declares for its current request: `write_actions[view.action]` on a viewset (the
    action's name, e.g. "create" or "transition"), `write_actions[method]` on a plain APIView. None: undeclared."""
    actions = getattr(view, "write_actions", None) or {}
    return actions.get(getattr(view, "action", None)) or actions.get(view.request.method)


class IsStaffMember(BasePermission):
    """Authenticated and known to the CRM as staff (or a superuser); a write (any unsafe method) only when the
    view declares its action and the caller's role may perform it. An undeclared write is refused: a new
    endpoint is read-only until it says what it writes."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        scope = scope_for(request.user)
        if not scope.is_member:
            return False
        if request.method in SAFE_METHODS:
            return True
        action = declared_write(view)
        if action is not None and scope.may(action):
            return True
        request._request.refused_write = action or "undeclared"  # which rule said no (the write matrix test)
        return False

