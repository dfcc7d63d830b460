"""The cached template loader, with one compiled copy of each template per language.

In each copy every constant `{% translate "…" %}` is already translated and merged into the text around it.
A page such as the customer page carries about a hundred of them; Django would otherwise look each one up on
every request (a lazy string, a catalogue lookup, escaping). A tag with a variable, a filter or `as` stays as
it is. Templates are fetched while a request's language is active (views render after the locale
middleware), so each request gets its language's copy.
"""
from django.template import Context
from django.template.base import NodeList, TextNode, Variable
from django.template.defaulttags import IfNode
from django.template.loaders import cached
from django.templatetags.i18n import TranslateNode
from django.utils.translation import get_language


class Loader(cached.Loader):
    def cache_key(self, template_name, skip=None):
        return f"{get_language()}:{super().cache_key(template_name, skip)}"

    def get_template(self, template_name, skip=None):
        template = super().get_template(template_name, skip)
        if not getattr(template, "translations_folded", False):
            fold_translations(template.nodelist)
            template.translations_folded = True
        return template


def is_constant(node):
    """A translate tag whose output depends on nothing but the language: a literal, no filter, no `as`."""
    expression = node.filter_expression
    return (node.asvar is None and not expression.filters
            and isinstance(expression.var, Variable) and expression.var.lookups is None
            and (node.message_context is None or not node.message_context.filters
                 and isinstance(node.message_context.var, str)))


def fold_translations(nodelist):
    """Replace, in place and throughout, each constant translation by its text in the active language, and
    merge neighbouring texts into one node."""
    folded = []
    for node in nodelist:
        if isinstance(node, TranslateNode) and is_constant(node):
            node = TextNode(node.render(Context(autoescape=True)))
        else:
            for child in _child_nodelists(node):
                fold_translations(child)
        if isinstance(node, TextNode) and folded and isinstance(folded[-1], TextNode):
            folded[-1] = TextNode(folded[-1].s + node.s)
        else:
            folded.append(node)
    nodelist[:] = folded


def _child_nodelists(node):
    if isinstance(node, IfNode):  # its `nodelist` is a fresh list built from the branches on each access
        return [branch for _condition, branch in node.conditions_nodelists]
    return [value for value in vars(node).values() if isinstance(value, NodeList)]
