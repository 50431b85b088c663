"""Form fields in the DSFR markup (templates/includes/field.html)."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def select_options(field):
    """The ``<option>`` elements of a bound select field, the current value selected.

    Built in Python: a select of every département and catégorie holds ≈ 300 options, and a template loop
    asking ``field.value`` for each of them cost more than the page's queries.
    """
    current = field.value()
    current = "" if current is None else str(current)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) == current else "", label)
            for value, label in field.field.choices
        ),
    )
