"""Policy parameters as people read them, and one form that edits any policy as a labelled, grouped form.

Each policy has a labels module (customers/tiering/param_labels.py, alerts/param_labels.py, …) giving every field
of its params dataclass a `Param`: a label, a unit, a help text and the spec section it belongs to; lists and
mappings name their rows (1★ … 5★, the six stages, the alert rules). `PolicyLabels.missing()` lists the fields
without one, so a parameter added later without a label fails crm/tests/test_param_labels.py.

`PolicyParamsForm` builds the form from those: numbers as number inputs with their unit, a list as one input per
row (a list whose length varies gets blank rows to add, and a row left blank is removed), a mapping as one input per
key; errors are in words and name the row. The policy's own `validate()` then runs and its messages are shown on
the field, with any raw parameter name in them replaced by its label.
"""
import math
import re
from dataclasses import dataclass, fields as dc_fields
from datetime import date

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Units shared by the policies (a count has none).
CNY = _("CNY")
DAYS = _("days")
WORKING_DAYS = _("working days")
MONTHS = _("months")
YEARS = _("years")
HOURS = _("hours")
SHARE = _("share, 0–1")
PERCENTILE = _("percentile, 0–100")
PER_YEAR = _("per year")
PER_MILLE = _("‰")
RATIO = _("ratio")
PERCENT_RATIO = _("%")
CUSTOMERS = _("customers")
POINTS = _("points")

# Kinds of a list's or mapping's items.
NUMBER, INTEGER, DATE, TEXT = "number", "int", "date", "text"


@dataclass(frozen=True)
class Param:
    """How one policy parameter reads: `rows` names the rows of a list (by position) or the keys of a mapping as
    ((key, label), …); `extra_rows` > 0 makes a list's length vary (that many blank rows to add one);
    `optional_keys` lets a mapping's entries be left blank (no entry); `item` is the kind of a row's value;
    `choices` ((value, label), …) makes the value (or each row) a choice instead of a typed number; `scale` shows a
    number as stored × scale (100: a share in percent) and `low` / `high` bound what is entered."""

    label: object
    unit: object = ""
    help: object = ""
    section: str = ""
    rows: tuple = ()
    extra_rows: int = 0
    optional_keys: bool = False
    item: str = NUMBER
    choices: tuple = ()
    scale: float = 1  # a number entered as stored × scale (100: a share entered in percent)
    low: float = None  # bounds of the entered number (checked by the form, in words)
    high: float = None


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    help: object = ""


class PolicyLabels:
    """A policy's params class with the reader's description of every field, grouped by sections."""

    def __init__(self, params_class, sections, params):
        self.params_class = params_class
        self.sections = tuple(sections)
        self.params = dict(params)

    def names(self):
        return [f.name for f in dc_fields(self.params_class)]

    def missing(self):
        """Fields of the params class without a label, help text or known section (a unit may be empty)."""
        keys = {s.key for s in self.sections}
        return [name for name in self.names()
                if name not in self.params or not str(self.params[name].label).strip()
                or not str(self.params[name].help).strip() or self.params[name].section not in keys]

    def label(self, name):
        param = self.params.get(name)
        return str(param.label) if param else name

    def humanize(self, message):
        """A validation message with raw parameter names (growth_max) replaced by their labels."""
        text = str(message)
        for name in sorted(self.params, key=len, reverse=True):
            if name in text:
                text = re.sub(rf"\b{re.escape(name)}\b", f"“{self.label(name)}”", text)
        return text

    def row_label(self, name, key):
        return str(dict(self.params[name].rows).get(key, key)) if name in self.params else str(key)

    def describe(self, name, value):
        """A stored value as the reader sees it: a list or mapping as "label: value" pairs."""
        param = self.params.get(name)
        if isinstance(value, dict):
            return "; ".join(f"{self.row_label(name, k)}: {_display(v, param)}" for k, v in value.items())
        if isinstance(value, (list, tuple)):
            if param and param.rows and not param.extra_rows:
                return "; ".join(f"{label}: {_display(v, param)}" for (_k, label), v in zip(param.rows, value))
            return ", ".join(_display(v, param) for v in value) or "—"
        return _display(value, param)

    def changes(self, old, new):
        """[(section title, label, unit, old text, new text)] for the parameters whose values differ."""
        titles = {s.key: s.title for s in self.sections}
        rows = []
        for name in self.names():
            if name in new and (old or {}).get(name) != new.get(name):
                param = self.params.get(name)
                rows.append({"name": name, "section": str(titles.get(param.section, "")) if param else "",
                             "label": self.label(name), "unit": str(param.unit) if param else "",
                             "old": self.describe(name, (old or {}).get(name)) if old and name in old else "—",
                             "new": self.describe(name, new.get(name))})
        return rows

    def grouped(self, values):
        """[(section, [(label, unit, text)])] of a stored version's values, for reading it."""
        out = []
        for section in self.sections:
            items = [(self.label(n), str(self.params[n].unit), self.describe(n, values.get(n)))
                     for n in self.names() if n in values and self.params.get(n) and self.params[n].section == section.key]
            if items:
                out.append((section, items))
        return out


def _display(value, param):
    if value is None:
        return "—"
    if param and param.choices and not callable(param.choices):
        return str(dict(param.choices).get(value, value))
    if isinstance(value, float) and value.is_integer():  # 80.0 reads 80, 6000000.0 reads 6,000,000
        return f"{int(value):,}" if abs(value) >= 1000 else str(int(value))
    if isinstance(value, float) and math.isfinite(value):
        text = f"{value:.8f}".rstrip("0").rstrip(".")  # the stored value, without a float's noise
        if len(text.partition(".")[2]) < 3:
            return text
        if param and (param.unit is PER_MILLE or param.unit is PERCENT_RATIO):
            return f"{text}{param.unit}"  # 0.0541‰: the number is in the unit's own measure
        # a small share or rate (0.005 per year) as people write it: 0.5%
        return f"{value * 100:.6f}".rstrip("0").rstrip(".") + "%"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10000:
        return f"{value:,}"
    return str(value)


# --- the form -----------------------------------------------------------------------------------------------

def _parse(raw, kind, choices=()):
    """One typed value from text; ValueError with a message in words when it is not of its kind."""
    text = str(raw).strip()
    if choices:
        allowed = {str(v): v for v, _label in choices}
        if text not in allowed:
            raise ValueError(_("choose one of the listed values"))
        return allowed[text]
    if kind == TEXT:
        return text
    if kind == DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(_("enter a date as YYYY-MM-DD")) from None
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(_("enter a whole number") if kind == INTEGER else _("enter a number")) from None
    if not math.isfinite(number):
        raise ValueError(_("enter a number"))
    if kind == INTEGER:
        if not number.is_integer():
            raise ValueError(_("enter a whole number"))
        return int(number)
    return number


class RowsWidget(forms.Widget):
    """One input per row of a list or key of a mapping, posted as `<name>__<key>` (a list's keys are 0, 1, …)."""

    template_name = "crm/widgets/param_rows.html"

    def __init__(self, rows=(), extra=0, mapping=False, kind=NUMBER, choices=(), attrs=None):
        super().__init__(attrs)
        self.rows, self.extra, self.mapping, self.kind, self.choices = tuple(rows), extra, mapping, kind, choices

    def value_from_datadict(self, data, files, name):
        if self.mapping:
            return {key: data.get(f"{name}__{key}") for key, _label in self.rows}
        if self.extra:  # the posted rows in order, whatever their count (blank ones are dropped by the field)
            prefix = f"{name}__"
            indices = sorted(int(k[len(prefix):]) for k in data if k.startswith(prefix) and k[len(prefix):].isdigit())
            return [data.get(f"{prefix}{i}") for i in indices[:200]]
        return [data.get(f"{name}__{i}") for i in range(len(self.rows))]

    def id_for_label(self, id_):
        """A label points at the first row's input."""
        if not id_:
            return id_
        first = self.rows[0][0] if self.rows else "0"
        return f"{id_}__{first}"

    def value_omitted_from_data(self, data, files, name):
        return not any(k.startswith(f"{name}__") for k in data)

    def _pairs(self, value):
        if self.mapping:
            value = value if isinstance(value, dict) else {}
            return [(key, label, value.get(key)) for key, label in self.rows]
        value = list(value) if isinstance(value, (list, tuple)) else []
        if self.extra:
            value = value + [None] * self.extra
            return [(str(i), format_lazy(_("Row {n}"), n=i + 1), v) for i, v in enumerate(value)]
        value = value + [None] * (len(self.rows) - len(value))
        return [(str(i), label, v) for i, ((_key, label), v) in enumerate(zip(self.rows, value))]

    def render(self, name, value, attrs=None, renderer=None):
        """Rendered from the project's templates (the default form renderer reads only Django's own)."""
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["attrs"]["id"] = base_id
        disabled = context["widget"]["attrs"].get("disabled")
        context["widget"]["rows"] = [
            {"name": f"{name}__{key}", "id": f"{base_id}__{key}", "label": label,
             "value": _input_text(v),
             "selected": "" if v is None else str(v)}
            for key, label, v in self._pairs(value)]
        context["widget"].update(kind=self.kind, choices=self.choices, disabled=disabled, variable=bool(self.extra))
        return context


def _input_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


class RowsField(forms.Field):
    """A list (fixed rows, or rows to add and remove) or a mapping of typed values, each row checked in words."""

    def __init__(self, *, rows=(), extra=0, mapping=False, kind=NUMBER, optional_keys=False, choices=(), **kwargs):
        self.rows, self.extra, self.mapping, self.kind = tuple(rows), extra, mapping, kind
        self.optional_keys, self.choices = optional_keys, tuple(choices)
        kwargs.setdefault("required", False)  # a blank row is reported by row below
        super().__init__(widget=RowsWidget(rows, extra, mapping, kind, choices), **kwargs)

    def clean(self, value):
        labels = dict(self.rows)
        entries = value.items() if isinstance(value, dict) else enumerate(value or [])
        out, problems = ({} if self.mapping else []), []
        for key, raw in entries:
            label = labels.get(key, key) if self.mapping else (
                format_lazy(_("Row {n}"), n=key + 1) if self.extra else self.rows[key][1])
            if raw is None or str(raw).strip() == "":
                if self.extra or (self.mapping and self.optional_keys):
                    continue  # a blank row is removed / a blank entry is left out
                problems.append(format_lazy(_("{row}: fill this in"), row=label))
                continue
            try:
                parsed = _parse(raw, self.kind, self.choices)
            except ValueError as exc:
                problems.append(format_lazy(_("{row}: {problem}"), row=label, problem=exc.args[0]))
                continue
            if self.mapping:
                out[key] = parsed
            else:
                out.append(parsed)
        if problems:
            raise forms.ValidationError([str(p) for p in problems])
        return out if self.mapping else tuple(out)


class PolicyParamsForm(forms.Form):
    """Every parameter of a policy (a JsonParams dataclass with validate()) as a labelled form grouped by
    section. `cleaned_data["params"]` is the validated params instance; nothing is written here."""

    note = forms.CharField(label=_("What changes and why"), max_length=200, required=False)

    def __init__(self, *args, labels, initial_params=None, note_required=False, editable=True, only=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = labels
        self.only = only
        self.fields["note"].required = note_required
        params = initial_params if initial_params is not None else labels.params_class()
        note = self.fields.pop("note")
        for name in labels.names():
            if only is not None and name not in only:
                continue
            self.fields[name] = self._field(name, labels.params[name], getattr(params, name))
        self.fields["note"] = note
        self.base_params = params
        for field in self.fields.values():
            field.disabled = not editable
            if not editable:
                field.widget.attrs["readonly"] = True
            if not isinstance(field.widget, RowsWidget):
                css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
                field.widget.attrs["class"] = css

    @staticmethod
    def _field(name, param, value):
        choices = param.choices() if callable(param.choices) else param.choices
        common = {"label": param.label, "help_text": param.help}
        bounds = {"min_value": param.low, "max_value": param.high}
        if isinstance(value, dict):
            rows = param.rows or tuple((k, k) for k in value)
            field = RowsField(rows=rows, mapping=True, kind=param.item, optional_keys=param.optional_keys,
                              choices=choices, initial=dict(value), **common)
        elif isinstance(value, (tuple, list)):
            field = RowsField(rows=param.rows, extra=param.extra_rows if not param.rows else 0, kind=param.item,
                              choices=choices, initial=tuple(value), **common)
        elif choices:
            field = forms.TypedChoiceField(choices=choices, coerce=type(value), initial=value, **common)
        elif isinstance(value, int) and not isinstance(value, bool) and param.scale == 1:
            field = forms.IntegerField(initial=value, **bounds, **common)
        else:
            shown = round(value * param.scale, 10) if param.scale != 1 else value
            field = forms.FloatField(initial=shown, **bounds, **common)
        field.scale = param.scale
        field.unit = param.unit
        field.section = param.section
        return field

    def sections(self):
        """[(section, [bound fields])] in the labels' order, empty sections left out."""
        out = []
        for section in self.labels.sections:
            bound = [self[name] for name, field in self.fields.items()
                     if getattr(field, "section", None) == section.key]
            if bound:
                out.append({"section": section, "fields": bound})
        return out

    def clean(self):
        data = super().clean()
        values = self.base_params.to_json()
        for name in self.fields:
            if name != "note" and name in data:
                value = data[name]
                if getattr(self.fields[name], "scale", 1) != 1 and value is not None:
                    value = value / self.fields[name].scale
                values[name] = list(value) if isinstance(value, tuple) else value
        params = self.labels.params_class.from_json(values)
        for name, message in params.validate().items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, self.labels.humanize(message))
            elif name not in self.fields:
                self.add_error(None, f"{self.labels.label(name)}: {self.labels.humanize(message)}")
        if not self.errors:
            data["params"] = params
        return data
