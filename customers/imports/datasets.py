"""The back-office datasets of interfaces.md: columns, keys, cross-field checks and DB frames."""
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    ADVISOR_ROLES,
    Application,
    Customer,
    DailyActivity,
    Event,
    Grade,
    IpoQuota,
    Role,
    Snapshot,
    Staff,
)
from .columns import Column

C = Column
MONEY_COLS = (
    "total_assets",
    "securities_value",
    "equity_fund_value",
    "fixed_income_value",
    "reits_trust_value",
    "other_product_value",
    "cash",
    "margin_debt",
)
PRODUCT_COLS = ("equity_fund_value", "fixed_income_value", "reits_trust_value", "other_product_value")


@dataclass(frozen=True)
class Dataset:
    name: str
    model: type
    columns: tuple
    keys: tuple  # CSV columns that identify a row
    db_keys: tuple  # the matching unique DB columns
    build: Callable  # (parsed frame) -> DB frame
    checks: Callable | None = None  # (parsed frame, refs) -> list of (index, field, message)
    compare: tuple = ()  # DB columns whose change counts as an update; default: all non-key
    touch: tuple = ()

    @property
    def column_names(self):
        return [c.name for c in self.columns]

    def columns_in(self, header):
        """The columns a file with this header carries (an optional one may be absent)."""
        return [c for c in self.columns if c.name in header or not c.optional]

    def compare_columns(self, frame):
        return self.compare or tuple(c for c in frame.columns if c not in self.db_keys and c not in self.touch)


def _dates(series):
    return series.dt.strftime("%Y-%m-%d").where(series.notna(), None)


def _int(series):
    return series.astype("Int64")


# --- staff -----------------------------------------------------------------
def _staff_checks(df, refs):
    """Grades by role; a username used twice is a whole-file check of the engine."""
    errors = []
    is_ia = df["role"] == Role.INVESTMENT_ADVISOR
    for idx in df.index[is_ia & (df["grade"] == "")]:
        errors.append((idx, "grade", _("is required for investment advisors")))
    for idx in df.index[~is_ia & (df["grade"] != "")]:
        errors.append((idx, "grade", _("applies to investment advisors only")))
    return errors


def _staff_build(df):
    return pd.DataFrame(
        {
            "staff_code": df["staff_code"],
            "name": df["name"],
            "office_id": _int(df["office_code"]),
            "role": df["role"],
            "grade": df["grade"],
            "username": df["username"],
            "is_active": True,
        }
    )


STAFF = Dataset(
    name="staff",
    model=Staff,
    columns=(
        C("staff_code", "text", max_length=16),
        C("name", "text", max_length=64),
        C("office_code", "ref", ref="office"),
        C("role", "enum", choices=tuple(Role.values)),
        C("grade", "enum", required=False, choices=tuple(Grade.values)),
        C("username", "text", required=False, max_length=150),
    ),
    keys=("staff_code",),
    db_keys=("staff_code",),
    build=_staff_build,
    checks=_staff_checks,
)


# --- customers -------------------------------------------------------------
def _customer_checks(df, refs):
    errors = []
    roles = refs["staff_role"]
    adv_role = df["advisor_code"].map(roles)
    bad_adv = adv_role.notna() & ~adv_role.isin(
        [Role.WEALTH_ADVISOR, Role.INSTITUTIONAL_ADVISOR]
    )
    for idx in df.index[bad_adv]:
        errors.append((idx, "advisor_code", _("is not a wealth or institutional advisor")))
    ia_role = df["investment_advisor_code"].map(roles)
    bad_ia = ia_role.notna() & (ia_role != Role.INVESTMENT_ADVISOR)
    for idx in df.index[bad_ia]:
        errors.append((idx, "investment_advisor_code", _("is not an investment advisor")))
    opened, funded, closed = df["opened_on"], df["first_funded_on"], df["closed_on"]
    for idx in df.index[funded.notna() & opened.isna()]:
        errors.append((idx, "first_funded_on", _("is set but the account was never opened")))
    for idx in df.index[funded.notna() & opened.notna() & (funded < opened)]:
        errors.append((idx, "first_funded_on", _("is before the account was opened")))
    for idx in df.index[closed.notna() & (opened.isna() | (closed < opened.fillna(closed)))]:
        errors.append((idx, "closed_on", _("is before the account was opened")))
    return errors


CONSENT_COLUMNS = ("marketing_consent", "do_not_contact")  # optional: a file without them keeps the recorded flags


def _customer_build(df):
    consent = {name: df[name].astype(bool) for name in CONSENT_COLUMNS if name in df.columns}
    return pd.DataFrame(
        {
            **consent,
            "customer_code": df["customer_code"],
            "name": df["name"],
            "kind": df["kind"],
            "office_id": _int(df["office_code"]),
            "advisor_id": _int(df["advisor_code"]),
            "investment_advisor_id": _int(df["investment_advisor_code"]),
            "risk_level": df["risk_level"],
            "risk_assessed_on": _dates(df["risk_assessed_on"]),
            "id_number": df["id_number"],
            "id_expires_on": _dates(df["id_expires_on"]),
            "phone": df["phone"],
            "birth_date": _dates(df["birth_date"]),
            "opened_on": _dates(df["opened_on"]),
            "first_funded_on": _dates(df["first_funded_on"]),
            "closed_on": _dates(df["closed_on"]),
            "prior_experience": df["prior_experience"].where(df["prior_experience"] != "", "unknown"),
            "permission_flags": _int(df["permissions"].map(lambda p: p[0])),
            # {code: date or None}; the engine fills a None from the date already recorded (references).
            "permission_dates": df["permissions"].map(lambda p: p[1]),
            "commission_rate": df["commission_rate"].fillna(0).round(4),
            "updated_at": timezone.now().isoformat(),
        }
    )


CUSTOMERS = Dataset(
    name="customers",
    model=Customer,
    columns=(
        C("customer_code", "text", max_length=20),
        C("name", "text", max_length=100),
        C("kind", "enum", choices=tuple(Customer.Kind.values)),
        C("office_code", "ref", ref="office"),
        C("advisor_code", "ref", required=False, ref="staff"),
        C("investment_advisor_code", "ref", required=False, ref="staff"),
        C("risk_level", "enum", choices=tuple(Customer.RiskLevel.values)),
        C("risk_assessed_on", "date", required=False),
        C("id_number", "text", required=False, max_length=32),
        C("id_expires_on", "date", required=False),
        C("phone", "text", required=False, max_length=32),
        C("birth_date", "date", required=False),
        C("opened_on", "date", required=False),
        C("first_funded_on", "date", required=False),
        C("closed_on", "date", required=False),
        C("prior_experience", "enum", required=False, choices=tuple(Customer.Experience.values)),
        C("permissions", "permissions", required=False),
        C("commission_rate", "decimal"),
        C("marketing_consent", "bool", optional=True),
        C("do_not_contact", "bool", optional=True),
    ),
    keys=("customer_code",),
    db_keys=("customer_code",),
    build=_customer_build,
    checks=_customer_checks,
    touch=("updated_at",),
)


# --- per-customer facts ----------------------------------------------------
def _snapshot_checks(df, refs):
    parts = df["securities_value"] + df["cash"]
    for col in PRODUCT_COLS:
        parts = parts + df[col]
    off = (df["total_assets"] - parts).abs() > 1.0  # allow rounding in the back office
    return [(idx, "total_assets", _("does not equal securities + products + cash")) for idx in df.index[off]]


def _snapshot_build(df):
    out = pd.DataFrame({"customer_id": _int(df["customer_code"]), "date": _dates(df["date"])})
    for col in MONEY_COLS:
        out[col] = df[col].round(2)
    out["maintenance_ratio"] = df["maintenance_ratio"].round(2)
    return out


def _activity_build(df):
    out = pd.DataFrame(
        {"customer_id": _int(df["customer_code"]), "date": _dates(df["date"]), "trade_count": _int(df["trade_count"])}
    )
    for col in ("traded_amount", "commission_income", "product_income", "transfer_in", "transfer_out", "pnl"):
        out[col] = df[col].round(2)
    return out


def _quota_build(df):
    return pd.DataFrame(
        {
            "customer_id": _int(df["customer_code"]),
            "date": _dates(df["date"]),
            "sh_units": _int(df["sh_units"]),
            "sz_units": _int(df["sz_units"]),
        }
    )


def _application_build(df):
    return pd.DataFrame(
        {
            "customer_id": _int(df["customer_code"]),
            "filed_on": _dates(df["filed_on"]),
            "kind": df["kind"],
            "status": df["status"],
        }
    )


def _event_build(df):
    return pd.DataFrame(
        {
            "customer_id": _int(df["customer_code"]),
            "date": _dates(df["date"]),
            "kind": df["kind"],
            "amount": df["amount"].round(2),
            "due_on": _dates(df["due_on"]),
        }
    )


def _money(name, **kw):
    return C(name, "decimal", **kw)


CUSTOMER_REF = C("customer_code", "ref", ref="customer")
SNAPSHOTS = Dataset(
    name="snapshots",
    model=Snapshot,
    columns=(CUSTOMER_REF, C("date", "date"), *(_money(c) for c in MONEY_COLS),
             C("maintenance_ratio", "decimal", required=False, extra={"max": 1e8})),
    keys=("customer_code", "date"),
    db_keys=("customer_id", "date"),
    build=_snapshot_build,
    checks=_snapshot_checks,
)
ACTIVITY = Dataset(
    name="activity",
    model=DailyActivity,
    columns=(
        CUSTOMER_REF,
        C("date", "date"),
        C("trade_count", "int"),
        _money("traded_amount"),
        _money("commission_income"),
        _money("product_income"),
        _money("transfer_in"),
        _money("transfer_out"),
        _money("pnl", signed=True),
    ),
    keys=("customer_code", "date"),
    db_keys=("customer_id", "date"),
    build=_activity_build,
)
IPO_QUOTAS = Dataset(
    name="ipo_quotas",
    model=IpoQuota,
    columns=(CUSTOMER_REF, C("date", "date"), C("sh_units", "int"), C("sz_units", "int")),
    keys=("customer_code", "date"),
    db_keys=("customer_id", "date"),
    build=_quota_build,
)
APPLICATIONS = Dataset(
    name="applications",
    model=Application,
    columns=(
        CUSTOMER_REF,
        C("filed_on", "date"),
        C("kind", "enum", choices=tuple(Application.Kind.values)),
        C("status", "enum", choices=tuple(Application.Status.values)),
    ),
    keys=("customer_code", "filed_on", "kind"),
    db_keys=("customer_id", "filed_on", "kind"),
    build=_application_build,
)
EVENTS = Dataset(
    name="events",
    model=Event,
    columns=(
        CUSTOMER_REF,
        C("date", "date"),
        C("kind", "enum", choices=tuple(Event.Kind.values)),
        _money("amount"),
        C("due_on", "date"),
    ),
    keys=("customer_code", "date", "kind"),
    db_keys=("customer_id", "date", "kind"),
    build=_event_build,
)

DATASETS = {d.name: d for d in (STAFF, CUSTOMERS, SNAPSHOTS, ACTIVITY, IPO_QUOTAS, APPLICATIONS, EVENTS)}
# The order a nightly drop is imported in: later datasets refer to earlier ones.
IMPORT_ORDER = ("staff", "customers", "snapshots", "activity", "ipo_quotas", "applications", "events")
ADVISOR_ROLE_VALUES = tuple(r.value for r in ADVISOR_ROLES)
