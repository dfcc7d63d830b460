"""Column specifications and their vectorised checks.

Each check takes the column as a Series of stripped strings and returns
(parsed Series, Series of error messages or None).
"""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from .. import permissions

MAX_MONEY = 1e15  # NUMERIC(18, 2)
MAX_INT = 2**31 - 1
BOOL_VALUES = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
               "是": True, "否": False}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | enum | date | decimal | int | ref | permissions | bool
    required: bool = True
    optional: bool = False  # may be absent from the file's header: then its field is not written at all
    max_length: int = 100
    choices: tuple = ()
    signed: bool = False  # decimals may be negative (P&L)
    ref: str = ""  # customer | office | staff (for kind == "ref")
    extra: dict = field(default_factory=dict)


def _messages(mask, message):
    return pd.Series(np.where(mask, message, None), index=mask.index, dtype=object)


def check_column(col, values, refs):
    """Return (parsed values, error messages) for one column."""
    empty = values == ""
    errors = pd.Series(None, index=values.index, dtype=object)
    if col.required:
        errors = errors.where(~empty, _("is required"))
    present = ~empty

    if col.kind == "text":
        parsed = values
        too_long = present & (values.str.len() > col.max_length)
        errors = errors.where(~too_long, _("is longer than %(n)d characters") % {"n": col.max_length})
    elif col.kind == "enum":
        parsed = values
        bad = present & ~values.isin(col.choices)
        errors = errors.where(~bad, _("must be one of: %(choices)s") % {"choices": ", ".join(col.choices)})
    elif col.kind == "date":
        parsed = pd.to_datetime(values.where(present), format="%Y-%m-%d", errors="coerce")
        bad = present & (parsed.isna() | ~values.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
        errors = errors.where(~bad, _("is not a date in the form YYYY-MM-DD"))
        out_of_range = present & ~bad & ((parsed.dt.year < 1900) | (parsed.dt.year > 2100))
        errors = errors.where(~out_of_range, _("is not a plausible date"))
    elif col.kind in ("decimal", "int"):
        parsed = pd.to_numeric(values.where(present), errors="coerce")
        bad = present & (parsed.isna() | ~np.isfinite(parsed.fillna(0)))
        errors = errors.where(~bad, _("is not a number"))
        ok = present & ~bad
        if col.kind == "int":
            not_int = ok & (parsed.fillna(0) % 1 != 0)
            errors = errors.where(~not_int, _("is not a whole number"))
            errors = errors.where(~(ok & (parsed.abs() > MAX_INT)), _("is too large"))
        else:
            errors = errors.where(~(ok & (parsed.abs() >= col.extra.get("max", MAX_MONEY))), _("is too large"))
            parsed = parsed.round(4)
        if not col.signed:
            errors = errors.where(~(ok & (parsed < 0)), _("must not be negative"))
    elif col.kind == "bool":
        lowered = values.str.lower()
        parsed = lowered.map(BOOL_VALUES)
        bad = present & parsed.isna()
        errors = errors.where(~bad, _("must be 1 or 0 (yes or no)"))
    elif col.kind == "ref":
        lookup = refs[col.ref]
        parsed = values.map(lookup)
        unknown = present & parsed.isna()
        errors = errors.where(~unknown, _("unknown %(what)s") % {"what": _(col.ref)})
    elif col.kind == "permissions":
        # Parsed: (flags, {code: opening date or None}) per row; an unknown code or a bad date is an error.
        parts = values.map(permissions.parse_with_dates)
        parsed = parts.map(lambda p: (p[0], p[1]))
        unknown = _("unknown permission(s): %(codes)s")
        bad_date = _("the opening date of %(code)s (%(value)s) is not a plausible date in the form YYYY-MM-DD")

        def problems(p):
            found = [unknown % {"codes": ", ".join(p[2])}] if p[2] else []
            found += [bad_date % {"code": code, "value": when} for code, when in p[3]]
            return "; ".join(found) or None

        messages = parts.map(problems)
        errors = errors.where(messages.isna(), messages)
    else:  # pragma: no cover - a spec error, not a data error
        raise ValueError(f"unknown column kind {col.kind}")
    return parsed, errors
