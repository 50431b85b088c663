import factory

from offers.models import Contact, Offer, OfferDraft, Telecom
from tests.structures.factories import StructureFactory


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    nom = factory.Sequence(lambda n: f"Offre {n}")
    champ_activite_id = "01"
    modele_saisie = "260/01"
    mode_prise_en_charge_id = "28"

    @factory.post_generation
    def activites(self, create, extracted, **kwargs):
        if create:
            self.activites.set(extracted if extracted is not None else ["013"])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    offer = factory.SubFactory(OfferFactory)
    nom = factory.Sequence(lambda n: f"Contact {n}")
    confidentialite_id = "2"


class TelecomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Telecom

    contact = factory.SubFactory(ContactFactory)
    canal = Telecom.Canal.TELEPHONE
    valeur = "05 63 00 00 00"
    confidentialite_id = "2"


def general_draft(offer, author, **values):
    """A draft of ``offer`` by ``author`` whose "Informations générales" block holds the offer's values, with
    ``values`` (raw: ids and codes) in place of some."""
    from offers.forms import GeneralForm

    return OfferDraft.objects.create(
        offer=offer,
        author=author,
        data={"general": GeneralForm.raw_values(offer) | values},
        base_version=values.pop("base_version", offer.version),
    )
