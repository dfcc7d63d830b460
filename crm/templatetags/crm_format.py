"""Amounts as people in a branch read them: 1,234,567 in English, 123.46万 in Chinese."""
import html
from decimal import Decimal, InvalidOperation
from functools import cache
from urllib.parse import quote

from django import forms, template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.filter
def cny(value):
    return _amount(value, (get_language() or "").startswith("zh"))


def _amount(value, in_wan):
    """cny() once the language is known: `in_wan` for Chinese (万 from ten thousand up)."""
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if not amount.is_finite():  # NaN from an empty pandas cell, or an infinite ratio: nothing to show
        return "—"
    if in_wan and abs(amount) >= 10_000:
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


def plain_number(value):
    """A measured number as people write it: 17.0 -> 17, 21.3333 -> 21.3, 1234567.0 -> 1,234,567 (never a
    float's repr on a page). Anything that is not a float is returned as it is."""
    if isinstance(value, bool) or not isinstance(value, float | Decimal):
        return value
    if value != value:  # NaN
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.1f}" if abs(value) >= 1 else f"{float(value):.2f}"


register.filter("plain_number", plain_number)


@register.filter
def enum_label(value, enum):
    """A stored choice value in the reader's words, by the enum's dotted name (app label, model, enum):
    {{ k|enum_label:"surveys.PlanItem.Reason" }}. An unknown value is shown as it is."""
    from django.apps import apps

    app_label, model, name = enum.split(".")
    choices = getattr(apps.get_model(app_label, model), name)
    try:
        return choices(value).label
    except ValueError:
        return value


@register.filter
def star_name(code):
    """A value star in the reader's language: 5 -> 5★, platinum -> 铂金 (— when empty)."""
    from customers.tiering.explain import star_label

    return star_label(str(code)) if code else "—"


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


@cache
def _customer_path():
    marker = "0MARKER0"
    return reverse("customers:detail", args=[marker]).replace(marker, "{}")


@cache
def _path_of(name):
    """A route taking one argument, resolved once per process into a format string (an int route takes the
    number marker, any other the text marker)."""
    for marker in ("987654321", "0MARKER0"):
        try:
            return reverse(name, args=[marker]).replace(marker, "{}")
        except NoReverseMatch:
            continue
    raise NoReverseMatch(name)


@register.filter
def path_to(value, name):
    """`{{ alert.pk|path_to:"alerts:detail" }}`: reverse() of a one-argument route for rows and cards, without
    resolving the pattern again for each (four per card cost the today page a third of its time)."""
    return _path_of(name).format(quote(str(value), safe=RFC3986_SUBDELIMS + "~:@"))


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


@register.simple_tag
def customer_rows(rows):
    """The customer list's table rows (customers.selectors.list_rows, named by name_list_rows), built in one
    pass: the same markup as a template loop with ten variables and four filters per row, at a tenth of the
    time (the list is the page staff open most). The reader's language is looked up once for the page, not
    for each amount and stage. Every value is escaped here (the standard library's html.escape, as Django's
    own)."""
    from customers.tiering.explain import stage_label, star_label

    dash = "—"
    in_wan = (get_language() or "").startswith("zh")
    stages, stars = {}, {}
    out = []
    for c in rows:
        advisor = c["advisor__name"] or dash
        if c["investment_advisor__name"]:
            advisor = f"{advisor} / {c['investment_advisor__name']}"
        stage = c["tier__lifecycle_stage"]
        if stage not in stages:
            stages[stage] = stage_label(stage) if stage else dash
        star = c["tier__star"]
        if star not in stars:
            stars[star] = star_label(star) if star else dash
        cells = (c["customer_code"], c["name"], c["office__code"], advisor, c["risk_level"],
                 _amount(c["tier__total_assets"], in_wan), stars[star], stages[stage],
                 c["tier__quadrant"] or dash, _amount(c["tier__clv"], in_wan))
        code, name, office, advisor, risk, assets, star, stage, quadrant, clv = (
            html.escape(str(v)) for v in cells)
        out.append(f'<tr><td><a href="{html.escape(customer_url(c["customer_code"]))}" data-row-link>{code}</a></td>'
                   f"<td>{name}</td><td>{office}</td><td>{advisor}</td><td>{risk}</td><td class=\"num\">{assets}</td>"
                   f'<td>{star}</td><td>{stage}</td><td>{quadrant}</td><td class="num">{clv}</td></tr>')
    return mark_safe("\n".join(out))  # noqa: S308 (every value above is escaped)


POSITION_FIELDS = ("securities_value", "equity_fund_value", "fixed_income_value", "reits_trust_value",
                   "other_product_value", "cash", "margin_debt")


@register.simple_tag
def position_rows(history):
    """The customer page's positions table, newest month first: total assets (with its month) and the seven
    amounts of each snapshot, in one pass like customer_rows (13 rows of 8 amounts, the language looked up once)."""
    in_wan = (get_language() or "").startswith("zh")
    out = []
    for s in reversed(history):
        day = s.date.isoformat()
        cells = "".join(f'<td class="num">{html.escape(_amount(getattr(s, f), in_wan))}</td>' for f in POSITION_FIELDS)
        out.append(f'<tr title="{day}"><td class="num">{html.escape(_amount(s.total_assets, in_wan))} '
                   f'<span class="text-muted small">{day[:7]}</span></td>{cells}</tr>')
    return mark_safe("".join(out))  # noqa: S308 (amounts and dates only, escaped)


EMPTY_CHOICES = ("", "unknown")  # the "any" option of a choice filter and of a yes/no filter


@register.simple_tag
def filter_control(field, small=False, search=""):
    """One control of a FilterSet's filter bar (every list page has one), label included: a <select> whose
    "any" option names the field (the bar has no room for visible labels), a date picker for date filters,
    or a text input with the label as placeholder. `small`: the compact size; `search`: the name of the field
    the search key (/) focuses."""
    size = " form-control-sm" if small else ""
    label = format_html('<label class="visually-hidden" for="{}">{}</label>', field.id_for_label, field.label)
    if getattr(field.field.widget, "input_type", None) == "select":
        return label + _filter_select(field, " form-select-sm" if small else "")
    value = field.value()
    value = "" if value is None else value
    if isinstance(field.field, forms.DateField):
        return label + format_html('<input class="form-control{}" type="date" name="{}" id="{}" value="{}" '
                                   'title="{}">', size, field.html_name, field.id_for_label, value, field.label)
    return label + format_html('<input class="form-control{}" name="{}" id="{}" value="{}" placeholder="{}"{}>',
                               size, field.html_name, field.id_for_label, value, field.label,
                               mark_safe(" data-search") if search and field.name == search else "")


def _filter_select(field, size):
    """A choice field as a <select> with the current value selected. Yes/no filters keep their choices on the
    widget, and it spells their values (true / false / unknown). The options (about fifty in the customer
    bar) are escaped with the standard library's html.escape, as Django's own.

    The markup is kept on the form field for each language, size and selected choice: the fields of a
    crm.filtersets.FixedFilterSet live as long as the process, and a bar of fifty translated options cost
    every list view half a millisecond. A value that is not one of the choices is rendered afresh, so what is
    kept stays as small as the choices."""
    widget = field.field.widget
    current = widget.format_value(field.value())
    current = (current[0] if current else "") if isinstance(current, list) else str(current or "")
    kept = field.field.__dict__.setdefault("_filter_select_markup", {})
    key = (get_language(), size, field.html_name, field.id_for_label, current)
    markup = kept.get(key)
    if markup is None:
        choices = [(str(value), label) for value, label in getattr(field.field, "choices", None) or widget.choices]
        options = "".join(
            f'<option value="{html.escape(value)}"{" selected" if value == current else ""}>'
            f'{html.escape(str(field.label if value in EMPTY_CHOICES else label))}</option>'
            for value, label in choices)
        markup = format_html('<select class="form-select{}" name="{}" id="{}" title="{}">{}</select>', size,
                             field.html_name, field.id_for_label, field.label, mark_safe(options))  # noqa: S308
        if any(value == current for value, _label in choices):
            kept[key] = markup
    return markup


@register.filter
def detail_pairs(detail):
    """An audit event's JSON detail as (key, text) pairs, read as data: `detail.items` in a template would look
    a key named "items" (or "keys", "values"…) up first. Nested values are shown as compact JSON."""
    import json

    if isinstance(detail, dict):
        pairs = sorted(detail.items(), key=lambda kv: str(kv[0]))
    elif detail in (None, "", [], {}):
        return []
    else:
        pairs = [("", detail)]
    return [(str(k), v if isinstance(v, str | int | float | bool) or v is None
             else json.dumps(v, ensure_ascii=False, sort_keys=True)) for k, v in pairs]


@register.filter
def version_note(note):
    """A policy version's note: a note our migrations shipped (in English) reads through its translated label; a
    note a person typed is their data, shown as typed (translate="no")."""
    from crm.shipped_notes import SHIPPED_NOTES

    if not note:
        return ""
    label = SHIPPED_NOTES.get(str(note).strip())
    if label is not None:
        return str(label)
    return format_html('<span translate="no">{}</span>', note)
