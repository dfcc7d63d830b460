"""The pages as a Chinese reader reads them (issue 20).

1. Every GET page of the project (the URL resolver's routes, as walked by test_scope_matrix.py) is rendered as
   each role, in Chinese (the language switch's cookie), on a small generated branch (tiered, scanned, surveyed).
   The visible text — text nodes and the `title`, `placeholder`, `aria-label` and `alt` attributes, without
   `<script>`/`<style>`/`<textarea>` (text being edited) and without elements marked `translate="no"` (the
   HTML standard's mark for data: codes, names, audit records) — must hold no raw identifier and no English
   word outside data:
   - an enum's stored value (`platinum`, `potential`, `open` …) instead of its label;
   - a snake_case key (`large_outflow`, `assets_elsewhere`);
   - a Python repr (`True`/`False`/`None`, `{'…'}`, `Decimal(`);
   - an unformatted number (`14.3333`, `2.0`): evidence and measures are formatted (percent, 万, dates);
   - any Latin word that is not the data of this branch (names and codes read from its tables) and not on
     ALLOWED_LATIN, the reviewed list of legitimate Latin text, each with its reason.
2. `locale/glossary.md` is the reviewed glossary of the study's own terms: every used msgid that the glossary
   names must read as the glossary says, and no msgid may be given the Chinese that the glossary reserves for
   another meaning (the issue's 客户号 for "Code", 原值/新值 for a date range's From/To, 未关闭 for an alert's
   "Open"). The messages are extracted afresh from the source (as test_translations.py does) and read through
   the catalogues the running site uses.
3. Every enum of our apps has a label in both languages (not its value, and a Chinese label that is Chinese).
"""
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.utils import translation

from crm.tests.fuzz_support import keep_test_connection
from crm.tests.test_scope_matrix import concrete, routes

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 26)
OUR_APPS = ("crm", "customers", "products", "surveys", "alerts", "planner", "outreach", "campaigns")
ROLES = ("wealth_advisor", "investment_advisor", "institutional_advisor", "operations", "office_manager",
         "branch_manager", "compliance")

# Latin text a Chinese page may legitimately show, each with the reason it is not a translation gap.
ALLOWED_LATIN = {
    # the study's own abbreviations, used as such in the Chinese thesis
    "CEV": "customer's existing value (study 3.2), an abbreviation the thesis uses in Chinese",
    "CPV": "customer's potential value (study 3.2)", "CLV": "customer lifetime value (study 3.2)",
    "STP": "segmentation/targeting/positioning sub-types (study 4.2)",
    "KPI": "key performance indicator, used as such in Chinese brokerage offices",
    "ID": "identity-document number (身份证/ID), as the back office labels it",
    "CRM": "the product's name (客户关系管理 is spelled out where it is described)",
    "CNY": "the currency code, beside amounts",
    "CSV": "file format", "XLSX": "file format", "API": "the programming interface's name",
    "SLA": "service-level agreement, a term of the alert policy",
    "REITs": "the asset class's own name in Chinese markets (公募REITs)",
    "ETF": "exchange-traded fund, as Chinese brokerages write it", "IPO": "initial public offering (新股)",
    "WeChat": "no: 微信 — kept out", "English": "the language switch names the other language in that language",
    "TradeStation": "a product's registered name", "QQ": "the messaging service's name",
    "LOF": "listed open-ended fund, as written in Chinese markets", "FOF": "fund of funds, as written in Chinese",
    "VIP": "as written in Chinese service tiers", "OTC": "over-the-counter, as written in Chinese markets",
    "PDF": "file format", "Excel": "the spreadsheet program's name",
    "Swagger": "the API documentation tool's name", "ReDoc": "the API documentation tool's name",
    "OpenAPI": "the API description format's name",
    "ping": "the trivial page the web benchmark measures against (/ping/), named as the URL",
    "Tab": "the keyboard key, as printed on it", "Alt": "the keyboard key, as printed on it",
    "AUC": "the area under the ROC curve, written AUC in Chinese model reports (曲线下面积)",
    "UTF": "the file encoding's name (UTF-8)",
    "APP": "as Chinese brokerages write a mobile app (金太阳 APP)",
}
ALLOWED_LATIN.pop("WeChat")  # a channel label must read 微信

ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z'’]{2,}(?![A-Za-z0-9_])")
SNAKE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w])")
REPR = re.compile(r"(?<![A-Za-z])(True|False|None)(?![A-Za-z])|\{'|'\}|\['|Decimal\(|datetime\.|<[A-Z]\w+: ")
RAW_NUMBER = re.compile(r"(?<![\d.,:/-])\d+\.(?:\d{3,}|0)(?![\d.%‰])")
REPR_WORDS = ("True", "False", "None")  # reported as Python reprs, not as English
CODE_LIKE = re.compile(r"^(?:[A-Z0-9][A-Z0-9_\-]*\d[A-Z0-9_\-]*|I{1,3}|IV|VI?)$")  # C3, R5, S2020, Q6; STP I–VI


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the attributes a browser shows, minus scripts, styles and
    elements marked translate="no" (data)."""
    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self.stack, self.hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # a <textarea> holds the text being edited (data in whatever language it was written)
        hide = tag in ("script", "style", "template", "textarea") or attrs.get("translate") == "no"
        if not self.hidden and not hide:
            self.chunks.extend(v for k, v in attrs.items() if k in self.SHOWN_ATTRIBUTES and v)
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.chunks.append(attrs["value"])
        if tag in self.VOID:
            return
        self.stack.append(hide)
        self.hidden += hide

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        self.hidden -= self.stack.pop()

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.chunks.append(data.strip())


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return parser.chunks


def enum_values():
    """Every stored value of our apps' choices that is a word (the raw value a page must not show)."""
    values = set()
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                for value, _label in getattr(field, "flatchoices", None) or ():
                    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                        values.add(value)
    return values


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    context: str


def findings(chunks, data_words, raw_enums):
    """What a Chinese reader would stumble on in `chunks`: (kind, offending text, its sentence)."""
    found = []
    for chunk in chunks:
        if not re.search(r"[A-Za-z]|\d\.\d", chunk):
            continue
        for m in REPR.finditer(chunk):
            found.append(Finding("python repr", m.group(0), chunk[:120]))
        for m in SNAKE.finditer(chunk):
            if m.group(0) not in data_words:
                found.append(Finding("snake_case key", m.group(0), chunk[:120]))
        for m in RAW_NUMBER.finditer(chunk):
            found.append(Finding("unformatted number", m.group(0), chunk[:120]))
        for m in ENGLISH_WORD.finditer(chunk):
            word = m.group(0).strip("'’")
            if word in data_words or word in ALLOWED_LATIN or CODE_LIKE.match(word) or word in REPR_WORDS:
                continue
            if SNAKE.fullmatch(chunk[m.start():m.end()]):
                continue
            kind = "raw enum value" if word in raw_enums else "English word"
            found.append(Finding(kind, word, chunk[:120]))
    return found


def data_vocabulary():
    """Latin words that are this branch's data, read from its tables: names, codes, usernames, product names.
    A page may show them in any language."""
    from django.contrib.auth import get_user_model

    from customers.models import Customer, ImportBatch, Office, Staff
    from products.models import Product, ProductVersion
    from surveys.models import Question, Questionnaire

    words = set()

    def add(*texts):
        for text in texts:
            if text:
                words.add(str(text))
                words.update(re.findall(r"[A-Za-z][A-Za-z0-9_'’-]*", str(text)))
                words.update(re.findall(r"[A-Za-z][A-Za-z0-9]*", str(text)))

    for row in Customer.objects.values_list("customer_code", "name"):
        add(*row)
    for row in Staff.objects.values_list("staff_code", "name"):
        add(*row)
    for row in Office.objects.values_list("code", "name_zh"):
        add(*row)
    add(*get_user_model().objects.values_list("username", flat=True))
    add(*Product.objects.values_list("code", flat=True))
    add(*ProductVersion.objects.values_list("name_zh", flat=True))  # the Chinese name; name_en is a translation
    add(*ImportBatch.objects.values_list("filename", flat=True))  # the uploaded file's own name
    add(*Questionnaire.objects.values_list("code", flat=True))
    add(*Question.objects.values_list("code", flat=True))
    return words


@pytest.fixture(scope="module")
def branch(django_db_setup, django_db_blocker):
    """A 200-customer branch, tiered, scanned, surveyed (the study's 2020 campaign), with a login for every role
    in the office of the wealth advisor with the largest book. Rolled back at the module's end."""
    from alerts.models import Alert
    from customers.models import Application, Customer, ImportBatch, Role, Staff
    from customers.tests.factories import StaffFactory, UserFactory
    from products.models import Product, SuitabilityOverride
    from surveys.models import FollowUpTask, SamplingPlan, SurveyResponse
    from surveys import services as survey_services

    with django_db_blocker.unblock(), keep_test_connection(), transaction.atomic():
        out = StringIO()
        call_command("generate_branch", customers=200, seed=5, as_of=AS_OF, stdout=out)
        call_command("reclassify", f"--date={AS_OF.isoformat()}", stdout=out)
        call_command("scan_alerts", f"--date={AS_OF.isoformat()}", stdout=out)
        call_command("seed_survey_demo", stdout=out)

        def biggest(role):
            return max(Staff.objects.filter(role=role, user__isnull=True),
                       key=lambda s: Customer.objects.filter(advisor=s, closed_on__isnull=True).count())

        advisor = biggest(Role.WEALTH_ADVISOR)
        staff = {}
        for role in ROLES:
            if role in ("wealth_advisor", "investment_advisor", "institutional_advisor"):
                member = advisor if role == "wealth_advisor" else biggest(role)
                member.user = UserFactory(username=f"zh-{role.replace('_', '-')}")
                member.save(update_fields=["user"])
            else:
                member = StaffFactory(role=role, office=advisor.office, with_user=True,
                                      username=f"zh-{role.replace('_', '-')}")
            staff[role] = member
        customer = Customer.objects.filter(advisor=advisor, closed_on__isnull=True).order_by("customer_code")[0]
        application = Application.objects.create(customer=customer, filed_on=AS_OF, kind=Application.Kind.CLOSE)
        alert = Alert.objects.filter(customer__advisor=advisor).order_by("id").first()
        operations = staff["operations"]
        survey_services.generate_plans(month=date(2026, 11, 1), actor=operations.user,
                                       office_ids=[advisor.office_id])
        plan = SamplingPlan.objects.get(month=date(2026, 11, 1), office=advisor.office)
        response = SurveyResponse.objects.order_by("pk").first()
        task = FollowUpTask.objects.order_by("pk").first()
        batch = ImportBatch.objects.create(dataset="snapshots", filename="x.csv", content=b"",
                                           uploaded_by=operations.user)
        product = Product.objects.order_by("code").first()
        override = SuitabilityOverride.objects.create(customer=customer, product=product, waive_min_investment=True,
                                                      reason="测试", created_by=operations.user)
        values = {
            "code": customer.customer_code, "customer_code": customer.customer_code, "pk": None,
        }
        objects = SimpleNamespace(customer=customer, application=application, alert=alert, plan=plan,
                                  response=response, task=task, batch=batch, product=product, override=override,
                                  plan_item=plan.items.order_by("pk").first())
        clients = {}
        for role, member in staff.items():
            clients[role] = Client()
            clients[role].cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the language switch's choice
            clients[role].force_login(member.user)
        yield SimpleNamespace(clients=clients, objects=objects, values=values, data=data_vocabulary(),
                              enums=enum_values())
        transaction.set_rollback(True)


def page_urls(o):
    """(route name, url) of every GET page (API routes are data, exports files: left out)."""
    params = {
        "customers:detail": {"code": o.customer.customer_code},
        "customers:import-batch": {"pk": o.batch.pk},
        "customers:tiering-policy": {"version": 1},
        "products:detail": {"code": o.product.code}, "products:edit": {"code": o.product.code},
        "products:push": {"code": o.product.code},
        "products:override-create": {"customer_code": o.customer.customer_code},
        "surveys:response": {"pk": o.response.pk},
        "surveys:file": {"code": "S2020"}, "surveys:report": {"code": "S2020"},
        "surveys:plan": {"pk": o.plan.pk}, "surveys:task": {"pk": o.task.pk if o.task else 0},
        "alerts:detail": {"pk": o.alert.pk},
    }
    for path, name, names in routes():
        if path.startswith("api/") or "export" in name or name.startswith("workspaces:manager-export"):
            continue
        if names:
            if name not in params:
                continue  # a POST-only action route (transition, reveal, assign …): no page of its own
            yield name, concrete(path, params[name])
        else:
            yield name, concrete(path, {})




def _route_names():
    out = []
    for path, name, _params in routes():
        if path.startswith("api/") or "export" in name:
            continue
        out.append(pytest.param(name, id=name))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("route", _route_names())
def test_every_page_reads_as_chinese(branch, route):
    """Each page as every role that may open it, in Chinese: no raw identifier, no English outside data."""
    urls = dict(page_urls(branch.objects))
    if route not in urls:
        pytest.skip("a POST-only route: no page")
    shown = 0
    problems = {}
    for role, client in branch.clients.items():
        response = client.get(urls[route])
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        shown += 1
        html = response.content.decode()
        assert '<html lang="zh-hans"' in html, (route, role, "not rendered in Chinese")
        for f in findings(visible_text(html), branch.data, branch.enums):
            problems.setdefault(f, set()).add(role)
    if not shown:
        pytest.skip("a redirect or an action for every role: no page of its own")
    report = "\n".join(f"  {f.kind}: {f.text!r} in {f.context!r} ({', '.join(sorted(roles))})"
                       for f, roles in sorted(problems.items(), key=lambda kv: (kv[0].kind, kv[0].text)))
    assert not problems, f"{urls[route]} in Chinese shows {len(problems)} raw or English texts:\n{report}"


# --- the scanner itself: it must catch what the issue found, and let data and the allow-list through --------

def test_the_scanner_catches_the_issues_findings():
    html = """<html><body><table><tr><td translate="no">TradeStation Zhang Wei</td><td>原星级 platinum</td>
      <td title="large_outflow">2.0</td><td>14.3333</td><td>None</td><td>Open</td><td>五星</td><td>C3 &lt; R5</td>
      </tr></table><script>var x = "not shown";</script></body></html>"""
    found = findings(visible_text(html), data_words=set(), raw_enums={"platinum"})
    kinds = {(f.kind, f.text) for f in found}
    assert kinds == {("raw enum value", "platinum"), ("snake_case key", "large_outflow"),
                     ("unformatted number", "2.0"), ("unformatted number", "14.3333"), ("python repr", "None"),
                     ("English word", "Open")}


def test_formatted_numbers_dates_and_codes_pass():
    html = "<p>14.3 % · 2.05 万 · 2026-11-26 · 1,234.50 · 3.5‰ · C3 · S2020 Q6 · CEV CPV</p>"
    assert findings(visible_text(html), data_words=set(), raw_enums=set()) == []


# --- the glossary ------------------------------------------------------------------------------------------

GLOSSARY = ROOT / "locale" / "glossary.md"


def glossary():
    """The reviewed glossary: rows `| 中文 | msgid | context | meaning | used in |` -> {(context, msgid): 中文},
    per Chinese term the (context, msgid) pairs that may carry it, and for a message that means one thing only
    in some places (a bare "From" is a change's old value), the paths where it may be used."""
    required, reserved, places = {}, {}, {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not line.startswith("|") or cells[0] in ("中文", "") or set(cells[0]) <= {"-", ":"}:
            continue
        zh, msgid, context = cells[0], cells[1].strip("`"), cells[2].strip("`") or None
        if context == "—":
            context = None
        required[(context, msgid)] = zh
        reserved.setdefault(zh, set()).add((context, msgid))
        if len(cells) > 4 and cells[4].strip("`— "):
            places[(context, msgid)] = cells[4].replace("`", "").split()
    return required, reserved, places


def used_translations(tmp_path):
    """({(msgctxt, msgid): msgstr}, {(msgctxt, msgid): [source paths]}) for every message the source marks
    today, read as the site reads it (the project catalogue first, then the apps')."""
    import polib

    sources = ["manage.py", "crm", "customers", "products", "surveys", "alerts", "planner", "outreach", "campaigns",
               "templates"]
    for name in sources:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir(exist_ok=True)
    for app in ("alerts", "products", "surveys"):
        (tmp_path / app / "locale").mkdir(exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
                   cwd=tmp_path, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin"})
    used = {}
    for catalogue in ("locale", "alerts/locale", "products/locale", "surveys/locale"):
        po = tmp_path / catalogue / "zh_Hans/LC_MESSAGES/django.po"
        if po.exists():
            for e in polib.pofile(str(po)):
                used.setdefault((e.msgctxt, e.msgid), []).extend(path for path, _line in e.occurrences)
    # Django looks a message up in the project catalogue first, then in the apps' in INSTALLED_APPS order:
    # read them in the reverse order, so that the one the site uses is read last.
    apps_first = [a for a in settings.INSTALLED_APPS if (ROOT / a / "locale").is_dir()]
    site = {}
    for catalogue in [*(f"{a}/locale" for a in reversed(apps_first)), "locale"]:
        for e in polib.pofile(str(ROOT / catalogue / "zh_Hans/LC_MESSAGES/django.po")):
            if e.translated() and not e.obsolete:
                site[(e.msgctxt, e.msgid)] = e.msgstr
    return {key: site[key] for key in used if key in site}, used


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (apt-get install gettext)")
def test_translations_keep_the_glossarys_meanings(tmp_path):
    from fnmatch import fnmatch

    required, reserved, places = glossary()
    assert len(required) >= 30, "the glossary lost its rows"
    used, occurrences = used_translations(tmp_path)
    misplaced = sorted({(key, path) for key, globs in places.items() for path in occurrences.get(key, ())
                        if not any(fnmatch(path, g) for g in globs)})
    wrong = [(key, zh, used[key]) for key, zh in required.items() if key in used and used[key] != zh]
    def same_word(key):  # "Alerts", "alert" and "Alert" are one word: a term's own spellings may carry it
        return key[0], key[1].lower().removesuffix("s")

    borrowed = [(key, msgstr) for key, msgstr in used.items() if msgstr in reserved
                and same_word(key) not in {same_word(k) for k in reserved[msgstr]}]
    assert not wrong, "the glossary's terms read otherwise: " + "; ".join(
        f"{k[1]!r} ({k[0] or 'no context'}) is {got!r}, the glossary says {zh!r}" for k, zh, got in wrong)
    assert not misplaced, "a message used where it means something else (give it a context): " + "; ".join(
        f"{k[1]!r} ({k[0] or 'no context'}, {required[k]!r}) in {path}, allowed only in {places[k]}"
        for k, path in misplaced)
    assert not borrowed, "a message borrows another meaning's Chinese: " + "; ".join(
        f"{k[1]!r} ({k[0] or 'no context'}) reads {zh!r}, which the glossary keeps for "
        f"{sorted(m for _c, m in reserved[zh])}" for k, zh in borrowed)


# --- enums -------------------------------------------------------------------------------------------------

def _choices_fields():
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.Field) and field.choices and not field.name.startswith("_"):
                    yield model, field


def test_every_enum_has_a_label_in_both_languages(db):
    """A word value has a translated label (its Chinese is not the stored value), and the Chinese label is
    Chinese (a CJK character, or a code/number such as 5★ or C3)."""
    bad = []
    for model, field in _choices_fields():
        for value, label in field.flatchoices:
            if value in ("", None):
                continue
            with translation.override("en"):
                en = str(label)
            with translation.override("zh-hans"):
                zh = str(label)
            where = f"{model._meta.label}.{field.name}={value!r}"
            if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value) and zh in (value, en):
                bad.append(f"{where}: no Chinese label ({zh!r})")
            if re.search(r"[A-Za-z]{3,}", zh) and not re.search(r"[\u4e00-\u9fff]", zh) \
                    and not all(w in ALLOWED_LATIN for w in re.findall(r"[A-Za-z]{3,}", zh)):
                bad.append(f"{where}: Chinese label {zh!r}")
    assert not bad, "\n".join(bad)
