"""The pieces repeated on every row of the portal's tables, built in Python.

A table of an EG's 60 pôles rendered two ``{% include %}`` and one ``{% url %}`` per row: a fifth of the
page's time. These tags give the same markup, on every page that shows it.
"""

from django import template
from django.utils.html import format_html

from ror_portal.links import object_url

register = template.Library()


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
