"""Form fields in the DSFR markup: a field's group (``field_group``), its options and checkboxes.

The options are built in Python with the standard library's ``html.escape`` (the characters Django's
``escape`` replaces, without its lazy-string wrapper on each value): the activités opérationnelles are some 550
checkboxes and the types d'offre 270 options, and ``format_html`` on each spent more than the page's queries.

A nomenclature field's options (``nomenclatures.fields``) are the same at every request until its table is read
again (``nomenclatures.cache``): their markup is built once per process and table, and a request only marks the
current values (the characteristics form's options took 1.3 ms of its 3 ms in process, the creation page's more).
"""

import threading
from html import escape

from django import template
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from nomenclatures import cache

register = template.Library()

_markup = {}  # (tag, field's model and options, id, name) -> (the table it was built from, [(value, before, after)])
_lock = threading.Lock()
MARKUP_ENTRIES = 200


def _attrs(attrs):
    return "".join(f' {escape(str(name))}="{escape(str(value))}"' for name, value in attrs.items())


def _options(key, field, build):
    """[(value, markup before the mark, markup after it)] of ``field``'s options: built by ``build(value, label)``
    once per nomenclature table for a nomenclature field, at each call for any other."""
    model = getattr(field.field, "model", None)
    if model is None or getattr(field.field.widget, "option_attrs", None):
        return [(str(value), *build(str(value), label)) for value, label in field.field.choices]
    table = cache.table(model)
    key = (key, model, field.field.ror_only, getattr(field.field, "empty_label", None), field.auto_id, field.html_name)
    built = _markup.get(key)
    if built is None or built[0] is not table:
        built = (table, [(str(value), *build(str(value), label)) for value, label in field.field.choices])
        with _lock:
            if len(_markup) >= MARKUP_ENTRIES:  # e.g. a formset of many forms: start again
                _markup.clear()
            _markup[key] = built
    return built[1]


@register.simple_tag
def select_options(field):
    """The ``<option>`` elements of a bound select field, the current value selected."""
    current = field.value()
    current = "" if current is None else str(getattr(current, "pk", current))
    # A widget may give some options attributes of their own ({value: {name: value}}).
    option_attrs = getattr(field.field.widget, "option_attrs", {})

    def build(value, label):
        extra = _attrs(option_attrs[value]) if value in option_attrs else ""
        return f'<option value="{escape(value)}"{extra}', f">{escape(str(label))}</option>"

    options = _options("select", field, build)
    return mark_safe(  # noqa: S308 - every value and label escaped by build
        "".join(f"{before}{' selected' if value == current else ''}{after}" for value, before, after in options)
    )


@register.simple_tag
def checkbox_options(field):
    """The DSFR checkboxes of a bound multiple-choice field, the current values checked."""
    current = {str(getattr(value, "pk", value)) for value in (field.value() or [])}
    base, name = escape(field.id_for_label), escape(field.html_name)

    def build(value, label):
        code = escape(value)
        return (
            '<div class="fr-fieldset__element" data-option><div class="fr-checkbox-group fr-checkbox-group--sm">'
            f'<input type="checkbox" id="{base}-{code}" name="{name}" value="{code}"',
            f'><label class="fr-label" for="{base}-{code}">{escape(str(label))} ({code})</label></div></div>',
        )

    options = _options("checkbox", field, build)
    return mark_safe(  # noqa: S308 - every value and label escaped by build
        "".join(f"{before}{' checked' if value in current else ''}{after}" for value, before, after in options)
    )


@register.simple_tag(takes_context=True)
def field_group(context, field):
    """A DSFR input or select group for a bound form field: its label (" *" when required), hint, control and error,
    the markup an include per field wrote (about 60 µs each, 20 to 40 fields a form)."""
    select = field.field.widget.input_type == "select" if hasattr(field.field.widget, "input_type") else False
    kind = "select" if select else "input"
    field_id = conditional_escape(field.id_for_label)
    errors = field.errors
    described = f' aria-describedby="{field_id}-erreur"' if errors else ""
    required = " *" if field.field.required or getattr(field.field, "marked_required", False) else ""
    hint = f'<span class="fr-hint-text">{conditional_escape(field.help_text)}</span>' if field.help_text else ""
    name = conditional_escape(field.html_name)
    if select:
        control = f'<select class="fr-select" id="{field_id}" name="{name}"{described}>{select_options(field)}</select>'
    else:
        input_type = conditional_escape(getattr(field.field.widget, "input_type", None) or "text")
        value = field.value()
        value = render_value_in_context("" if value is None else value, context)
        control = (
            f'<input class="fr-input" type="{input_type}" id="{field_id}" name="{name}" value="{value}"{described}>'
        )
    error = ""
    if errors:
        error = f'<p class="fr-error-text" id="{field_id}-erreur">{" ".join(conditional_escape(e) for e in errors)}</p>'
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<div class="fr-{kind}-group{f" fr-{kind}-group--error" if errors else ""}">'
        f'<label class="fr-label" for="{field_id}">{conditional_escape(field.label)}{required}{hint}</label>'
        f"{control}{error}</div>"
    )


@register.simple_tag
def hidden_fields(form_or_field):
    """The ``<input type="hidden">`` of a bound field, or of every hidden field of a form (a formset's management
    form), as Django's widget template writes them: built from the widget's own context, without rendering a
    template per field."""
    fields = [form_or_field] if hasattr(form_or_field, "html_name") else form_or_field.hidden_fields()
    parts = []
    for field in fields:
        attrs = field.build_widget_attrs({"id": field.auto_id} if field.auto_id else {})
        widget = field.field.widget.get_context(field.html_name, field.value(), attrs)["widget"]
        value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
        extra = "".join(
            f" {conditional_escape(name)}"
            if attr is True
            else f' {conditional_escape(name)}="{conditional_escape(str(attr))}"'
            for name, attr in widget["attrs"].items()
            if attr is not False and attr is not None
        )
        kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
        parts.append(f'<input type="{kind}" name="{name}"{value}{extra}>')
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
