"""Labels for codes shown on product pages (grades, permissions), in the active language."""
from django import template

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
