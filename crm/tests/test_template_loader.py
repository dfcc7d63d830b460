"""Templates compiled once per language with their constant translations folded in (crm/template_loader.py)."""
from django.template import Context, Engine, engines
from django.template.loader import render_to_string
from django.templatetags.i18n import TranslateNode
from django.test import RequestFactory
from django.utils import translation

LOADERS = [("crm.template_loader.Loader", [("django.template.loaders.locmem.Loader", {
    "page.html": (
        '{% load i18n %}<h1>{% translate "Customers" %}</h1>'
        '{% if show %}<p>{% trans "Profile" %}</p>{% else %}<p>{% trans "Log out" %}</p>{% endif %}'
        '{% for x in items %}<i title="{% trans "Profile" %}">{{ x }}</i>{% empty %}{% trans "Customers" %}{% endfor %}'
        '<b>{% trans label %}</b><u>{% trans "Customers"|upper %}</u>'
        '{% trans "Profile" as heading %}<s>{{ heading }}</s>'
        '{% blocktrans with n=count %}{{ n }} customers{% endblocktrans %}'
        '{% include "part.html" %}'
    ),
    "part.html": '{% load i18n %}<em>{% trans "Log out" %}</em>',
    "child.html": '{% extends "page.html" %}',
})])]

LIBRARIES = {"i18n": "django.templatetags.i18n"}
CONTEXT = {"show": True, "items": [1], "label": "Log out", "count": 2}


def _render(engine, name, language, **context):
    with translation.override(language):
        return engine.get_template(name).render(Context({**CONTEXT, **context}))


def _translate_nodes(template):
    return template.nodelist.get_nodes_by_type(TranslateNode)


def test_each_language_gets_its_own_copy_with_the_same_output_as_django():
    engine = Engine(loaders=LOADERS, libraries=LIBRARIES)
    plain = Engine(loaders=[LOADERS[0][1][0]], libraries=LIBRARIES)  # Django's own rendering, nothing folded
    for language in ("zh-hans", "en", "zh-hans"):
        for context in ({}, {"show": False, "items": []}):
            assert _render(engine, "page.html", language, **context) == _render(plain, "page.html", language, **context)
    zh, en = _render(engine, "page.html", "zh-hans"), _render(engine, "page.html", "en")
    assert "<h1>客户</h1><p>基本信息</p>" in zh and '<i title="基本信息">1</i>' in zh and "<em>退出登录</em>" in zh
    assert "<h1>Customers</h1><p>Profile</p>" in en and "<em>Log out</em>" in en
    assert "<b>退出登录</b>" in zh and "<u>客户</u>" in zh and "<s>基本信息</s>" in zh


def test_only_tags_with_a_variable_a_filter_or_as_are_left_to_render_time():
    engine = Engine(loaders=LOADERS, libraries=LIBRARIES)
    with translation.override("en"):
        template = engine.get_template("page.html")
    left = _translate_nodes(template)
    # {% trans label %}, {% trans "Customers"|upper %} and {% trans "Profile" as heading %}
    assert len(left) == 3
    assert {node.asvar for node in left} == {None, "heading"}


def test_an_extended_template_and_an_include_are_folded_in_the_request_language():
    engine = Engine(loaders=LOADERS, libraries=LIBRARIES)
    assert "<h1>客户</h1>" in _render(engine, "child.html", "zh-hans")
    assert "<h1>Customers</h1>" in _render(engine, "child.html", "en")
    assert "<em>Log out</em>" in _render(engine, "child.html", "en")


def test_the_project_engine_uses_it():
    assert type(engines["django"].engine.template_loaders[0]).__module__ == "crm.template_loader"
    request = RequestFactory().get("/ping/")
    for language, title in (("zh-hans", "<title>ping · 营业部 CRM</title>"), ("en", "<title>ping · Branch CRM</title>"),
                            ("zh-hans", "<title>ping · 营业部 CRM</title>")):
        with translation.override(language):
            assert title in render_to_string("crm/ping.html", request=request)
