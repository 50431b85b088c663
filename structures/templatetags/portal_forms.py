"""Form fields in the DSFR markup (templates/includes/field.html).

The options are built in Python with the standard library's ``html.escape`` (the characters Django's
``escape`` replaces, without its lazy-string wrapper on each value): the activités opérationnelles are some 550
checkboxes and the types d'offre 270 options, and ``format_html`` on each spent more than the page's queries.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _attrs(attrs):
    return "".join(f' {escape(str(name))}="{escape(str(value))}"' for name, value in attrs.items())


@register.simple_tag
def select_options(field):
    """The ``<option>`` elements of a bound select field, the current value selected."""
    current = field.value()
    current = "" if current is None else str(current)
    # A widget may give some options attributes of their own ({value: {name: value}}).
    option_attrs = getattr(field.field.widget, "option_attrs", {})
    parts = []
    for value, label in field.field.choices:
        value = str(value)
        extra = _attrs(option_attrs[value]) if value in option_attrs else ""
        selected = " selected" if value == current else ""
        parts.append(f'<option value="{escape(value)}"{extra}{selected}>{escape(str(label))}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value and label escaped above


@register.simple_tag
def checkbox_options(field):
    """The DSFR checkboxes of a bound multiple-choice field, the current values checked."""
    current = {str(value) for value in (field.value() or [])}
    base, name = escape(field.id_for_label), escape(field.html_name)
    parts = []
    for value, label in field.field.choices:
        value = str(value)
        code = escape(value)
        checked = " checked" if value in current else ""
        parts.append(
            '<div class="fr-fieldset__element" data-option><div class="fr-checkbox-group fr-checkbox-group--sm">'
            f'<input type="checkbox" id="{base}-{code}" name="{name}" value="{code}"{checked}>'
            f'<label class="fr-label" for="{base}-{code}">{escape(str(label))} ({code})</label></div></div>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value and label escaped above
