"""Labels for codes shown on product pages (grades, permissions), in the active language."""
import html

from django import template
from django.utils.safestring import mark_safe

from customers.models import Grade
from customers.permissions import PERMISSION_LABELS

register = template.Library()
GRADE_LABELS = dict(Grade.choices)


@register.filter
def grade_label(code):
    return GRADE_LABELS.get(code, code) if code else "—"


@register.filter
def permission_labels(codes):
    return "、".join(str(PERMISSION_LABELS.get(c, c)) for c in codes) if codes else "—"


@register.simple_tag
def excluded_rows(excluded):
    """The customer page's "not matched, and why" rows (about twenty: every product the customer may not be
    sold), built in one pass like the customer list's rows; every value escaped with html.escape."""
    out = []
    for e in excluded:
        version = e["version"]
        name, risk, reason, text = (html.escape(str(v)) for v in (version.display_name, version.risk,
                                                                   e["verdict"].reason, e["text"]))
        out.append(f'<tr><td>{name}</td><td>{risk}</td><td data-reason="{reason}">{text}</td></tr>')
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
