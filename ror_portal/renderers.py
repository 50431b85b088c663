"""The form renderer (``FORM_RENDERER``): Django's own, with the templates it renders most written in Python.

An admin change form renders a template per widget (``input.html`` including ``attrs.html``) and per error list,
empty or not: the account page with its habilitations rendered 60 of them, ≈ 6 ms of the page. This renderer
writes the same markup in Python for the simplest ones, and only while the template that would be rendered is
Django's own file (a project or an app overriding ``django/forms/widgets/input.html`` gets its template); any
value it does not write exactly as the template would (a tuple, a callable) goes to the template too.
``tests/test_renderers.py`` compares both on every kind of value.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"

INPUT = "django/forms/widgets/input.html"
ATTRS = "django/forms/widgets/attrs.html"
# The widget templates that are ``{% include "django/forms/widgets/input.html" %}`` and nothing else.
INPUT_KINDS = ("checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password", "search")
INPUT_KINDS += ("tel", "text", "time", "url")
INPUT_TEMPLATES = {f"django/forms/widgets/{kind}.html" for kind in INPUT_KINDS} | {INPUT}
ERROR_LISTS = {
    "django/forms/errors/list/default.html": ["django/forms/errors/list/ul.html"],
    "django/forms/errors/list/ul.html": [],
    "django/forms/errors/dict/default.html": ["django/forms/errors/dict/ul.html"],
    "django/forms/errors/dict/ul.html": [],
}


class Fallback(Exception):
    """A value the Python rendering does not write as the template would: the template renders it."""


def _stringformat(value):
    """``{{ value|stringformat:'s' }}`` in an autoescaped template."""
    if isinstance(value, tuple) or callable(value):
        raise Fallback
    try:
        text = "%s" % value  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def render_attrs(attrs):
    """``attrs.html``: `` name="value"`` for each attribute, `` name`` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if callable(name):
            raise Fallback
        if value is False:
            continue
        name = conditional_escape(name)
        parts.append(f" {name}" if value is True else f' {name}="{_stringformat(value)}"')
    return "".join(parts)


def render_input(context):
    """``input.html``: ``<input type name [value] attrs>``."""
    widget = context["widget"]
    value = widget["value"]
    if value is not None and not isinstance(value, str):
        raise Fallback
    shown = "" if value is None else f' value="{_stringformat(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{shown}'
        f"{render_attrs(widget['attrs'])}>"
    )


def render_error_list(context):
    """An error list's templates, when it is empty (the only case written here)."""
    if context["errors"]:
        raise Fallback
    return ""


class PortalFormRenderer(DjangoTemplates):
    """Django's ``DjangoTemplates`` renderer (the same engine and templates), with a Python path for the input
    widgets and the empty error lists while their templates are Django's own files."""

    def __init__(self):
        super().__init__()
        self._fast = {}  # template name -> its Python rendering, or None for the template

    def render(self, template_name, context, request=None):
        fast = self._fast.get(template_name, ...)
        if fast is ...:
            fast = self._fast[template_name] = self._python_rendering(template_name)
        if fast is not None and request is None:
            try:
                return fast(context)
            except (Fallback, KeyError, TypeError, AttributeError):  # not written here: the template says it
                pass
        return super().render(template_name, context, request)

    def _python_rendering(self, template_name):
        if template_name in INPUT_TEMPLATES:
            chain, rendering = [template_name, INPUT, ATTRS], render_input
        elif template_name in ERROR_LISTS:
            chain, rendering = [template_name, *ERROR_LISTS[template_name]], render_error_list
        else:
            return None
        return rendering if all(self.is_djangos_own(name) for name in chain) else None

    def is_djangos_own(self, template_name):
        """Whether ``template_name`` resolves to Django's file of that name (not to an override)."""
        origin = self.get_template(template_name).origin
        return Path(origin.name) == DJANGO_TEMPLATES / template_name
