"""The rules of an EG's internal organisation: "may this user add, change, close, reopen or move this structure
here, and if not, why?" — one French reason per refusal, or None.

One policy answers for the portal's pages, their forms (the server re-checks every rule under the EG's lock) and
the admin's form (``Structure.clean`` asks ``kind_refusal``). It reads what it needs once per tree.
"""

from django.utils import timezone

from structures.models import Structure

K = Structure.Kind

# What may be placed directly under each kind of structure (TRE_R207 under the EG, JDV_J203 codes).
CHILD_KINDS = {
    K.ETABLISSEMENT: (K.POLE, K.SERVICE, K.UF),
    K.POLE: (K.SERVICE, K.UF),
    K.SERVICE: (K.UF,),
    K.UF: (K.UE,),
    K.UE: (),
}
# A pôle is the EG's first level: it is not moved (a multi-site pôle is copied once per EG, never moved).
MOVABLE_KINDS = (K.SERVICE, K.UF, K.UE)

ARTICLES = {K.ETABLISSEMENT: "l'", K.POLE: "un ", K.SERVICE: "un ", K.UF: "une ", K.UE: "une "}
NAMES = {
    K.ETABLISSEMENT: "établissement",
    K.POLE: "pôle",
    K.SERVICE: "service",
    K.UF: "unité fonctionnelle",
    K.UE: "unité élémentaire",
}


def kind_name(kind, article=False):
    """ "unité fonctionnelle", or with ``article`` "une unité fonctionnelle" / "l'établissement"."""
    return f"{ARTICLES[kind]}{NAMES[kind]}" if article else NAMES[kind]


def kind_refusal(kind, parent_kind):
    """Why a structure of ``kind`` may not be placed directly under one of ``parent_kind`` (French), or None."""
    allowed = CHILD_KINDS[parent_kind]
    if kind in allowed:
        return None
    under = "sous l'établissement" if parent_kind == K.ETABLISSEMENT else f"sous {kind_name(parent_kind, True)}"
    if not allowed:
        return f"Rien ne se place {under} : c'est le dernier niveau de l'organisation interne."
    names = " ou ".join(kind_name(choice, True) for choice in allowed)
    return f"{kind_name(kind, True).capitalize()} ne se place pas {under}, qui accueille {names}."


class OrganisationPolicy:
    def __init__(self, user):
        self.user = user
        self.today = timezone.localdate()
        self._managed = {}

    def remember(self, tree_id, managed):
        """Prime the cache from what the caller already knows (the structure's page)."""
        self._managed[tree_id] = managed

    def manages(self, tree_id):
        """Whether the user manages the EG of ``tree_id`` (responsables of the EG or its EJ, référents)."""
        if tree_id not in self._managed:
            self._managed[tree_id] = Structure.objects.managed_by(self.user).filter(tree_id=tree_id, level=0).exists()
        return self._managed[tree_id]

    def closed_on_path(self, node, ancestors=None):
        """The first structure closed today among ``node``'s ancestors (root first) and ``node`` itself."""
        if ancestors is None:
            ancestors = list(node.get_ancestors().only(*Structure.OUTLINE_FIELDS))
        return next((item for item in [*ancestors, node] if item.is_closed), None)

    def management_refusal(self, node):
        if not self.manages(node.tree_id):
            return "Vous n'êtes pas habilité(e) à modifier l'organisation interne de cet établissement."
        return None

    def closed_refusal(self, node, ancestors=None):
        closed = self.closed_on_path(node, ancestors)
        if closed is None:
            return None
        if closed.pk == node.pk:
            return f"« {node.name} » est fermé(e) depuis le {closed.closed_on:%d/%m/%Y}."
        return f"« {node.name} » est dans « {closed.name} », fermé(e) depuis le {closed.closed_on:%d/%m/%Y}."

    # --- the rules --------------------------------------------------------------------------------------

    def addition_kinds(self, parent):
        """The kinds that may be added under ``parent``, in the order of the nomenclature."""
        return CHILD_KINDS[parent.kind]

    def addition_refusal(self, parent, kind=None, ancestors=None):
        """Why the user may not add a structure (of ``kind``, when given) under ``parent``, or None."""
        reason = self.management_refusal(parent) or self.closed_refusal(parent, ancestors)
        if reason:
            return reason
        if not CHILD_KINDS[parent.kind]:
            return kind_refusal(K.UE, parent.kind)
        return kind_refusal(kind, parent.kind) if kind is not None else None

    def change_refusal(self, node):
        """Why the user may not change ``node``'s name, opening date or code, or None. An EG's identity comes
        from FINESS."""
        if node.is_etablissement:
            return "L'identité d'un établissement vient du FINESS : elle ne se modifie pas ici."
        return self.management_refusal(node)

    def closing_refusal(self, node, ancestors=None):
        """Why the user may not close ``node`` (with everything below it), or None."""
        reason = self.change_refusal(node)
        if reason:
            return reason
        if node.closed_on is not None:
            planned = f"La fermeture de « {node.name} » est déjà prévue le {node.closed_on:%d/%m/%Y}."
            return self.closed_refusal(node, []) or planned
        return self.closed_refusal(node, ancestors)

    def closing_date_refusal(self, node, closed_on):
        if node.opened_on is not None and closed_on < node.opened_on:
            return f"La date de fermeture précède la date d'ouverture ({node.opened_on:%d/%m/%Y})."
        return None

    def reopening_refusal(self, node, ancestors=None):
        """Why the user may not reopen ``node``, or None: it must be closed (or its closing planned), and what is
        above it open."""
        reason = self.change_refusal(node)
        if reason:
            return reason
        if node.closed_on is None:
            return f"« {node.name} » n'est pas fermé(e)."
        if ancestors is None:
            ancestors = list(node.get_ancestors().only(*Structure.OUTLINE_FIELDS))
        closed = next((item for item in ancestors if item.closed_on is not None), None)
        if closed is not None:
            return f"« {node.name} » est dans « {closed.name} », fermé(e) : rouvrez d'abord « {closed.name} »."
        return None

    def move_source_refusal(self, node, ancestors=None):
        """Why ``node`` may not be moved at all, or None."""
        reason = self.change_refusal(node)
        if reason:
            return reason
        if node.kind not in MOVABLE_KINDS:
            return (
                "Un pôle ne se déplace pas : seuls un service, une unité fonctionnelle ou une unité élémentaire "
                "se déplacent."
            )
        return self.closed_refusal(node, ancestors)

    def move_refusal(self, node, target, target_ancestors=None):
        """Why ``node`` (with everything below it) may not be placed under ``target``, or None.

        The positions are the database's: callers pass rows read under the EG's lock or in this request."""
        return self.move_source_refusal(node) or self.target_refusal(node, target, target_ancestors)

    def target_refusal(self, node, target, target_ancestors=None):
        """The rules on the destination of a movable ``node`` (``move_source_refusal`` is None): same EG, not
        inside itself, not where it is, open, of a kind that accepts it. The picker asks it for each entry."""
        if target.tree_id != node.tree_id:
            return "Une structure interne reste dans son établissement géographique."
        if target.pk == node.pk or node.lft < target.lft < node.rght:
            return f"« {node.name} » ne peut pas être placé(e) sous elle-même ni sous une de ses sous-structures."
        if target.pk == node.parent_id:
            return f"« {node.name} » est déjà rattaché(e) à « {target.name} »."
        return self.closed_refusal(target, target_ancestors) or kind_refusal(node.kind, target.kind)
