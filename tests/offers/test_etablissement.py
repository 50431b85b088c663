"""Offer.etablissement, the EG of the offer's rattachement copied onto the offer: right after every write that can
change it (a creation, a draft's creation, a move to another EG), kept by those that cannot (a move inside the
EG, an internal structure moved inside its EG), and what an EG's counts read."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection

from offers.models import Offer
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import OfferFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def eg_of_each_offer():
    """{offer name: (the EG stored on the offer, the root of its structure's tree)}."""
    roots = dict(Structure.objects.filter(level=0).values_list("tree_id", "pk"))
    return {
        nom: (stored, roots[tree_id])
        for nom, stored, tree_id in Offer.objects.values_list("nom", "etablissement_id", "structure__tree_id")
    }


def in_service(eg, name):
    return StructureFactory(parent=eg, service=True, name=name)


def test_a_new_offer_takes_the_eg_of_its_rattachement_at_any_depth():
    eg = EtablissementFactory()
    pole = StructureFactory(parent=eg, pole=True)
    uf = StructureFactory(parent=StructureFactory(parent=pole, service=True, name="Cardiologie"), name="UF 1")
    for name, structure in [("EG", eg), ("pôle", pole), ("UF", uf)]:
        OfferFactory(nom=name, structure=structure)

    assert {nom: stored for nom, (stored, _) in eg_of_each_offer().items()} == {"EG": eg.pk, "pôle": eg.pk, "UF": eg.pk}


@pytest.mark.parametrize("publish", [True, False], ids=["published", "draft"])
def test_an_offer_created_in_the_portal_takes_its_eg(publish):
    from tests.offers.test_creation import values

    eg = EtablissementFactory(departement="81")
    uf = StructureFactory(parent=in_service(eg, "Cardiologie"), name="UF Rythmologie")
    user = HabilitationFactory(etablissement=eg).user

    offer = Offer.create(user, uf, values(), publish=publish)

    assert Offer.objects.get(pk=offer.pk).etablissement_id == eg.pk


def test_a_move_to_another_eg_carries_the_new_eg_and_a_move_inside_keeps_it():
    tarn, other = EtablissementFactory(departement="81"), EtablissementFactory(departement="81")
    other.entite_juridique = tarn.entite_juridique
    other.save()
    user = HabilitationFactory(entite_juridique=tarn.entite_juridique).user
    offer = OfferFactory(nom="Cardiologie", structure=in_service(tarn, "Cardiologie"))

    offer.move(user, in_service(other, "Cardiologie"))
    assert Offer.objects.get(pk=offer.pk).etablissement_id == other.pk

    offer = Offer.objects.get(pk=offer.pk)
    offer.move(user, in_service(other, "Pneumologie"))
    assert Offer.objects.get(pk=offer.pk).etablissement_id == other.pk


def test_an_internal_structure_moved_inside_its_eg_keeps_its_offers_eg():
    from offers import organisation

    eg = EtablissementFactory()
    first, second = StructureFactory(parent=eg, pole=True), StructureFactory(parent=eg, pole=True)
    service = StructureFactory(parent=first, service=True, name="Cardiologie")
    OfferFactory(nom="Consultation", structure=service)
    user = HabilitationFactory(etablissement=eg).user

    organisation.move(user, Structure.objects.get(pk=service.pk), Structure.objects.get(pk=second.pk))

    assert eg_of_each_offer() == {"Consultation": (eg.pk, eg.pk)}


def test_the_migration_backfills_every_offer_from_the_root_of_its_tree():
    copy = import_module("offers.migrations.0017_offer_etablissement").copy_etablissements
    corse, tarn = EtablissementFactory(departement="2A"), EtablissementFactory(departement="81", medico_social=True)
    OfferFactory(nom="Corse", structure=StructureFactory(parent=in_service(corse, "Service"), name="UF"))
    OfferFactory(nom="Tarn", structure=tarn)
    wrong = EtablissementFactory()
    Offer.objects.update(etablissement=wrong)

    copy(django_apps, connection.schema_editor())

    assert eg_of_each_offer() == {"Corse": (corse.pk, corse.pk), "Tarn": (tarn.pk, tarn.pk)}
