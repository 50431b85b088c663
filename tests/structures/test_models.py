import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from structures.finess import luhn_ok
from structures.models import Structure
from tests.structures.factories import EntiteJuridiqueFactory, EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
K = Structure.Kind


def refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Structure.objects.create(**fields)


def test_an_etablissement_is_the_root_of_its_own_tree():
    first = EtablissementFactory()
    second = EtablissementFactory()

    assert first.level == second.level == 0
    assert first.tree_id != second.tree_id


def test_an_etablissement_with_a_parent_is_refused_by_the_database():
    eg = EtablissementFactory()

    refused(
        kind=K.ETABLISSEMENT,
        name="X",
        parent=eg,
        finess_et="810000000",
        entite_juridique=eg.entite_juridique,
        categorie_id="365",
    )


def test_an_internal_structure_without_parent_is_refused_by_the_database():
    refused(kind=K.POLE, name="Pôle orphelin")


def test_an_etablissement_without_finess_categorie_or_ej_is_refused():
    ej = EntiteJuridiqueFactory()

    refused(kind=K.ETABLISSEMENT, name="Sans FINESS", entite_juridique=ej, categorie_id="365")
    refused(kind=K.ETABLISSEMENT, name="Sans catégorie", finess_et="810000001", entite_juridique=ej)
    refused(kind=K.ETABLISSEMENT, name="Sans EJ", finess_et="810000001", categorie_id="365")


def test_an_internal_structure_cannot_carry_a_finess_number():
    eg = EtablissementFactory()

    refused(kind=K.POLE, name="Pôle", parent=eg, finess_et="810000002")


def test_two_etablissements_cannot_share_a_finess_et():
    EtablissementFactory(finess_et="810000224")

    with pytest.raises(IntegrityError), transaction.atomic():
        EtablissementFactory(finess_et="810000224")


def test_a_closing_date_before_the_opening_date_is_refused():
    eg = EtablissementFactory()

    refused(
        kind=K.POLE,
        name="Pôle",
        parent=eg,
        opened_on=datetime.date(2024, 1, 1),
        closed_on=datetime.date(2023, 1, 1),
    )


def test_two_roots_cannot_share_a_tree():
    eg = EtablissementFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Structure.objects.filter(pk=EtablissementFactory().pk).update(tree_id=eg.tree_id)


@pytest.mark.parametrize(
    ("kind", "parent_kind", "allowed"),
    [
        (K.POLE, K.ETABLISSEMENT, True),
        (K.SERVICE, K.ETABLISSEMENT, True),
        (K.UF, K.ETABLISSEMENT, True),
        (K.SERVICE, K.POLE, True),
        (K.UF, K.POLE, True),
        (K.UF, K.SERVICE, True),
        (K.UE, K.UF, True),
        (K.UF, K.UF, False),  # under an UF, an unité élémentaire only
        (K.POLE, K.POLE, False),
        (K.POLE, K.SERVICE, False),
        (K.POLE, K.UF, False),
        (K.SERVICE, K.UF, False),
        (K.UF, K.UE, False),
    ],
)
def test_which_kind_may_sit_under_which(kind, parent_kind, allowed):
    eg = EtablissementFactory()
    parent = eg if parent_kind == K.ETABLISSEMENT else StructureFactory(parent=eg, kind=parent_kind)
    node = Structure(kind=kind, name="Nouvelle", parent=parent)

    if allowed:
        node.full_clean()
    else:
        with pytest.raises(ValidationError):
            node.full_clean()


def test_an_internal_structure_cannot_move_to_another_etablissement():
    uf = StructureFactory()
    other_eg = EtablissementFactory()
    uf.parent = other_eg

    with pytest.raises(ValidationError, match="reste dans son établissement"):
        uf.full_clean()


def test_a_structure_cannot_move_under_its_own_descendant():
    pole = StructureFactory(pole=True)
    service = StructureFactory(service=True, parent=pole)
    pole.parent = service

    with pytest.raises(ValidationError):
        pole.full_clean()


def test_an_etablissement_cannot_get_a_parent_in_a_form():
    eg = EtablissementFactory()
    eg.parent = EtablissementFactory()

    with pytest.raises(ValidationError):
        eg.full_clean()


def test_writing_in_one_etablissement_never_touches_another_etablissement_rows():
    eg = EtablissementFactory()
    other = EtablissementFactory()
    StructureFactory.create_batch(3, parent=other)
    before = list(Structure.objects.filter(tree_id=other.tree_id).values())

    pole = StructureFactory(pole=True, parent=eg)
    StructureFactory(parent=pole)
    service = StructureFactory(service=True, parent=eg)
    Structure.objects.get(pk=service.pk).move_to(Structure.objects.get(pk=pole.pk), "last-child")
    StructureFactory(parent=eg).delete()

    assert list(Structure.objects.filter(tree_id=other.tree_id).values()) == before
    assert Structure.objects.get(pk=service.pk).parent_id == pole.pk


def test_etablissement_root_and_lock_tree_find_the_eg_from_any_node():
    uf = StructureFactory(parent=StructureFactory(pole=True))

    assert uf.etablissement_root().pk == uf.parent.parent_id
    with transaction.atomic():
        assert uf.lock_tree().pk == uf.parent.parent_id


def test_is_closed_follows_the_closing_date():
    today = datetime.date.today()

    assert not StructureFactory(closed_on=None).is_closed
    assert not StructureFactory(closed_on=today + datetime.timedelta(days=30)).is_closed
    assert StructureFactory(closed_on=today - datetime.timedelta(days=1)).is_closed


def test_address_lines_compose_the_finess_cells():
    eg = EtablissementFactory(numero_voie="1", type_voie="R", voie="PERE COLOMBIER", code_postal="81000", ville="ALBI")

    assert eg.address_lines == ["1 R PERE COLOMBIER", "81000 ALBI"]


@pytest.mark.parametrize(
    ("finess", "valid"),
    [
        ("810000224", True),
        ("810000471", True),
        ("010000024", True),
        ("970302287", True),
        ("810000225", False),
    ],
)
def test_luhn_check_digit_of_finess_numbers(finess, valid):
    assert luhn_ok(finess) is valid


def test_corsican_finess_numbers_read_2a_as_21():
    assert luhn_ok("2A0000000") is luhn_ok("210000000")


def test_ancestors_of_is_the_union_of_each_node_s_nested_set_ancestors():
    eg, other = EtablissementFactory(), EtablissementFactory()
    pole = StructureFactory(pole=True, parent=eg)
    service = StructureFactory(service=True, parent=pole)
    uf = StructureFactory(parent=service)
    sibling = StructureFactory(parent=pole)
    elsewhere = StructureFactory(parent=StructureFactory(pole=True, parent=other))
    StructureFactory(parent=service)  # a node that is nobody's ancestor
    nodes = [Structure.objects.get(pk=node.pk) for node in (uf, sibling, elsewhere, eg)]

    expected = {a.pk for node in nodes for a in node.get_ancestors()}
    assert set(Structure.objects.ancestors_of(nodes).values_list("pk", flat=True)) == expected
    assert expected == {eg.pk, pole.pk, service.pk, other.pk, elsewhere.parent_id}
    assert not Structure.objects.ancestors_of([]).exists()
    assert not Structure.objects.ancestors_of([eg]).exists()
