from django.contrib import admin

from .models import Alert, AlertPolicy, AlertTransition


@admin.register(AlertPolicy)
class AlertPolicyAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "note", "created_at")
    readonly_fields = ("version", "status", "params", "created_by", "created_at")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "rule", "level", "status", "owner", "opened_at", "due_at")
    list_filter = ("rule", "level", "status")
    raw_id_fields = ("customer", "owner", "manager")
    search_fields = ("customer__customer_code",)


@admin.register(AlertTransition)
class AlertTransitionAdmin(admin.ModelAdmin):
    list_display = ("alert", "at", "actor", "action", "from_status", "to_status")
    raw_id_fields = ("alert",)
