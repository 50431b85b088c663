"""Form fields in the DSFR markup (templates/includes/field.html)."""

from django import template
from django.forms.utils import flatatt
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
    # A widget may give some options attributes of their own ({value: {name: value}}).
    option_attrs = getattr(field.field.widget, "option_attrs", {})
    return format_html_join(
        "",
        '<option value="{}"{}{}>{}</option>',
        (
            (
                value,
                flatatt(option_attrs.get(str(value), {})),
                mark_safe(" selected") if str(value) == current else "",
                label,
            )
            for value, label in field.field.choices
        ),
    )


@register.simple_tag
def checkbox_options(field):
    """The DSFR checkboxes of a bound multiple-choice field, the current values checked (built in Python: the
    activités opérationnelles are some 400 choices)."""
    current = {str(value) for value in (field.value() or [])}
    base = field.id_for_label
    return format_html_join(
        "",
        '<div class="fr-fieldset__element" data-option><div class="fr-checkbox-group fr-checkbox-group--sm">'
        '<input type="checkbox" id="{}-{}" name="{}" value="{}"{}><label class="fr-label" for="{}-{}">{} ({})</label>'
        "</div></div>",
        (
            (base, value, field.html_name, value, mark_safe(" checked") if str(value) in current else "", base, value,
             label, value)
            for value, label in field.field.choices
        ),
    )  # fmt: skip
