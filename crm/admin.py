from django.contrib import admin

from .models import AuditEvent, JobRun, KpiPolicy


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "job", "status", "started_at", "finished_at", "progress")
    list_filter = ("job", "status")
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The admin bypasses data scope, so it is for superusers only; staff work in the app.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser


@admin.register(KpiPolicy)
class KpiPolicyAdmin(admin.ModelAdmin):
    """Read-only: new versions go through crm.workspaces.services.save_targets (validated, audited)."""

    list_display = ("version", "status", "note", "created_by", "created_at")
    readonly_fields = [f.name for f in KpiPolicy._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
