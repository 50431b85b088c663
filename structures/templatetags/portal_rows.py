"""The pieces repeated on every row of the portal's tables, built in Python.

A table of an EG's 60 pôles rendered two ``{% include %}`` and one ``{% url %}`` per row: a fifth of the
page's time. These tags give the same markup, on every page that shows it.
"""

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html

register = template.Library()

SENTINEL = 987654321
_patterns = {}


def object_url(url_name, pk):
    """``reverse(url_name, args=[pk])`` for a URL whose only argument is an integer id, from one reverse per
    URL name (and script prefix) per process."""
    key = (get_script_prefix(), url_name)
    if key not in _patterns:
        prefix, _, suffix = reverse(url_name, args=[SENTINEL]).partition(str(SENTINEL))
        _patterns[key] = (prefix, suffix)
    prefix, suffix = _patterns[key]
    return f"{prefix}{int(pk)}{suffix}"


@register.simple_tag
def details_link(url_name, pk, name):
    url = object_url(url_name, pk)
    return format_html(
        '<a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="{}" hx-get="{}">'
        'Détails<span class="fr-sr-only"> de {}</span></a>',
        url,
        url,
        name,
    )


@register.simple_tag
def closed_badge(closed, label="Fermé"):
    if not closed:
        return ""
    return format_html('<span class="fr-badge fr-badge--sm fr-badge--error fr-ml-1w">{}</span>', label)
