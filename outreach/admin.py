from django.contrib import admin

from .models import Message, NotificationPreference


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "event_key", "recipient_key", "channel", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "channel", "event_kind")
    search_fields = ("event_key", "recipient_key")
    readonly_fields = [f.name for f in Message._meta.fields]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "quiet_start", "quiet_end")
    raw_id_fields = ("user",)
