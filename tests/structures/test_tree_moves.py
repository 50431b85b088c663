"""Moves inside an EG's tree rewrite only the rows that move, and keep the tree well formed."""

import random

import pytest
from django.db import connection
from django.db.models.query_utils import DeferredAttribute

from structures.models import Structure
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def build_tree(poles=6, services=2, ufs=4):
    eg = EtablissementFactory()
    for p in range(poles):
        pole = StructureFactory(pole=True, parent=eg, name=f"Pôle {p}")
        for s in range(services):
            service = StructureFactory(service=True, parent=pole, name=f"Service {p}-{s}")
            for u in range(ufs):
                StructureFactory(parent=service, name=f"UF {p}-{s}-{u}")
    return Structure.objects.get(pk=eg.pk)


def positions(tree_id):
    return {
        row["pk"]: (row["lft"], row["rght"], row["level"])
        for row in Structure.objects.filter(tree_id=tree_id).values("pk", "lft", "rght", "level")
    }


def assert_well_formed(tree_id):
    """The nested sets say exactly what the parent links say: each node's descendants, levels and numbering."""
    rows = {row["id"]: row for row in Structure.objects.filter(tree_id=tree_id).values()}
    children = {pk: [] for pk in rows}
    root = None
    for row in rows.values():
        if row["parent_id"] is None:
            root = row["id"]
        else:
            children[row["parent_id"]].append(row["id"])

    def descendants(pk):
        found = set()
        for child in children[pk]:
            found |= {child, *descendants(child)}
        return found

    assert rows[root]["lft"] == 1 and rows[root]["level"] == 0
    assert sorted(n for row in rows.values() for n in (row["lft"], row["rght"])) == list(range(1, 2 * len(rows) + 1))
    for pk, row in rows.items():
        inside = {other for other, o in rows.items() if row["lft"] < o["lft"] < row["rght"]}
        assert inside == descendants(pk)
        if row["parent_id"] is not None:
            assert row["level"] == rows[row["parent_id"]]["level"] + 1


@pytest.fixture
def updated_rows():
    """The number of rows each UPDATE of the structures table wrote."""
    counts = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE") and "structures_structure" in sql:
            counts.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(record):
        yield counts


def move(node, parent):
    node = Structure.objects.get(pk=node.pk)
    node.parent = Structure.objects.get(pk=parent.pk)
    node.save_in_tree()


def test_a_move_rewrites_only_the_rows_between_the_old_and_the_new_place(updated_rows):
    eg = build_tree()  # 1 + 6 pôles × (1 + 2 services × (1 + 4 UF)) = 67 rows
    uf = Structure.objects.get(name="UF 2-0-0")
    target = Structure.objects.get(name="Service 2-1")
    before = positions(eg.tree_id)
    updated_rows.clear()

    move(uf, target)

    after = positions(eg.tree_id)
    changed = sum(1 for pk in before if before[pk] != after[pk])
    # The move writes exactly the rows whose position changed; then the node's own row is saved.
    assert updated_rows == [changed, 1]
    assert changed < len(before) / 4  # django-mptt alone rewrote all 67 rows
    assert_well_formed(eg.tree_id)


def test_many_random_moves_keep_the_tree_well_formed(updated_rows):
    eg = build_tree()
    rng = random.Random(20261202)
    services = list(Structure.objects.filter(tree_id=eg.tree_id, kind=Structure.Kind.SERVICE))
    poles = list(Structure.objects.filter(tree_id=eg.tree_id, kind=Structure.Kind.POLE))
    total = Structure.objects.filter(tree_id=eg.tree_id).count()

    for _ in range(40):
        if rng.random() < 0.6:
            uf = rng.choice(list(Structure.objects.filter(tree_id=eg.tree_id, kind=Structure.Kind.UF)))
            move(uf, rng.choice(services + poles))  # a UF under a service or a pôle, forwards or backwards
        else:
            move(rng.choice(services), rng.choice(poles))  # a service with its UF under another pôle
        assert_well_formed(eg.tree_id)

    assert max(updated_rows) < total
    assert Structure.objects.filter(tree_id=eg.tree_id).count() == total


def test_a_move_does_not_touch_another_eg(updated_rows):
    eg = build_tree(poles=2)
    other = build_tree(poles=2)
    before = positions(other.tree_id)

    move(
        Structure.objects.get(tree_id=eg.tree_id, name="UF 0-0-0"),
        Structure.objects.get(tree_id=eg.tree_id, name="Pôle 1"),
    )

    assert positions(other.tree_id) == before
    assert_well_formed(eg.tree_id)


def test_a_node_records_its_parent_as_django_mptt_would():
    """``Structure.__init__`` records the parent's id without django-mptt's ``get_deferred_fields()``: the same
    record for a row read whole, a row read without its parent column, a row read with it only, and a new node."""
    eg = build_tree()
    uf = Structure.objects.get(name="UF 2-0-0")
    rows = [
        Structure.objects.get(pk=uf.pk),
        Structure.objects.only("name").get(pk=uf.pk),
        Structure.objects.only(*Structure.OUTLINE_FIELDS).get(pk=uf.pk),
        Structure(kind=Structure.Kind.UF, name="Nouvelle UF", parent=uf.parent),
        Structure(kind=Structure.Kind.ETABLISSEMENT, name="Nouvel EG"),
        eg,
    ]
    ours = [dict(row._mptt_cached_fields) for row in rows]

    for row in rows:
        Structure._mptt_meta.update_mptt_cached_fields(row)

    assert ours == [row._mptt_cached_fields for row in rows]
    assert [record["parent"] for record in ours][:2] == [uf.parent_id, DeferredAttribute]
