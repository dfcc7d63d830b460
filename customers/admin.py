from django.contrib import admin

from .models import AdvisorCapacityPolicy, Customer, Office, Staff
from .services import saved_and_audited


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("staff_code", "name", "office", "role", "grade", "user", "is_active")
    list_filter = ("office", "role", "grade", "is_active")
    search_fields = ("staff_code", "name", "username")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        saved_and_audited(lambda: super(StaffAdmin, self).save_model(request, obj, form, change), actor=request.user,
                          obj=obj, existing=change,
                          action_of={"role": "staff.role", "office_id": "staff.office", "user_id": "staff.login"})


@admin.register(AdvisorCapacityPolicy)
class AdvisorCapacityPolicyAdmin(admin.ModelAdmin):
    """Policies are versioned: a change is a new row; old rows stay as history."""

    list_display = ("created_at", "wealth_advisor_cap", "investment_advisor_cap", "institutional_advisor_cap", "note")
    readonly_fields = ("created_by", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("customer_code", "name", "kind", "office", "advisor", "risk_level", "marketing_consent",
                    "do_not_contact")
    list_filter = ("kind", "office", "risk_level", "marketing_consent", "do_not_contact")
    search_fields = ("customer_code",)
    list_select_related = ("office", "advisor")
    raw_id_fields = ("advisor", "investment_advisor")
    exclude = ("id_number", "phone")  # PII is shown masked on the customer page, with audited reveal

    def save_model(self, request, obj, form, change):
        saved_and_audited(lambda: super(CustomerAdmin, self).save_model(request, obj, form, change),
                          actor=request.user, obj=obj, existing=change,
                          action_of={**dict.fromkeys(("advisor_id", "investment_advisor_id", "office_id"),
                                                     "customer.assign"),
                                     **dict.fromkeys(("marketing_consent", "do_not_contact"), "customer.consent")})
