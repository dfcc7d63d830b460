"""Admin: the catalogue and policies are versioned, so the admin adds versions and never edits or deletes one."""
from django.contrib import admin

from .models import Product, ProductPolicy, ProductVersion, SuitabilityOverride


class ReadOnlyHistory(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = ProductVersion
    extra = 0
    fields = ("version", "is_current", "retired", "name_zh", "risk", "min_investment", "note", "created_by",
              "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ReadOnlyHistory):
    list_display = ("code", "created_at")
    search_fields = ("code",)
    inlines = [VersionInline]


@admin.register(ProductVersion)
class ProductVersionAdmin(ReadOnlyHistory):
    """Add a version with 'Add'; saving goes through services.save_product (audited, previous kept)."""

    list_display = ("product", "version", "is_current", "retired", "name_zh", "category", "risk", "min_investment")
    list_filter = ("is_current", "retired", "category", "risk")
    search_fields = ("product__code", "name_zh", "name_en")

    def get_exclude(self, request, obj=None):
        return ("version", "is_current", "created_by")

    def save_model(self, request, obj, form, change):
        from . import services

        values = {f: getattr(obj, f) for f in services.VERSION_FIELDS}
        values["retired"] = obj.retired
        saved = services.save_product(user=request.user, code=obj.product.code, values=values, note=obj.note)
        obj.pk = saved.pk


@admin.register(ProductPolicy)
class ProductPolicyAdmin(ReadOnlyHistory):
    list_display = ("kind", "version", "status", "note", "created_by", "created_at")
    list_filter = ("kind", "status")

    def has_add_permission(self, request):
        return False  # edited on the CRM's matrix / grades / policy pages (validated, audited)


@admin.register(SuitabilityOverride)
class SuitabilityOverrideAdmin(ReadOnlyHistory):
    list_display = ("customer", "product", "waive_min_investment", "waive_tier_matrix", "reason", "expires_on",
                    "created_by", "revoked_at")
    raw_id_fields = ("customer",)

    def has_add_permission(self, request):
        return False  # created from the customer page (scope-checked, audited)
