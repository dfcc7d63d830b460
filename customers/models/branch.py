"""Branch, staff and customer data: what the back office delivers and what advisors log."""
from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .. import permissions

MONEY = {"max_digits": 18, "decimal_places": 2}


class Office(models.Model):
    """A sales office (营业部); the seven of the study are created by a data migration."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = _("sales office")

    def __str__(self):
        return f"{self.code} {self.name_zh}"


class Role(models.TextChoices):
    WEALTH_ADVISOR = "wealth_advisor", _("Wealth advisor")
    INVESTMENT_ADVISOR = "investment_advisor", _("Investment advisor")
    INSTITUTIONAL_ADVISOR = "institutional_advisor", _("Institutional advisor")
    OPERATIONS = "operations", _("Operations")
    OFFICE_MANAGER = "office_manager", _("Office manager")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    COMPLIANCE = "compliance", _("Compliance")


ADVISOR_ROLES = (Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR, Role.INSTITUTIONAL_ADVISOR)


class Grade(models.TextChoices):
    JUNIOR = "junior", _("Junior")
    INTERMEDIATE = "intermediate", _("Intermediate")
    SENIOR = "senior", _("Senior")
    EXPERT = "expert", _("Expert")
    CHIEF = "chief", _("Chief")


class Staff(models.Model):
    staff_code = models.CharField(_("staff code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="staff", verbose_name=_("office"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, db_index=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, blank=True)
    username = models.CharField(_("username"), max_length=150, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # When anything in this staff member's book last changed (customers.services.touch_books): the key under
    # which pages computed from the book (the advisor dashboard) are cached. Read with the staff row that
    # every request loads anyway, so checking it costs no query.
    book_changed_at = models.DateTimeField(_("book changed"), db_default=Now(), editable=False)

    class Meta:
        ordering = ["staff_code"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return f"{self.staff_code} {self.name}"


class AdvisorCapacityPolicy(models.Model):
    """How many customers one advisor may serve. Versioned: the newest row is in force."""

    wealth_advisor_cap = models.PositiveIntegerField(_("wealth advisor cap"), default=800)
    investment_advisor_cap = models.PositiveIntegerField(_("investment advisor cap"), default=400)
    institutional_advisor_cap = models.PositiveIntegerField(_("institutional advisor cap"), default=40)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("advisor capacity policy")
        verbose_name_plural = _("advisor capacity policies")

    def cap_for(self, role):
        return {
            Role.WEALTH_ADVISOR: self.wealth_advisor_cap,
            Role.INVESTMENT_ADVISOR: self.investment_advisor_cap,
            Role.INSTITUTIONAL_ADVISOR: self.institutional_advisor_cap,
        }.get(role)


class Customer(models.Model):
    class Kind(models.TextChoices):
        RETAIL = "retail", _("Retail")
        INSTITUTIONAL = "institutional", _("Institutional")

    class RiskLevel(models.TextChoices):
        C1 = "C1", "C1"
        C2 = "C2", "C2"
        C3 = "C3", "C3"
        C4 = "C4", "C4"
        C5 = "C5", "C5"

    class Experience(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Unknown")

    customer_code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RETAIL)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="customers", verbose_name=_("office"))
    advisor = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="customers", verbose_name=_("advisor")
    )
    investment_advisor = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advised_customers",
        verbose_name=_("investment advisor"),
    )
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices)
    risk_assessed_on = models.DateField(_("risk assessed on"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    id_expires_on = models.DateField(_("ID expires on"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    opened_on = models.DateField(_("account opened"), null=True, blank=True)
    first_funded_on = models.DateField(_("first funded"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    prior_experience = models.CharField(
        _("prior experience"), max_length=8, choices=Experience.choices, default=Experience.UNKNOWN
    )
    permission_flags = models.PositiveIntegerField(_("permissions"), default=0)
    # When each held permission was opened, {"margin": "2021-03-04", ...}; a code held without a known date
    # maps to null. products.md: the CRM records which permissions a customer has opened and when.
    permission_dates = models.JSONField(
        _("permissions opened on"), default=dict, db_default=models.Value({}, models.JSONField()), blank=True
    )
    commission_rate = models.DecimalField(_("commission rate (‰)"), max_digits=6, decimal_places=4, default=0)
    # The contact plan (alerts.schedule): the next scheduled service contact and the frequency (months between
    # contacts, from the star) it was planned for; both empty when the star calls for no regular contact.
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    contact_cycle_months = models.PositiveSmallIntegerField(_("contact every (months)"), null=True, blank=True)
    # Opt-outs for campaigns (campaigns.services re-reads both at send time): marketing needs the customer's
    # consent (off until the back office says otherwise); do-not-contact stops every campaign message.
    marketing_consent = models.BooleanField(_("marketing consent"), default=False, db_default=False)
    do_not_contact = models.BooleanField(_("do not contact"), default=False, db_default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_code"]
        indexes = [
            models.Index(fields=["office", "customer_code"]),
            models.Index(fields=["advisor", "customer_code"]),
            models.Index(fields=["investment_advisor", "customer_code"]),
            models.Index(fields=["name"]),
        ]
        verbose_name = _("customer")

    def __str__(self):
        return f"{self.customer_code} {self.name}"

    @property
    def permissions(self):
        return permissions.to_codes(self.permission_flags)

    @property
    def permission_labels(self):
        return [permissions.PERMISSION_LABELS[code] for code in self.permissions]


class CurrentTier(models.Model):
    """The customer's tier as of the latest nightly run (filled by the tiering job; empty before)."""

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.CASCADE, related_name="tier")
    as_of = models.DateField(_("as of"), null=True, blank=True)
    star = models.CharField(_("star"), max_length=10, blank=True)
    legacy_star = models.CharField(_("legacy star"), max_length=10, blank=True)
    stp_subtype = models.CharField(_("STP sub-type"), max_length=4, blank=True)
    stp_weak = models.BooleanField(_("weak sub-type"), default=False)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=12, blank=True)
    quadrant = models.CharField(_("quadrant"), max_length=1, blank=True)
    cev = models.DecimalField(_("CEV"), null=True, blank=True, **MONEY)
    cpv = models.DecimalField(_("CPV"), null=True, blank=True, **MONEY)
    clv = models.DecimalField(_("CLV"), null=True, blank=True, **MONEY)
    total_assets = models.DecimalField(_("total assets"), null=True, blank=True, **MONEY)
    assets_on = models.DateField(_("assets as of"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    # The run result behind these fields, for the explanation. Every nightly run points each row at a new
    # snapshot: without an index or a database constraint on this column the update stays HOT (in-page,
    # no index writes) for customers whose star, stage, sub-type and quadrant did not move.
    snapshot = models.ForeignKey("customers.TierSnapshot", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False, db_constraint=False)

    class Meta:
        verbose_name = _("current tier")
        # Plain b-tree indexes (no LIKE companions): the list filters by equality and sorts. The star index also
        # sorts by assets (a star's list, richest first) and the stage index by CLV (who is declining, most
        # valuable first). Each filtered column also has an index of its own, which a branch-wide list counts
        # (customers.selectors.list_count_queryset): deduplicated, it holds each value's customers in a few
        # pages, and counting the 65 k 3★ customers through it took 3 ms against 10 ms through the star and
        # assets index. Assets and CLV move most nights anyway (no HOT update), so these indexes cost the
        # nightly refresh little beyond what it pays.
        indexes = [models.Index(fields=["star", "total_assets"], include=["customer"], name="currenttier_star_assets"),
                   models.Index(fields=["lifecycle_stage", "clv"], include=["customer"], name="currenttier_stage_clv"),
                   *[models.Index(fields=[name], name=f"currenttier_{name}")
                     for name in ("star", "lifecycle_stage", "stp_subtype", "quadrant", "total_assets")]]


class Snapshot(models.Model):
    """End-of-day positions (at least month-ends)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="snapshots",
                                 db_index=False)  # the unique key leads with customer_id
    date = models.DateField(_("date"))
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    securities_value = models.DecimalField(_("securities"), **MONEY)
    equity_fund_value = models.DecimalField(_("equity funds"), **MONEY)
    fixed_income_value = models.DecimalField(_("fixed income"), **MONEY)
    reits_trust_value = models.DecimalField(_("REITs / trusts"), **MONEY)
    other_product_value = models.DecimalField(_("other products"), **MONEY)
    cash = models.DecimalField(_("cash"), **MONEY)
    margin_debt = models.DecimalField(_("margin debt"), **MONEY)
    maintenance_ratio = models.DecimalField(_("maintenance ratio %"), max_digits=10, decimal_places=2, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "date"], name="snapshot_customer_date")]
        indexes = [models.Index(fields=["date"])]
        ordering = ["customer_id", "date"]


class DailyActivity(models.Model):
    """One row per customer-day with any activity."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activity",
                                 db_index=False)  # the unique key leads with customer_id
    date = models.DateField(_("date"))
    trade_count = models.PositiveIntegerField(_("trades"), default=0)
    traded_amount = models.DecimalField(_("traded amount"), **MONEY)
    commission_income = models.DecimalField(_("commission income"), **MONEY)
    product_income = models.DecimalField(_("product income"), **MONEY)
    transfer_in = models.DecimalField(_("transfer in"), **MONEY)
    transfer_out = models.DecimalField(_("transfer out"), **MONEY)
    pnl = models.DecimalField(_("P&L"), **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "date"], name="activity_customer_date")]
        indexes = [models.Index(fields=["date"])]
        ordering = ["customer_id", "date"]


class IpoQuota(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ipo_quotas",
                                 db_index=False)  # the unique key leads with customer_id
    date = models.DateField(_("date"))
    sh_units = models.PositiveIntegerField(_("Shanghai units"), default=0)
    sz_units = models.PositiveIntegerField(_("Shenzhen units"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "date"], name="ipoquota_customer_date")]
        indexes = [models.Index(fields=["date"])]


class Application(models.Model):
    """A closing or transfer-out application (转销户)."""

    class Kind(models.TextChoices):
        CLOSE = "close", _("Close account")
        TRANSFER_OUT = "transfer_out", _("Transfer out")

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="applications",
                                 db_index=False)  # the unique key leads with customer_id
    filed_on = models.DateField(_("filed on"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.FILED)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "filed_on", "kind"], name="application_customer_day_kind")
        ]
        indexes = [models.Index(fields=["filed_on"])]
        ordering = ["-filed_on"]


class Event(models.Model):
    """Payment and maturity events (IPO wins, rights issues, margin debt due)."""

    class Kind(models.TextChoices):
        IPO_WIN = "ipo_win", _("IPO win payment")
        RIGHTS_ISSUE = "rights_issue", _("Rights issue payment")
        MARGIN_DEBT_DUE = "margin_debt_due", _("Margin debt due")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events",
                                 db_index=False)  # the unique key leads with customer_id
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    due_on = models.DateField(_("due on"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "date", "kind"], name="event_customer_date_kind")]
        indexes = [models.Index(fields=["due_on"])]


class Interaction(models.Model):
    """The contact log: every call, message or visit with a customer."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WECHAT = "wechat", _("WeChat")
        VIDEO = "video", _("Video")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    staff = models.ForeignKey(Staff, null=True, on_delete=models.SET_NULL, related_name="interactions")
    at = models.DateTimeField(_("when"), db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    summary = models.CharField(_("summary"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"])]


class ImportBatch(models.Model):
    """An uploaded back-office file waiting for, or done with, validation and import."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        REJECTED = "rejected", _("rejected")
        IMPORTED = "imported", _("imported")
        FAILED = "failed", _("failed")

    dataset = models.CharField(_("dataset"), max_length=16)
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField()
    skip_invalid = models.BooleanField(_("import valid rows, reject the rest"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    errors = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
