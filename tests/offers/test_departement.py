"""Offer.departement and Contact.departement, the département of the offer's EG copied onto the offer and its
contacts: right after every write that can change it, and what a référent's scope reads."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection

from offers.models import Contact, Offer, PartEdits
from structures.models import Structure
from structures.signals import etablissements_relocated
from tests.accounts.factories import HabilitationFactory
from tests.accounts.matrix import accounts, etablissements
from tests.offers.factories import ContactFactory, OfferFactory
from tests.structures.factories import EtablissementFactory, StructureFactory
from tests.structures.test_import_finess import CLAUDE_BERNARD, line_with, run, write

pytestmark = pytest.mark.django_db


def departements():
    return dict(Offer.objects.values_list("nom", "departement"))


def contact_departements():
    return dict(Contact.objects.values_list("offer__nom", "departement"))


def in_service(eg, name):
    return StructureFactory(parent=eg, service=True, name=name)


def test_a_new_offer_takes_the_departement_of_its_eg_and_so_do_its_contacts():
    offer = OfferFactory(structure=in_service(EtablissementFactory(departement="2A"), "Cardiologie"))
    contact = ContactFactory(offer=Offer.objects.get(pk=offer.pk))

    assert Offer.objects.get(pk=offer.pk).departement == "2A"
    assert Contact.objects.get(pk=contact.pk).departement == "2A"


def test_a_contact_added_by_a_publication_takes_the_departement_of_its_offer():
    offer = OfferFactory(structure=in_service(EtablissementFactory(departement="2A"), "Cardiologie"))
    user = HabilitationFactory(etablissement=offer.structure.parent).user

    offer.publish(user, {"contacts": PartEdits(added=[Contact(nom="Secrétariat", confidentialite_id="2")])})

    assert Contact.objects.get(offer=offer).departement == "2A"


def test_a_move_to_an_eg_of_another_departement_carries_the_new_departement():
    tarn, gers = EtablissementFactory(departement="81"), EtablissementFactory(departement="32")
    offer = OfferFactory(structure=in_service(tarn, "Cardiologie"))
    user = HabilitationFactory(entite_juridique=tarn.entite_juridique).user
    gers.entite_juridique = tarn.entite_juridique
    gers.save()
    ContactFactory.create_batch(2, offer=offer)
    kept = ContactFactory(offer=OfferFactory(structure=tarn))

    offer.move(user, in_service(gers, "Cardiologie"))

    assert Offer.objects.get(pk=offer.pk).departement == "32"
    assert list(offer.contacts.values_list("departement", flat=True)) == ["32", "32"]
    assert Contact.objects.get(pk=kept.pk).departement == "81"


def test_a_move_inside_the_departement_writes_no_contact(django_assert_num_queries):
    tarn = EtablissementFactory(departement="81")
    offer = OfferFactory(structure=in_service(tarn, "Cardiologie"))
    ContactFactory(offer=offer)
    Contact.objects.update(departement="XX")  # a marker: not rewritten by the move below
    user = HabilitationFactory(etablissement=tarn).user

    offer.move(user, in_service(tarn, "Pneumologie"))

    assert Contact.objects.get().departement == "XX"


def test_an_edit_that_keeps_the_rattachement_writes_no_departement_again():
    offer = OfferFactory(structure=in_service(EtablissementFactory(departement="81"), "Cardiologie"))
    Offer.objects.filter(pk=offer.pk).update(departement="XX")  # a marker: not rewritten by the edit below
    user = HabilitationFactory(etablissement=offer.structure.parent).user

    Offer.objects.get(pk=offer.pk).publish(user, {"nom": "Cardiologie interventionnelle"})

    assert Offer.objects.get(pk=offer.pk).departement == "XX"


def test_finess_moving_an_eg_to_another_departement_moves_its_offers_and_no_other(tmp_path):
    other = line_with(CLAUDE_BERNARD, nofinesset="810001224")
    run(write(tmp_path, [CLAUDE_BERNARD, other]))
    moved_eg, other_eg = Structure.objects.get(finess_et="810000224"), Structure.objects.get(finess_et="810001224")
    for offer in [
        OfferFactory(nom="Moved", structure=in_service(moved_eg, "Service")),
        OfferFactory(nom="Moved too", structure=moved_eg),
        OfferFactory(nom="Stays", structure=in_service(other_eg, "Service")),
    ]:
        ContactFactory(offer=offer)

    run(write(tmp_path, [line_with(CLAUDE_BERNARD, departement="12"), other]))

    assert departements() == contact_departements() == {"Moved": "12", "Moved too": "12", "Stays": "81"}


def test_relocating_many_eg_costs_one_update_per_new_departement(tmp_path, django_assert_max_num_queries):
    egs = [EtablissementFactory(departement="81") for _ in range(6)]
    for eg in egs:
        ContactFactory(offer=OfferFactory(structure=eg))
    kept = ContactFactory(offer=OfferFactory(structure=EtablissementFactory(departement="81")))
    for eg, departement in zip(egs, ["12", "12", "12", "46", "46", "2A"], strict=True):
        Structure.objects.filter(pk=eg.pk).update(departement=departement)

    # The EG, then per département (12, 2A, 46) one UPDATE of the offers and one of their contacts.
    with django_assert_max_num_queries(1 + 3 * 2):
        etablissements_relocated.send(sender=Structure, etablissement_ids=[eg.pk for eg in egs])

    expected = ["12", "12", "12", "46", "46", "2A"]
    assert [Offer.objects.get(structure=eg).departement for eg in egs] == expected
    assert [Contact.objects.get(offer__structure=eg).departement for eg in egs] == expected
    assert Offer.objects.get(pk=kept.offer_id).departement == Contact.objects.get(pk=kept.pk).departement == "81"


def test_the_migration_backfills_every_contact_from_its_offer():
    copy = import_module("offers.migrations.0016_contact_departement").copy_departements
    ContactFactory(offer=OfferFactory(nom="Corse", structure=EtablissementFactory(departement="2A")))
    ContactFactory(offer=OfferFactory(nom="Tarn", structure=EtablissementFactory(departement="81")))
    Contact.objects.update(departement="")

    copy(django_apps, None)

    assert contact_departements() == {"Corse": "2A", "Tarn": "81"}


def test_the_migration_backfills_every_offer_from_its_eg():
    backfill = import_module("offers.migrations.0006_offer_departement").BACKFILL
    OfferFactory(nom="Corse", structure=in_service(EtablissementFactory(departement="2A"), "Service"))
    OfferFactory(nom="Tarn", structure=EtablissementFactory(departement="81", medico_social=True))
    Offer.objects.update(departement="")

    with connection.cursor() as cursor:
        cursor.execute(backfill)

    assert departements() == {"Corse": "2A", "Tarn": "81"}


def test_a_departement_referent_sees_the_offers_of_their_departement_only():
    tarn, gers = EtablissementFactory(departement="81"), EtablissementFactory(departement="32")
    OfferFactory(nom="Tarn", structure=in_service(tarn, "Service"))
    OfferFactory(nom="Gers", structure=in_service(gers, "Service"))
    referent = HabilitationFactory(referent=True, departement="81").user
    both = HabilitationFactory(referent=True, departement="81").user
    HabilitationFactory(user=both, etablissement=gers)  # a responsable's habilitation on one EG of the Gers

    assert list(Offer.objects.administered_by(referent).values_list("nom", flat=True)) == ["Tarn"]
    assert set(Offer.objects.managed_by(both).values_list("nom", flat=True)) == {"Tarn", "Gers"}
    assert list(Offer.objects.administered_by(both).values_list("nom", flat=True)) == ["Tarn"]


def test_a_referents_contacts_are_the_contacts_of_their_offers_for_every_kind_of_account():
    tarn, tarn_other, gers = etablissements()
    for structure in [tarn, in_service(tarn, "Service"), tarn_other, in_service(gers, "Service")]:
        ContactFactory.create_batch(2, offer=OfferFactory(structure=structure))
    users = accounts(tarn, tarn_other, gers)
    users["référent of the EG"] = HabilitationFactory(referent=True, etablissement=tarn).user

    for label, user in users.items():
        expected = Contact.objects.filter(offer__in=Offer.objects.administered_by(user))
        assert set(Contact.objects.administered_by(user)) == set(expected), label
