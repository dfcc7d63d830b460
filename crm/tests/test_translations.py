"""Every string the project marks for translation has a Chinese translation (Chinese is the default UI).

The test extracts the messages afresh from a copy of the source (Django's makemessages, GNU gettext) and
looks each one up in the catalogues the running site uses: the project's and the apps' own."""
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ["locale", "alerts/locale", "products/locale", "surveys/locale"]
SOURCES = ["manage.py", "crm", "customers", "products", "surveys", "alerts", "planner", "outreach", "campaigns", "templates"]


def translated(path):
    entries = polib.pofile(str(path))
    return {(e.msgctxt, e.msgid) for e in entries if e.translated() and not e.obsolete}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (apt-get install gettext)")
def test_every_marked_string_has_a_chinese_translation(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir(exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
                   cwd=tmp_path, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin"})
    known = set().union(*(translated(ROOT / c / "zh_Hans/LC_MESSAGES/django.po") for c in CATALOGUES))
    missing = []
    for catalogue in CATALOGUES:
        for e in polib.pofile(str(tmp_path / catalogue / "zh_Hans/LC_MESSAGES/django.po")):
            if (e.msgctxt, e.msgid) not in known:
                missing.append((e.msgid, e.occurrences[:1]))
    assert not missing, f"{len(missing)} strings without a Chinese translation: {missing[:20]}"


def test_compiled_catalogues_are_up_to_date():
    """The .mo files the site loads hold what the .po files say (someone edited a .po and forgot msgfmt)."""
    import gettext

    for catalogue in CATALOGUES:
        po = ROOT / catalogue / "zh_Hans/LC_MESSAGES/django.po"
        with open(po.with_suffix(".mo"), "rb") as fh:
            mo = gettext.GNUTranslations(fh)
        for e in polib.pofile(str(po)):
            if e.translated() and not e.obsolete and not e.msgid_plural and "fuzzy" not in e.flags:
                key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
                assert mo._catalog.get(key) == e.msgstr, (catalogue, e.msgid)


def test_the_project_catalogue_does_not_contradict_the_apps():
    """The project catalogue is looked up first: a string it shares with the apps must read as (one of) the
    apps have it, or their pages change words behind their back. (Three terms older than this check are
    kept as they are.)"""
    known_exceptions = {"Count", "Active alerts", "Due"}
    theirs = {}
    for catalogue in CATALOGUES[1:]:
        for e in polib.pofile(str(ROOT / catalogue / "zh_Hans/LC_MESSAGES/django.po")):
            if e.translated() and not e.obsolete:
                theirs.setdefault((e.msgctxt, e.msgid), set()).add(e.msgstr)
    clashes = [(e.msgid, e.msgstr, theirs[(e.msgctxt, e.msgid)])
               for e in polib.pofile(str(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"))
               if e.translated() and not e.obsolete and e.msgid not in known_exceptions
               and (e.msgctxt, e.msgid) in theirs and e.msgstr not in theirs[(e.msgctxt, e.msgid)]]
    assert not clashes
