"""Fast builders of big trees for query-count tests (bulk inserts, then one MPTT rebuild of the tree)."""

from offers.models import Offer
from structures.models import Structure
from tests.structures.factories import EntiteJuridiqueFactory, EtablissementFactory


def big_etablissement(poles=50, ufs_per_pole=10, offers_per_uf=5, **eg_fields):
    eg = EtablissementFactory(**eg_fields)
    placeholder = {"tree_id": eg.tree_id, "lft": 0, "rght": 0, "level": 1, "etablissement_categorie": eg.categorie}
    pole_rows = Structure.objects.bulk_create(
        Structure(kind=Structure.Kind.POLE, name=f"Pôle {p:03d}", parent=eg, **placeholder) for p in range(poles)
    )
    uf_rows = Structure.objects.bulk_create(
        Structure(kind=Structure.Kind.UF, name=f"UF {p:03d}-{u:03d}", parent=pole, **placeholder)
        for p, pole in enumerate(pole_rows)
        for u in range(ufs_per_pole)
    )
    Offer.objects.bulk_create(
        Offer(
            structure=uf,
            nom=f"Offre {uf.name}-{o}",
            identifiant=f"76/{eg.pk}-{uf.pk}-{o}",
            champ_activite_id="01",
            modele_saisie="260/01",
            mode_prise_en_charge_id="28",
            departement=eg.departement,  # what Offer.save would copy from the EG
            etablissement=eg,
        )
        for uf in uf_rows
        for o in range(offers_per_uf)
    )
    Structure.objects.partial_rebuild(eg.tree_id)
    return Structure.objects.get(pk=eg.pk)


def many_etablissements(count, **fields):
    """``count`` EG of one EJ, each its own tree."""
    ej = EntiteJuridiqueFactory()
    first_tree = (Structure.objects.order_by("-tree_id").values_list("tree_id", flat=True).first() or 0) + 1
    Structure.objects.bulk_create(
        Structure(
            kind=Structure.Kind.ETABLISSEMENT,
            name=f"ÉTABLISSEMENT EN NOMBRE {n:04d}",
            finess_et=f"7{n:08d}",
            entite_juridique=ej,
            categorie_id=fields.get("categorie_id", "365"),
            etablissement_categorie_id=fields.get("categorie_id", "365"),
            departement=fields.get("departement", "81"),
            tree_id=first_tree + n,
            lft=1,
            rght=2,
            level=0,
        )
        for n in range(count)
    )
    return ej


def assert_tree_exact(tree_id):
    """The tree's lft/rght/level are exactly those a rebuild gives from ``parent_id`` (siblings kept in their
    current order): no gap, no overlap, every node inside its parent."""
    rows = list(Structure.objects.filter(tree_id=tree_id).values_list("pk", "parent_id", "lft", "rght", "level"))
    children = {}
    for pk, parent_id, _lft, _, _ in sorted(rows, key=lambda row: row[2]):
        children.setdefault(parent_id, []).append(pk)
    (root,) = children[None]
    expected, counter = {}, 0

    def walk(pk, level):
        nonlocal counter
        counter += 1
        left = counter
        for child in children.get(pk, []):
            walk(child, level + 1)
        counter += 1
        expected[pk] = (left, counter, level)

    walk(root, 0)
    assert {pk: (lft, rght, level) for pk, _, lft, rght, level in rows} == expected
