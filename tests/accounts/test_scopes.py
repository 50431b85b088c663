"""Habilitation scopes: what each user may see and manage, answered in SQL."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from accounts.models import Habilitation
from offers.models import Offer
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import OfferFactory
from tests.structures.factories import EntiteJuridiqueFactory, EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two EJ: A with two EG (Tarn), B with one EG (Tarn); one EG in Haute-Garonne. Each with a UF and an offer."""
    ej_a, ej_b = EntiteJuridiqueFactory(), EntiteJuridiqueFactory()
    egs = {
        "a1": EtablissementFactory(entite_juridique=ej_a, departement="81"),
        "a2": EtablissementFactory(entite_juridique=ej_a, departement="81"),
        "b1": EtablissementFactory(entite_juridique=ej_b, departement="81"),
        "hg": EtablissementFactory(departement="31"),
    }
    offers = {key: OfferFactory(structure=StructureFactory(parent=eg)) for key, eg in egs.items()}
    return {"ej_a": ej_a, "egs": egs, "offers": offers}


def trees(queryset):
    return set(queryset.etablissements().values_list("pk", flat=True))


def eg_pks(world, *keys):
    return {world["egs"][key].pk for key in keys}


def test_an_eg_habilitation_covers_that_eg_tree_only(world):
    user = HabilitationFactory(etablissement=world["egs"]["a1"]).user

    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "a1")
    assert set(Structure.objects.managed_by(user)) == set(Structure.objects.filter(tree_id=world["egs"]["a1"].tree_id))
    assert set(Offer.objects.managed_by(user)) == {world["offers"]["a1"]}


def test_an_ej_habilitation_covers_all_its_eg(world):
    user = HabilitationFactory(entite_juridique=world["ej_a"]).user

    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "a1", "a2")
    assert set(Offer.objects.managed_by(user)) == {world["offers"]["a1"], world["offers"]["a2"]}


def test_the_habilitations_are_read_with_the_trees_they_cover_in_one_query(world, django_assert_num_queries):
    user = UserFactory()
    HabilitationFactory(user=user, entite_juridique=world["ej_a"])
    HabilitationFactory(user=user, regulateur=True, etablissement=world["egs"]["hg"])
    HabilitationFactory(user=user, referent=True, departement="81")
    HabilitationFactory(user=user, entite_juridique=EntiteJuridiqueFactory())  # an EJ without EG
    user = type(user).objects.get(pk=user.pk)
    egs = world["egs"]

    with django_assert_num_queries(1):
        rows, trees_ = user.habilitation_rows, user.habilitation_trees
    assert len(rows) == 4  # one row per habilitation, whatever the number of EG of its EJ
    assert trees_ == sorted(
        [("regulateur", egs["hg"].tree_id), ("responsable", egs["a1"].tree_id), ("responsable", egs["a2"].tree_id)]
    )


def test_an_eg_added_to_an_ej_is_in_scope_from_the_next_request(world):
    user = HabilitationFactory(entite_juridique=world["ej_a"]).user
    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "a1", "a2")

    added = EtablissementFactory(entite_juridique=world["ej_a"])
    user = type(user).objects.get(pk=user.pk)  # a request reads its user again
    assert trees(Structure.objects.managed_by(user)) == {*eg_pks(world, "a1", "a2"), added.pk}


def test_a_habilitation_on_an_internal_structure_covers_nothing(world):
    uf = Structure.objects.filter(tree_id=world["egs"]["a1"].tree_id, level=1).get()
    user = HabilitationFactory(etablissement=uf).user

    assert not Structure.objects.visible_to(user).exists()
    assert not Offer.objects.visible_to(user).exists()


def test_a_departement_habilitation_covers_every_eg_of_the_departement(world):
    user = HabilitationFactory(referent=True, departement="81").user

    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "a1", "a2", "b1")
    assert trees(Structure.objects.administered_by(user)) == eg_pks(world, "a1", "a2", "b1")


def test_a_regulateur_sees_but_does_not_manage(world):
    user = HabilitationFactory(regulateur=True, departement="81").user

    assert trees(Structure.objects.visible_to(user)) == eg_pks(world, "a1", "a2", "b1")
    assert not Structure.objects.managed_by(user).exists()
    assert set(Offer.objects.visible_to(user)) == {world["offers"][key] for key in ("a1", "a2", "b1")}
    assert not Offer.objects.managed_by(user).exists()


def test_a_responsable_is_not_a_referent_in_the_admin(world):
    user = HabilitationFactory(etablissement=world["egs"]["a1"]).user

    assert not Structure.objects.administered_by(user).exists()


def test_habilitations_add_up(world):
    user = UserFactory()
    HabilitationFactory(user=user, etablissement=world["egs"]["b1"])
    HabilitationFactory(user=user, referent=True, departement="31")

    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "b1", "hg")


def test_a_user_without_habilitation_sees_nothing(world):
    user = UserFactory()

    assert not Structure.objects.visible_to(user).exists()
    assert not Offer.objects.visible_to(user).exists()


def test_anonymous_and_inactive_users_see_nothing(world):
    inactive = HabilitationFactory(referent=True, departement="81", user=UserFactory(is_active=False)).user

    assert not Structure.objects.visible_to(AnonymousUser()).exists()
    assert not Structure.objects.visible_to(inactive).exists()


def test_a_superuser_sees_everything(world):
    user = UserFactory(is_superuser=True)

    assert trees(Structure.objects.managed_by(user)) == eg_pks(world, "a1", "a2", "b1", "hg")


def test_scope_queries_read_the_habilitations_once_then_are_single_queries(world, django_assert_num_queries):
    user = HabilitationFactory(entite_juridique=world["ej_a"]).user

    with django_assert_num_queries(2):
        list(Offer.objects.managed_by(user))
    with django_assert_num_queries(1):
        list(Structure.objects.visible_to(user))


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"etablissement": "eg", "entite_juridique": "ej"},
        {"etablissement": "eg", "departement": "81"},
        {"entite_juridique": "ej", "departement": "81"},
    ],
)
def test_a_habilitation_has_exactly_one_scope(world, scope):
    values = {"eg": world["egs"]["a1"], "ej": world["ej_a"], "81": "81"}
    fields = {key: values[value] for key, value in scope.items()}

    with pytest.raises(IntegrityError), transaction.atomic():
        Habilitation.objects.create(user=UserFactory(), role=Habilitation.Role.REFERENT, **fields)


def test_only_referents_and_regulateurs_hold_a_departement():
    with pytest.raises(IntegrityError), transaction.atomic():
        Habilitation.objects.create(user=UserFactory(), role=Habilitation.Role.RESPONSABLE, departement="81")


def test_the_same_habilitation_cannot_be_given_twice(world):
    habilitation = HabilitationFactory(etablissement=world["egs"]["a1"])

    with pytest.raises(IntegrityError), transaction.atomic():
        HabilitationFactory(user=habilitation.user, etablissement=world["egs"]["a1"])


def test_habilitation_labels_are_french(world):
    habilitation = HabilitationFactory(referent=True, departement="81")

    assert str(habilitation) == "Référent ROR – département 81 – Tarn"
