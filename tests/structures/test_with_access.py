"""``Structure.objects.with_access(user)``: ``can_manage`` on each node says exactly what ``managed_by`` says, for
every kind of user and node (a matrix), alone or under ``visible_to``; ``path_to`` gives a node's path or nothing."""

import pytest

from structures.models import Structure
from tests.accounts.matrix import accounts, etablissements
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tarn, tarn_other, gers = etablissements()
    pole = StructureFactory(parent=tarn, name="Pôle", kind=Structure.Kind.POLE)
    uf = StructureFactory(parent=pole, name="UF")
    StructureFactory(parent=gers, name="UF du Gers")

    return accounts(tarn, tarn_other, gers), {"tarn": tarn, "pole": pole, "uf": uf, "gers": gers}


def test_can_manage_is_managed_by_on_every_node(world):
    users, _ = world
    for label, user in users.items():
        managed = set(Structure.objects.managed_by(user).values_list("pk", flat=True))
        every_row = dict(Structure.objects.with_access(user).values_list("pk", "can_manage"))
        visible_rows = dict(Structure.objects.visible_to(user).with_access(user).values_list("pk", "can_manage"))

        assert len(every_row) == Structure.objects.count(), label
        assert {pk for pk, can in every_row.items() if can} == managed, label
        assert all(can in (True, False) for can in every_row.values()), label  # never NULL
        assert {pk for pk, can in visible_rows.items() if can} == managed & set(visible_rows), label


def test_path_to_is_the_node_and_its_ancestors_from_the_eg(world):
    users, nodes = world
    tarn, pole, uf = nodes["tarn"], nodes["pole"], nodes["uf"]

    assert list(Structure.objects.path_to(uf.pk)) == [tarn, pole, uf]
    assert list(Structure.objects.path_to(tarn.pk)) == [tarn]
    assert list(Structure.objects.path_to(10**9)) == []
    # Scoped: a node outside the user's scope has no path (the page is a 404).
    assert list(Structure.objects.visible_to(users["responsable of the EG"]).path_to(uf.pk)) == [tarn, pole, uf]
    assert list(Structure.objects.visible_to(users["responsable of the EG"]).path_to(nodes["gers"].pk)) == []
