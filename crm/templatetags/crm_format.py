"""Amounts as people in a branch read them: 1,234,567 in English, 123.46万 in Chinese."""
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language

register = template.Library()


@register.filter
def cny(value):
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if not amount.is_finite():  # NaN from an empty pandas cell, or an infinite ratio: nothing to show
        return "—"
    if (get_language() or "").startswith("zh") and abs(amount) >= 10_000:
        return f"{amount / 10_000:,.2f}万"
    return f"{amount:,.0f}"


@register.simple_tag(takes_context=True)
def sort_link(context, key):
    """Query string that sorts by `key`, toggling to descending when already ascending."""
    request = context["request"]
    query = request.GET.copy()
    current = query.get("ordering", "")
    query["ordering"] = f"-{key}" if current == key else key
    query.pop("page", None)
    return "?" + query.urlencode()


@register.filter
def pct(value):
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def num(value):
    """Counts with separators; large amounts as cny; anything else unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if number.is_integer() and abs(number) < 10_000:
        return f"{int(number):,}"
    return cny(value)


@lru_cache(maxsize=None)
def _customer_path():
    marker = "0MARKER0"
    return reverse("customers:detail", args=[marker]).replace(marker, "{}")


@register.filter
def customer_url(code):
    """The customer page of a code, for rows of lists: the URL pattern is resolved once per process, not once
    per row (50 reverse() calls cost a page several milliseconds)."""
    return _customer_path().format(quote(str(code), safe=RFC3986_SUBDELIMS + "~:@"))  # as reverse() quotes


@register.filter
def stage_name(code):
    """A lifecycle stage code in the reader's language (— when empty)."""
    from customers.tiering.explain import stage_label

    return stage_label(code) if code else "—"
