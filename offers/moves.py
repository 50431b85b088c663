"""The move rules: "may this user attach this offer to this structure, and if not, why?".

One policy answers for the picker, the edit form, publishing, the admin and the management commands.
It caches what it reads per tree, so a picker listing the children of one node costs a fixed number
of queries whatever the number of children.
"""

from django.db.models.functions import Lower
from django.utils import timezone

from nomenclatures import cache
from ror_portal.compiled import CompiledQuery, Param
from structures.models import Structure, sees_everything


class MoveRefused(Exception):
    """The move breaks a rule; ``str(error)`` is the French reason shown to the user."""


class Refusal(str):
    """A French reason why the offer may not be attached here. Its class says how the picker presents it:
    most are refusals (shown as errors), two are not errors at all."""

    is_error = True


class CurrentAttachment(Refusal):
    """The offer is already attached here: stated neutrally."""

    is_error = False


class LevelToCross(Refusal):
    """Not at this level but below it (a sanitaire offer under an EG or a pôle): a level to go through."""

    is_error = False


class MovePolicy:
    def __init__(self, offer, user):
        self.offer = offer
        self.user = user
        self.today = timezone.localdate()
        self._etablissements = {}
        self._managed = {}
        self._source_tree = None

    # --- what the rules read, once per tree ------------------------------------------------------------

    @property
    def source_tree(self):
        if self._source_tree is None:
            if self.offer.structure_id is not None and type(self.offer).structure.is_cached(self.offer):
                self._source_tree = self.offer.structure.tree_id  # read with the offer (managed_offer)
            else:
                [self._source_tree] = TREE_OF(structure=self.offer.structure_id)
        return self._source_tree

    @property
    def source(self):
        return self.etablissement(self.source_tree)

    def etablissement(self, tree_id):
        """The EG at the root of tree ``tree_id``, its catégorie attached: the offer's own EG when it was read with
        the offer (``Offer.etablissement``, the root of its structure's tree, kept by ``Offer.save``)."""
        if tree_id not in self._etablissements:
            etablissement = None
            if self.offer.etablissement_id is not None and type(self.offer).etablissement.is_cached(self.offer):
                etablissement = self.offer.etablissement
            if etablissement is None or etablissement.tree_id != tree_id:
                [etablissement] = ROOT_OF(tree=tree_id)
            self._etablissements[tree_id] = cache.attach([etablissement], "categorie")[0]
        return self._etablissements[tree_id]

    def manages(self, tree_id):
        if tree_id not in self._managed:
            self._managed[tree_id] = bool(MANAGED_ROOT(self.user, tree=tree_id))
        return self._managed[tree_id]

    def remember(self, etablissements, managed_tree_ids):
        """Prime the caches from rows the caller already has (the picker's list of EG)."""
        for eg in etablissements:
            self._etablissements[eg.tree_id] = eg
            self._managed[eg.tree_id] = eg.tree_id in managed_tree_ids

    def closed_on_path(self, target, ancestors=None):
        """The first closed structure among ``target`` and its ancestors (closing a level closes what is below)."""
        if ancestors is None:
            ancestors = CLOSED_ABOVE(tree=target.tree_id, lft=target.lft, rght=target.rght)
        for node in [*ancestors, target]:
            if node.closed_on is not None and node.closed_on <= self.today:
                return node
        return None

    # --- the rules --------------------------------------------------------------------------------------

    def source_refusal(self):
        """Why the user may change nothing of this offer (no habilitation on its EG), or None."""
        if not self.manages(self.source_tree):
            return Refusal(f"Vous n'êtes pas habilité(e) à modifier les offres de « {self.source.name} ».")
        return None

    def refusal(self, target, ancestors=None):
        """The French reason why the offer may not be attached to ``target``, or None when it may.

        ``ancestors`` (the target's ancestors, root first) spares a query when the caller has them.
        """
        source = self.source
        reason = self.source_refusal()
        if reason:
            return reason
        if self.offer.is_closed:
            return Refusal("Cette offre est fermée : elle ne peut pas être déplacée.")
        if target.pk == self.offer.structure_id:
            return CurrentAttachment(f"L'offre est déjà rattachée à « {target.name} ».")
        destination = self.etablissement(target.tree_id)
        if destination.pk != source.pk:
            if destination.categorie_id != source.categorie_id:
                return Refusal(
                    f"« {destination.name} » n'est pas de la même catégorie d'établissement "
                    f"({destination.categorie}) que « {source.name} » ({source.categorie}) : "
                    "une offre ne change d'établissement que pour un établissement de même catégorie."
                )
            if not self.manages(target.tree_id):
                return Refusal(f"Vous n'êtes pas habilité(e) sur l'établissement « {destination.name} ».")
        return self.placement_refusal(target, ancestors, destination)

    def creation_refusal(self, target, ancestors=None):
        """Why the user may not create an offer under ``target`` (French), or None: the EG managed, then the
        placement rules of a move's destination."""
        if not self.manages(target.tree_id):
            return Refusal(
                f"Vous n'êtes pas habilité(e) à créer des offres dans « {self.etablissement(target.tree_id).name} »."
            )
        return self.placement_refusal(target, ancestors)

    def placement_refusal(self, target, ancestors=None, destination=None):
        """The rules on the target alone (also for a new offer): open, and of a kind the EG's domain allows."""
        destination = destination or self.etablissement(target.tree_id)
        closed = self.closed_on_path(target, ancestors)
        if closed is not None:
            if closed.pk == target.pk:
                return Refusal(f"« {target.name} » est fermé(e) depuis le {closed.closed_on:%d/%m/%Y}.")
            return Refusal(
                f"« {target.name} » est dans « {closed.name} », fermé(e) depuis le {closed.closed_on:%d/%m/%Y}."
            )
        if destination.categorie.is_sanitaire:
            if target.kind == Structure.Kind.ETABLISSEMENT:
                return LevelToCross(
                    "Une offre sanitaire ne se rattache pas directement à l'établissement : "
                    "choisissez un service ou une unité."
                )
            if target.kind == Structure.Kind.POLE:
                return LevelToCross(
                    "Une offre sanitaire ne se rattache pas à un pôle : choisissez un service ou une unité de ce pôle."
                )
        return None

    def reopening_refusal(self):
        """Why the offer may not be reopened (French), or None: its structure, or one above it, is closed."""
        [structure] = STRUCTURE_OUTLINE(pk=self.offer.structure_id)
        closed = self.closed_on_path(structure)
        if closed is None:
            return None
        return Refusal(
            f"« {closed.name} » est fermé(e) depuis le {closed.closed_on:%d/%m/%Y} : rouvrez d'abord la structure."
        )

    def check(self, target, ancestors=None):
        reason = self.refusal(target, ancestors)
        if reason:
            raise MoveRefused(reason)

    # --- where the picker may go ------------------------------------------------------------------------

    def picker_etablissements(self):
        """The EG of the offer's catégorie that the user manages (``picker_etablissements``)."""
        return picker_etablissements(self.user, self.source.categorie_id)

    def picker_structures(self):
        """Every node the picker may show or choose."""
        return picker_structures(self.user, self.source.categorie_id)

    def picker_structure(self, pk):
        """The node ``pk`` when the picker may show or choose it, else None (one compiled query)."""
        return PICKER_STRUCTURE.first(self.user, self.source.categorie_id, pk=pk)

    def picker_roots(self, limit):
        """The first ``limit`` EG of the picker by lower-case name (the partial index structures_eg_cat_name_idx)."""
        return PICKER_ROOTS(self.user, self.source.categorie_id, limit)


def picker_etablissements(user, categorie_id):
    """The EG of catégorie ``categorie_id`` that ``user`` manages: the offer's own among them, since whoever may
    move an offer manages its EG (``source_refusal``; the picker is reached through ``managed_offer``).

    One condition, no ``OR pk = <the offer's EG>``: PostgreSQL then reads the partial index
    structures_eg_cat_name_idx in name order and stops after the picker's first rows, where the OR made
    it sort every EG of the catégorie in a national scope (15,000 médico-social EG: 75 ms).
    """
    return Structure.objects.etablissements_managed_by(user).filter(categorie_id=categorie_id)


def picker_structures(user, categorie_id, as_set=False):
    """Every node of the trees of ``picker_etablissements``.

    The catégorie is also tested on each node (``etablissement_categorie``, its EG's): the same nodes, and the
    search finds its term among the names of that catégorie alone in one index (PostgreSQL's
    structures_etablissement_categorie_name_trgm), where it tested every name that contains the term against the
    trees (« cardio », in 29,000 sanitaire names, for a médico-social offer: 340 ms of SQL for a superuser, 3.3 ms
    from it). A superuser's picker is every EG of the catégorie: the catégorie alone says which nodes.

    ``as_set``: the trees' ids as a set that each row is tested against (the picker's search). A subquery with a
    LIMIT (one above any number of EG) is not merged into the query: PostgreSQL builds the set of tree ids once and
    tests each name that matches while it reads them, stopping at the search's window. Merged, it first removed
    duplicates from the tree ids (none: one EG per tree) and joined: for the 15,000 médico-social EG of a national
    scope, 19 ms of SQL for « saint », 14 ms as a set."""
    nodes = Structure.objects.filter(etablissement_categorie=categorie_id)
    if sees_everything(user):
        return nodes  # every EG of the catégorie: its nodes are those that carry it (no set of 15,000 trees)
    trees = picker_etablissements(user, categorie_id).order_by().values("tree_id")
    return nodes.filter(tree_id__in=trees[:EVERY_EG] if as_set else trees)


EVERY_EG = 10**9  # a LIMIT that keeps every row (picker_structures)


# --- what the rules read, compiled once per process (ror_portal.compiled) -------------------------------------------

TREE_OF = CompiledQuery(lambda: Structure.objects.filter(pk=Param("structure")).values_list("tree_id", flat=True))
ROOT_OF = CompiledQuery(
    lambda: Structure.objects.only(*Structure.OUTLINE_FIELDS).filter(tree_id=Param("tree"), level=0)
)
STRUCTURE_OUTLINE = CompiledQuery(lambda: Structure.objects.only(*Structure.OUTLINE_FIELDS).filter(pk=Param("pk")))
MANAGED_ROOT = CompiledQuery(
    lambda user: Structure.objects.managed_by(user).filter(tree_id=Param("tree"), level=0).values_list("pk")[:1]
)
# The closed structures above a node (closed today or before: today's date is part of every compiled key).
CLOSED_ABOVE = CompiledQuery(
    lambda: (
        Structure.objects.filter(
            tree_id=Param("tree"), lft__lt=Param("lft"), rght__gt=Param("rght"), closed_on__lte=timezone.localdate()
        )
        .only(*Structure.OUTLINE_FIELDS)
        .order_by("lft")
    )
)
PICKER_STRUCTURE = CompiledQuery(lambda user, categorie: picker_structures(user, categorie).filter(pk=Param("pk"))[:1])
PICKER_ROOTS = CompiledQuery(
    lambda user, categorie, limit: (
        picker_etablissements(user, categorie).only(*Structure.OUTLINE_FIELDS).order_by(Lower("name"), "pk")[:limit]
    )
)
