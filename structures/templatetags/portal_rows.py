"""The pieces repeated on every row of the portal's tables, built in Python.

A table of an EG's 60 pôles rendered two ``{% include %}`` and one ``{% url %}`` per row: a fifth of the
page's time. These tags give the same markup, on every page that shows it; the tables' rows (``*_rows``) are
written here whole, every value escaped (about 50 µs a row in the template language, 10 here).
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


def _details(url_name, pk, name):
    url = escape(object_url(url_name, pk))
    return (
        f'<a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="{url}" hx-get="{url}">'
        f'Détails<span class="fr-sr-only"> de {escape(name)}</span></a>'
    )


def _badge(label):
    return f'<span class="fr-badge fr-badge--sm fr-badge--error fr-ml-1w">{escape(label)}</span>'


@register.simple_tag
def etablissement_rows(page):
    """The rows of "Mes établissements géographiques (EG)" (their catégorie attached, their offer counts set)."""
    rows = []
    for eg in page:
        closed = _badge("Fermé") if eg.is_closed else ""
        categorie = f"{escape(eg.categorie.code)} – {escape(eg.categorie.label)}" if eg.categorie else " – "
        ville = escape(eg.ville) + (f" ({escape(eg.departement)})" if eg.departement else "")
        rows.append(
            f'<tr><td class="fr-cell--multiline">{escape(eg.name)}{closed}</td>'
            f'<td class="portal-nowrap">{escape(eg.finess_et or "")}</td>'
            f'<td class="fr-cell--multiline">{categorie}</td>'
            f'<td class="fr-cell--multiline">{ville}</td>'
            f"<td>{eg.offer_count}</td><td>{escape(eg.finalised_share)}</td>"
            f"<td>{_details('structure_detail', eg.pk, eg.name)}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped above


@register.simple_tag
def structure_rows(children, offers, closed_above):
    """The rows of a structure's table: its sub-structures, then its offers with their status."""
    rows = []
    for child in children:
        badge = _badge(child.closing_label) if child.closed_on else _badge("Fermée") if closed_above else ""
        rows.append(
            f'<tr><td class="fr-cell--multiline">{escape(child.name)}{badge}</td><td>{escape(child.kind_label)}</td>'
            f"<td></td><td>{_details('structure_detail', child.pk, child.name)}</td></tr>"
        )
    for offer in offers:
        badge = _badge(offer.closing_label) if offer.is_closed else _badge("Fermée") if closed_above else ""
        label, colour = offer.status
        rows.append(
            f'<tr><td class="fr-cell--multiline">{escape(offer.nom)}{badge}</td><td>Offre</td>'
            f'<td><span class="fr-badge fr-badge--sm fr-badge--{escape(colour)} fr-badge--no-icon">{escape(label)}'
            f"</span></td><td>{_details('offer_detail', offer.pk, offer.nom)}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped above
