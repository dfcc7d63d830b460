"""Business permissions (开通权限) as bit flags: compact to store and set-based to test in SQL.

The codes are the fixed ones of interfaces.md; bit positions are part of the schema
and must never be reordered (append new codes at the end).
"""
from django.utils.translation import gettext_lazy as _

PERMISSION_CODES = (
    "margin",
    "star_market",
    "hk_connect",
    "neeq",
    "options",
    "share_transfer",
    "pledged_repo",
    "block_trade",
)
PERMISSION_LABELS = {
    "margin": _("Margin trading"),
    "star_market": _("STAR Market"),
    "hk_connect": _("HK Connect"),
    "neeq": _("NEEQ"),
    "options": _("Options"),
    "share_transfer": _("Share transfer"),
    "pledged_repo": _("Pledged repo"),
    "block_trade": _("Block trade"),
}
BIT = {code: 1 << i for i, code in enumerate(PERMISSION_CODES)}


def to_flags(codes):
    """Codes (iterable) -> int; raises KeyError naming the first unknown code."""
    flags = 0
    for code in codes:
        flags |= BIT[code]
    return flags


def to_codes(flags):
    return [code for code in PERMISSION_CODES if flags & BIT[code]]


def parse(text):
    """`margin;options` -> (flags, unknown codes)."""
    codes = [c.strip() for c in (text or "").split(";") if c.strip()]
    unknown = [c for c in codes if c not in BIT]
    return to_flags(c for c in codes if c in BIT), unknown


DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def parse_with_dates(text):
    """`margin:2021-03-04;star_market` -> (flags, {code: "YYYY-MM-DD" or None}, unknown codes, bad dates).

    Each held code may carry the date it was opened after a colon; a code without one maps to None (the caller
    keeps a date already recorded). Bad dates are (code, text) pairs: not YYYY-MM-DD, not a calendar date, or
    outside 1900-2100 (the import's plausible dates). The dates come out in the codes' fixed order."""
    import re
    from datetime import date

    held, unknown, bad = {}, [], []
    for part in (text or "").split(";"):
        code, sep, when = part.partition(":")
        code, when = code.strip(), when.strip()
        if not code and not sep:
            continue
        if code not in BIT:
            unknown.append(code or part.strip())
            continue
        opened = None
        if sep:
            try:
                if not re.fullmatch(DATE_PATTERN, when):
                    raise ValueError
                opened = date.fromisoformat(when)
                if not 1900 <= opened.year <= 2100:
                    raise ValueError
                opened = opened.isoformat()
            except ValueError:
                bad.append((code, when))
                continue
        if opened or code not in held:
            held[code] = opened
    dates = {code: held[code] for code in PERMISSION_CODES if code in held}
    return to_flags(dates), dates, unknown, bad
