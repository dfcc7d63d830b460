"""Policy parameters as frozen dataclasses stored as JSON (tiering, alert and KPI policies share this)."""
import math
from dataclasses import asdict, fields

from django.utils.translation import gettext as _


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shape_error(value, default):
    """The message for a value that is not of its default's kind (None when it is)."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else _("true or false")
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else _("a whole number")
    if isinstance(default, float):
        return None if _is_number(value) else _("a number")
    if isinstance(default, tuple):
        numbers = any(_is_number(v) for v in default)  # an empty default (dates) holds texts
        if isinstance(value, tuple) and all(_is_number(v) if numbers else isinstance(v, str) for v in value):
            return None
        return _("a JSON list of numbers, e.g. [1, 2]") if numbers else _('a JSON list of texts, e.g. ["2026-10-01"]')
    if isinstance(default, dict):
        if isinstance(value, dict) and all(_is_number(v) for v in value.values()):
            return None
        return _('a JSON object of numbers, e.g. {"3": 2}')
    return None


class JsonParams:
    """Mixin for a frozen dataclass of policy values: read from a version's JSON (unknown keys ignored, missing
    keys take the defaults, lists become tuples) and written back (tuples become lists)."""

    @classmethod
    def from_json(cls, data):
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in (data or {}).items() if k in known})

    def shape_errors(self):
        """{field: message} for values not of their default's kind (text, a list where a number belongs, NaN):
        the values come from forms and APIs, and the range checks of validate() assume the right kinds."""
        defaults = type(self)()
        errors = {}
        for f in fields(self):
            message = _shape_error(getattr(self, f.name), getattr(defaults, f.name))
            if message:
                errors[f.name] = message
        return errors

    def to_json(self):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
