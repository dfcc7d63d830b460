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
