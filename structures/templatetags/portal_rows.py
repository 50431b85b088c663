"""The pieces repeated on every row of the portal's tables, built in Python.

A table of an EG's 60 pôles rendered two ``{% include %}`` and one ``{% url %}`` per row: a fifth of the
page's time. These tags give the same markup, on every page that shows it.
"""

from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


@register.simple_tag
def picker_entries(entries, base):
    """The ``<li>`` of a picker's level (offers/offer_picker.html): up to 100 entries, each a link to look below it
    (or its name), its type, and why it may not be chosen or that it may."""
    parts = []
    for entry in entries:
        node = entry["node"]
        name = escape(node.name)
        if entry["navigable"]:
            url = escape(f"{base}{entry['query']}")
            head = f'<a href="{url}" hx-get="{url}">{name}</a>'
        else:
            head = f"<span>{name}</span>"
        current = " · rattachement actuel" if entry["current"] else ""
        if entry["shown_refusal"]:
            note = f'<br><span class="fr-text--xs portal-picker__refusal">{escape(entry["shown_refusal"])}</span>'
        elif not entry["refusal"]:
            note = '<br><span class="fr-text--xs portal-picker__ok">Rattachement possible</span>'
        else:
            note = ""
        kind = escape(node.kind_label)
        parts.append(f'<li>{head}<span class="fr-text--xs"> · {kind}{current}</span>{note}</li>')
    return mark_safe("".join(parts))  # noqa: S308 - every name, type and reason escaped above
