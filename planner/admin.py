from django.contrib import admin

from .models import CalendarFeed, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "owner", "customer", "kind", "status", "due_at", "source")
    list_filter = ("kind", "status", "source")
    raw_id_fields = ("owner", "customer", "created_by")
    search_fields = ("customer__customer_code", "title")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Feeds are read here, never made: the token is shown once to its owner (planner.views.feed_settings)."""

    list_display = ("user", "created_at", "revoked_at")
    readonly_fields = ("user", "token_hash", "created_at")
    raw_id_fields = ("user",)

    def has_add_permission(self, request):
        return False
