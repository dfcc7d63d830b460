"""API permissions; data scope itself is applied to querysets by customers.scope."""
from rest_framework.permissions import BasePermission

from customers.scope import scope_for


class IsStaffMember(BasePermission):
    """Authenticated and known to the CRM as staff (or a superuser)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and scope_for(request.user).is_member)


class CanImport(IsStaffMember):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and scope_for(request.user).can_import
