"""Read-mostly admin: campaigns change only through campaigns.services (approval, audit)."""
from django.contrib import admin

from .models import Campaign, CampaignRecipient


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "segment_kind", "product", "office", "scheduled_at", "created_by",
                    "approved_by")
    list_filter = ("status", "segment_kind", "office")
    search_fields = ("name",)
    readonly_fields = [f.name for f in Campaign._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(admin.ModelAdmin):
    list_display = ("campaign", "customer", "outcome", "message_id")
    list_filter = ("outcome",)
    raw_id_fields = ("campaign", "customer")
    readonly_fields = ("campaign", "customer", "outcome", "message_id")

    def has_add_permission(self, request):
        return False
