"""Products: a versioned catalogue, versioned matrices and policy, and per-customer suitability overrides.

Everything a manager can change is kept as versions: an edit writes a new row and marks it current,
the old rows stay as history. Nothing here holds domain logic (see rules.py, services.py).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer

MONEY = {"max_digits": 18, "decimal_places": 2}


class Category(models.TextChoices):
    INFO = "info", _("Investment information")
    PORTFOLIO = "portfolio", _("Investment portfolio")
    WEALTH = "wealth", _("Wealth management")
    TRADING_SYSTEM = "trading_system", _("Trading system")


class RiskRating(models.TextChoices):
    R1 = "R1", "R1"
    R2 = "R2", "R2"
    R3 = "R3", "R3"
    R4 = "R4", "R4"
    R5 = "R5", "R5"


class HoldingClass(models.TextChoices):
    """The snapshot column a product's money sits in (for the concentration check)."""

    SECURITIES = "securities", _("Securities")
    EQUITY_FUND = "equity_fund", _("Equity funds")
    FIXED_INCOME = "fixed_income", _("Fixed income")
    REITS_TRUST = "reits_trust", _("REITs / trusts")
    OTHER_PRODUCT = "other_product", _("Other products")


class Product(models.Model):
    """The stable identity of a service product (its code never changes); attributes live in versions."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("product")

    def __str__(self):
        return self.code


class ProductVersion(models.Model):
    """One version of a product's attributes. Exactly one version per product is current."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    is_current = models.BooleanField(_("current"), default=True)
    retired = models.BooleanField(_("retired"), default=False)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    schedule = models.CharField(_("schedule"), max_length=100, blank=True)
    risk = models.CharField(_("risk rating"), max_length=2, choices=RiskRating.choices)
    min_investment = models.DecimalField(_("minimum investment"), default=0, **MONEY)
    fee_model = models.CharField(_("fee model"), max_length=100, blank=True)
    required_flags = models.PositiveIntegerField(_("required permissions"), default=0)
    holding_class = models.CharField(_("holding class"), max_length=16, choices=HoldingClass.choices, blank=True)
    fits = models.CharField(_("suits"), max_length=200, blank=True)
    description_en = models.TextField(_("description"), blank=True)
    # The Chinese of the descriptive fields, {field: text} for channel, schedule, fee_model, fits, description
    # (the study's tables 4-3 to 4-6, products/data/products_zh.csv); a field without one reads in English.
    zh = models.JSONField(_("Chinese texts"), default=dict, blank=True)
    note = models.CharField(_("what changed and why"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["product_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="productversion_product_version"),
            models.UniqueConstraint(fields=["product"], condition=Q(is_current=True),
                                    name="productversion_one_current"),
        ]
        indexes = [models.Index(fields=["is_current", "retired"])]
        verbose_name = _("product version")

    def __str__(self):
        return f"{self.product.code} v{self.version}"

    @property
    def code(self):
        return self.product.code

    # the descriptive fields in the reader's language: the Chinese when the page is Chinese and there is one
    ZH_FIELDS = {"channel": "channel", "schedule": "schedule", "fee_model": "fee_model", "fits": "fits",
                 "description": "description_en"}

    def _reads(self, key):
        from django.utils.translation import get_language

        english = getattr(self, self.ZH_FIELDS[key])
        if (get_language() or "").startswith("zh"):
            return (self.zh or {}).get(key) or english
        return english

    @property
    def channel_text(self):
        return self._reads("channel")

    @property
    def schedule_text(self):
        return self._reads("schedule")

    @property
    def fee_model_text(self):
        return self._reads("fee_model")

    @property
    def fits_text(self):
        return self._reads("fits")

    @property
    def description_text(self):
        return self._reads("description")

    @property
    def required_permissions(self):
        from customers import permissions

        return permissions.to_codes(self.required_flags)


class PolicyKind(models.TextChoices):
    ELIGIBILITY = "eligibility", _("Eligibility matrix")
    ADVISOR_LEVELS = "advisor_levels", _("Advisor grades")
    PARAMETERS = "parameters", _("Product policy parameters")


class ProductPolicy(models.Model):
    """A version of one kind of product policy data; exactly one version per kind is active.

    - eligibility: {"columns": [...], "products": [codes in order], "rows": {code: [0/1 per column]}}
    - advisor_levels: {"columns": [...], "grades": [grade or "" per column]}
    - parameters: the keys of products/data/policy.json
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("policy status", "active")
        RETIRED = "retired", pgettext_lazy("policy status", "retired")

    kind = models.CharField(_("kind"), max_length=16, choices=PolicyKind.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    data = models.JSONField(_("data"))
    note = models.CharField(_("what changed and why"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="productpolicy_kind_version"),
            models.UniqueConstraint(fields=["kind"], condition=Q(status="active"), name="productpolicy_one_active"),
        ]
        verbose_name = _("product policy")
        verbose_name_plural = _("product policies")

    def __str__(self):
        return f"{self.kind} v{self.version}"


class SuitabilityOverride(models.Model):
    """A manager waives rule 4 (minimum investment) and/or 5 (tier matrix) for one customer and product.

    Rules 1–3 (risk level, valid assessment, permissions) are never waivable: the rules engine
    checks them before it looks at overrides at all.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="product_overrides")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="overrides")
    waive_min_investment = models.BooleanField(_("waive the minimum investment"), default=False)
    waive_tier_matrix = models.BooleanField(_("waive the tier matrix"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    expires_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "revoked_at"]), models.Index(fields=["customer", "revoked_at"])]
        verbose_name = _("suitability override")


def _display_name(self):
    """The product's name in the active language (Chinese by default)."""
    from django.utils.translation import get_language

    return self.name_en if (get_language() or "").startswith("en") else self.name_zh


ProductVersion.display_name = property(_display_name)
