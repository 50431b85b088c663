import pytest
from django.db import IntegrityError, transaction

from offers.models import Offer
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_identifiants_are_region_code_slash_sequence():
    tarn = StructureFactory(parent=EtablissementFactory(departement="81"))
    guyane = EtablissementFactory(departement="9C", medico_social=True)

    first, second = OfferFactory(structure=tarn), OfferFactory(structure=tarn)
    overseas = OfferFactory(structure=guyane)

    assert (first.identifiant, second.identifiant) == ("76/1", "76/2")
    assert overseas.identifiant == "03/1"


def test_an_identifiant_is_kept_when_the_offer_is_saved_again():
    offer = OfferFactory()
    identifiant = offer.identifiant

    offer.nom = "Nouveau nom"
    offer.save()

    assert Offer.objects.get(pk=offer.pk).identifiant == identifiant


def test_identifiants_are_unique_in_the_database():
    offer = OfferFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(identifiant=offer.identifiant)


def test_an_identifiant_without_region_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(identifiant="1234")


@pytest.mark.parametrize(
    ("age_min", "age_max", "ok"),
    [(0, 17, True), (18, 18, True), (None, 60, True), (60, 18, False), (0, 151, False)],
)
def test_patientele_ages(age_min, age_max, ok):
    if ok:
        OfferFactory(age_min=age_min, age_max=age_max)
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            OfferFactory(age_min=age_min, age_max=age_max)


def test_an_offer_needs_a_name():
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(nom="")


def test_a_new_offer_starts_at_version_1():
    assert OfferFactory().version == 1


def test_contacts_and_telecoms_carry_a_confidentiality_level():
    telecom = TelecomFactory(confidentialite_id="3")

    assert telecom.confidentialite.label == "Visible régulation et gestion de crise"
    assert telecom.contact.confidentialite.label == "Visible par les professionnels"
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(confidentialite_id=None)


def test_an_offer_cannot_be_deleted_with_its_structure():
    offer = OfferFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        offer.structure.delete()
