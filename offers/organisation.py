"""Changes of an EG's internal organisation that reach its offers: closing a structure closes, at the same date,
everything below it (sub-structures and offers); reopening it may reopen what was closed with it; moving a service
or an UF takes its sub-structures and offers with it.

The rules are ``structures.organisation``'s, read again under the EG's lock; each offer closed or reopened changes
through ``Offer.publish`` (its version, its history, its completeness), with the structure's history row as cause.
A move leaves every offer's row as it is (same structure, same identifiant) and writes one history row on each.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from nomenclatures import cache
from nomenclatures.models import TypeFermeture
from offers.forms import REOPENING
from offers.models import Offer, OfferEvent
from structures.models import Structure, StructureEvent, StructureRefused
from structures.organisation import OrganisationPolicy

PREVIEW_LIMIT = 100  # names listed on the confirmation page; the counts are exact


def below(node, include_self=False):
    """The sub-structures of ``node`` (positions as given: read them under the lock)."""
    rows = Structure.objects.filter(tree_id=node.tree_id, lft__gt=node.lft, rght__lt=node.rght)
    return rows | Structure.objects.filter(pk=node.pk) if include_self else rows


def offers_below(node):
    """Every offer attached to ``node`` or to a structure below it."""
    return Offer.objects.filter(
        structure__tree_id=node.tree_id, structure__lft__gte=node.lft, structure__rght__lte=node.rght
    )


def open_at(closed_on):
    """Rows that a closing at ``closed_on`` closes: open, or closing later than that."""
    return Q(closed_on__isnull=True) | Q(closed_on__gt=closed_on)


@dataclass
class Preview:
    """What a change takes with it: counts, and the first names of each (``PREVIEW_LIMIT``)."""

    structures_count: int
    offers_count: int
    structures: list
    offers: list


def preview(structures, offers):
    structures = structures.order_by("lft").only("pk", "name", "kind", "lft")
    offers = offers.order_by("nom", "pk").only("pk", "nom", "structure_id")
    return Preview(structures.count(), offers.count(), list(structures[:PREVIEW_LIMIT]), list(offers[:PREVIEW_LIMIT]))


def closing_preview(node, closed_on):
    """The sub-structures and published offers that closing ``node`` at ``closed_on`` would close."""
    return preview(below(node).filter(open_at(closed_on)), offers_below(node).published().filter(open_at(closed_on)))


def closed_with(node, closing):
    """The sub-structures and offers of ``node`` that ``closing`` (the row of its latest closing) closed with it
    and that are still closed at its date. A structure closed with a structure above it reopens what that
    closing closed below it."""
    origin = closing.cause if closing.cause_id else closing
    structures = below(node).filter(closed_on=closing.closed_on, events__cause=origin)
    offers = offers_below(node).filter(closed_on=closing.closed_on, events__cause=origin)
    return structures.distinct(), offers.distinct()


def latest_closing(node):
    """The row of ``node``'s latest closing (its own, or one with a structure above it), or None."""
    return node.events.filter(kind=StructureEvent.Kind.CLOSE).order_by("-created_at", "-pk").first()


def reopening_preview(node):
    closing = latest_closing(node)
    if closing is None or closing.closed_on != node.closed_on:
        return None
    return preview(*closed_with(node, closing))


@transaction.atomic
def close(user, node, closed_on, base_version=None):
    """ "Fermer la structure" at ``closed_on``, with every sub-structure and published offer below it that is open
    at that date. StructureRefused (French reason) or StaleStructure; nothing is written then."""
    node = node.locked(base_version)
    policy = OrganisationPolicy(user)
    reason = policy.closing_refusal(node) or policy.closing_date_refusal(node, closed_on)
    if reason:
        raise StructureRefused(reason)
    structures = below(node).filter(open_at(closed_on))
    opening_later = structures.filter(opened_on__gt=closed_on).order_by("lft").first()
    if opening_later is not None:
        raise StructureRefused(
            f"« {opening_later.name} », dans « {node.name} », ouvre le {opening_later.opened_on:%d/%m/%Y} : "
            "la date de fermeture doit suivre l'ouverture de tout ce qu'elle ferme."
        )
    closing = {
        "closed_on": closed_on,
        "closing_type": cache.get(TypeFermeture, TypeFermeture.DEFINITIVE),
        "reopening_on": None,
    }
    offers = offers_below(node).published().filter(open_at(closed_on))
    return set_closing(user, node, StructureEvent.Kind.CLOSE, closed_on, structures, offers, closing)


@transaction.atomic
def reopen(user, node, with_contents=False, base_version=None):
    """ "Rouvrir la structure"; with ``with_contents``, also what its latest closing closed with it (the
    sub-structures and offers still closed at that date). StructureRefused or StaleStructure."""
    node = node.locked(base_version)
    reason = OrganisationPolicy(user).reopening_refusal(node)
    if reason:
        raise StructureRefused(reason)
    closing = latest_closing(node)
    structures, offers = Structure.objects.none(), Offer.objects.none()
    if with_contents and closing is not None and closing.closed_on == node.closed_on:
        structures, offers = closed_with(node, closing)
    return set_closing(user, node, StructureEvent.Kind.REOPEN, None, structures, offers, REOPENING)


def set_closing(user, node, kind, closed_on, structures, offers, offer_changes):
    """Write ``closed_on`` (a date, or None to reopen) on ``node`` (locked) and on the sub-structures
    ``structures``, and publish ``offer_changes`` on each of ``offers``: one history row on ``node`` saying how
    many it took along, one on each sub-structure and offer, caused by it."""
    ids = list(structures.values_list("pk", flat=True))
    offers = list(offers.order_by("pk"))
    node.closed_on = closed_on
    node.version += 1
    node.save(update_fields=["closed_on", "version", "updated_at"])
    event = StructureEvent.objects.create(
        structure=node,
        author=user,
        kind=kind,
        closed_on=closed_on,
        structures_count=len(ids),
        offers_count=len(offers),
        version=node.version,
    )
    if ids:
        now = timezone.now()
        Structure.objects.filter(pk__in=ids).update(closed_on=closed_on, version=F("version") + 1, updated_at=now)
        versions = dict(Structure.objects.filter(pk__in=ids).values_list("pk", "version"))
        StructureEvent.objects.bulk_create(
            StructureEvent(structure_id=pk, author=user, kind=kind, closed_on=closed_on, cause=event, version=version)
            for pk, version in versions.items()
        )
    for offer in offers:
        offer.publish(user, offer_changes, cause=event)
    return node


@transaction.atomic
def move(user, node, target, base_version=None):
    """ "Déplacer la structure": ``node`` (a service, an UF or an unité élémentaire) with everything below it
    becomes the last child of ``target``, in the same EG. The offers keep their row (structure, identifiant,
    characteristics); each published one gets a history row "Déplacée avec « … »". StructureRefused or
    StaleStructure."""
    node = node.locked(base_version)
    target = Structure.objects.filter(pk=target.pk).first()
    if target is None:
        raise StructureRefused("Cette structure de destination n'existe plus : choisissez-en une autre.")
    reason = OrganisationPolicy(user).move_refusal(node, target)
    if reason:
        raise StructureRefused(reason)
    source = Structure.objects.only("pk", "name").get(pk=node.parent_id)
    structures_count = (node.rght - node.lft - 1) // 2
    offers = list(offers_below(node).published().values_list("pk", "version"))
    # Their row is unchanged but their place in the organisation is not: a client synchronising on the offers'
    # last update sees them again.
    offers_below(node).update(updated_at=timezone.now())
    node.parent = target
    node.version += 1
    node.save()
    event = StructureEvent.objects.create(
        structure=node,
        author=user,
        kind=StructureEvent.Kind.MOVE,
        from_label=source.name,
        to_label=target.name,
        structures_count=structures_count,
        offers_count=len(offers),
        version=node.version,
    )
    OfferEvent.objects.bulk_create(
        OfferEvent(
            offer_id=pk,
            author=user,
            kind=OfferEvent.Kind.UNIT_MOVE,
            from_structure=source,
            to_structure=target,
            from_label=source.name,
            to_label=target.name,
            version=version,
            cause=event,
        )
        for pk, version in offers
    )
    return node
