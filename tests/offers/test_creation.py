"""Creating an offer on the model: published at once or kept as a draft, the placement rules, the first
publication (identifiant, history), discarding a draft, the modèles de saisie."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nomenclatures.models import ActiviteOperationnelle, CategorieEtablissement, ChampActivite, ModePriseEnCharge
from offers import completeness
from offers.models import Contact, ModeleSaisie, MoveRefused, Offer, OfferEvent, PartEdits, StaleOffer, Telecom
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import OfferFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    eg = EtablissementFactory(departement="81")  # Occitanie: region 76
    pole = StructureFactory(parent=eg, pole=True)
    uf = StructureFactory(parent=pole, name="UF Rythmologie")
    manager = HabilitationFactory(etablissement=eg).user
    regulateur = HabilitationFactory(etablissement=eg, regulateur=True).user
    return {"eg": eg, "pole": pole, "uf": uf, "manager": manager, "regulateur": regulateur}


def values(**changes):
    return {
        "nom": "Consultation de rythmologie",
        "champ_activite": ChampActivite.objects.get(pk="01"),
        "modele_saisie": "260/01",
        "unite_sensible": False,
        "mode_prise_en_charge": ModePriseEnCharge.objects.get(pk="32"),
        "activites": [ActiviteOperationnelle.objects.get(pk="013")],
        "age_min": 18,
        "age_max": 120,
    } | changes


def contact_parts(confidentialite="2"):
    contact = Contact(nom="Secrétariat de rythmologie", fonction_id="05", confidentialite_id=confidentialite)
    telecom = Telecom(contact=contact, canal=Telecom.Canal.TELEPHONE, valeur="05 63 77 00 09", confidentialite_id="1")
    return {"contacts": PartEdits(added=[contact]), "telecoms": PartEdits(added=[telecom])}


def test_a_published_creation_gets_its_identifiant_from_the_region_and_one_creation_event(setup):
    offer = Offer.create(setup["manager"], setup["uf"], values() | contact_parts())

    offer.refresh_from_db()
    assert offer.published and offer.identifiant.startswith("76/")
    assert (offer.version, offer.departement, offer.modele_saisie) == (1, "81", "260/01")
    assert offer.completeness == Offer.Completeness.FINALISE
    assert list(offer.activites.values_list("pk", flat=True)) == ["013"]
    assert list(Telecom.objects.filter(contact__offer=offer).values_list("valeur", flat=True)) == ["05 63 77 00 09"]
    (event,) = offer.events.all()
    assert (event.kind, event.to_label, event.author) == (OfferEvent.Kind.CREATE, "UF Rythmologie", setup["manager"])
    assert event.description.startswith("Créée dans « UF Rythmologie » et publiée par ")


def test_two_creations_get_two_successive_identifiants(setup):
    first = Offer.create(setup["manager"], setup["uf"], values())
    second = Offer.create(setup["manager"], setup["uf"], values(nom="Autre"))

    assert int(second.identifiant.split("/")[1]) == int(first.identifiant.split("/")[1]) + 1


def test_a_draft_creation_has_no_identifiant_no_history_and_may_lack_what_publishing_requires(setup):
    offer = Offer.create(
        setup["manager"], setup["uf"], values(mode_prise_en_charge=None, activites=[], age_min=None), publish=False
    )

    offer.refresh_from_db()
    assert (offer.published, offer.identifiant, offer.mode_prise_en_charge) == (False, None, None)
    assert not offer.events.exists()
    assert offer.completeness == Offer.Completeness.EN_COURS  # its champ d'activité is there


def test_a_draft_is_seen_by_the_managers_of_its_eg_only(setup):
    draft = Offer.create(setup["manager"], setup["uf"], values(), publish=False)
    published = OfferFactory(structure=setup["uf"])

    assert set(Offer.objects.visible_to(setup["manager"])) == {draft, published}
    assert set(Offer.objects.visible_to(setup["regulateur"])) == {published}
    assert list(Offer.objects.published()) == [published]
    assert completeness.counts(Offer.objects.published().filter(structure=setup["uf"])).of(completeness.EN_COURS) == 0


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("eg", "Une offre sanitaire ne se rattache pas directement à l'établissement"),
        ("pole", "Une offre sanitaire ne se rattache pas à un pôle"),
        ("closed", "est fermé(e) depuis le"),
        ("other", "Vous n'êtes pas habilité(e) à créer des offres dans"),
    ],
)
def test_creation_follows_the_placement_rules_and_refusals_create_nothing(setup, where, reason):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    target = {
        "eg": setup["eg"],
        "pole": setup["pole"],
        "closed": StructureFactory(parent=setup["pole"], closed_on=yesterday),
        "other": StructureFactory(),
    }[where]
    before = Offer.objects.count(), Contact.objects.count(), OfferEvent.objects.count()

    for publish in (True, False):
        with pytest.raises(MoveRefused, match=re.escape(reason)):
            Offer.create(setup["manager"], target, values() | contact_parts(), publish=publish)

    assert (Offer.objects.count(), Contact.objects.count(), OfferEvent.objects.count()) == before


def test_a_regulateur_may_not_create(setup):
    with pytest.raises(MoveRefused, match="Vous n'êtes pas habilité"):
        Offer.create(setup["regulateur"], setup["uf"], values())
    assert not Offer.objects.exists()


def test_a_medico_social_offer_is_created_on_the_eg_itself():
    eg = EtablissementFactory(medico_social=True, departement="9C")  # Guyane (FINESS writes 9C): region 03
    user = HabilitationFactory(etablissement=eg).user

    offer = Offer.create(user, eg, values(champ_activite=ChampActivite.objects.get(pk="04"), modele_saisie="040/01"))

    assert (offer.structure, offer.identifiant.split("/")[0]) == (eg, "03")


def test_publishing_requires_a_mode_and_an_activite(setup):
    with pytest.raises(ValidationError):
        Offer.create(setup["manager"], setup["uf"], values(activites=[]))
    draft = Offer.create(setup["manager"], setup["uf"], values(mode_prise_en_charge=None), publish=False)

    with pytest.raises(ValidationError):
        draft.publish(setup["manager"], {}, base_version=draft.version)

    draft.refresh_from_db()
    assert (Offer.objects.count(), draft.published, draft.identifiant, draft.events.count()) == (1, False, None, 0)


def test_the_first_publication_of_a_draft_gives_the_identifiant_and_writes_creation(setup):
    draft = Offer.create(setup["manager"], setup["uf"], values(mode_prise_en_charge=None), publish=False)
    draft.save_draft(setup["manager"], {"nom": "Rythmologie", "modele_saisie": "261/01"}, base_version=1)
    draft.refresh_from_db()
    assert (draft.version, draft.nom, draft.modele_saisie, draft.published) == (2, "Rythmologie", "261/01", False)

    draft.publish(setup["manager"], {"mode_prise_en_charge": ModePriseEnCharge.objects.get(pk="32")}, base_version=2)

    draft.refresh_from_db()
    assert draft.published and draft.identifiant.startswith("76/")
    assert list(draft.events.values_list("kind", flat=True)) == [OfferEvent.Kind.CREATE]


def test_a_stale_draft_save_is_refused(setup):
    draft = Offer.create(setup["manager"], setup["uf"], values(), publish=False)
    draft.save_draft(setup["manager"], {"nom": "Premier onglet"}, base_version=1)

    with pytest.raises(StaleOffer):
        draft.save_draft(setup["manager"], {"nom": "Second onglet"}, base_version=1)
    with pytest.raises(StaleOffer):
        draft.publish(setup["manager"], {"nom": "Second onglet"}, base_version=1)
    draft.refresh_from_db()
    assert (draft.nom, draft.published) == ("Premier onglet", False)


def test_a_published_offer_is_not_written_as_a_draft_and_keeps_its_modele(setup):
    offer = Offer.create(setup["manager"], setup["uf"], values())

    with pytest.raises(ValueError):
        offer.save_draft(setup["manager"], {"nom": "Brouillon"})
    with pytest.raises(ValueError):
        offer.publish(setup["manager"], {"modele_saisie": "261/01"})
    with pytest.raises(ValueError):
        offer.discard_draft(setup["manager"])
    offer.refresh_from_db()
    assert (offer.nom, offer.modele_saisie, offer.version) == ("Consultation de rythmologie", "260/01", 1)


def test_discarding_a_draft_removes_it_with_its_contacts(setup):
    draft = Offer.create(setup["manager"], setup["uf"], values() | contact_parts(), publish=False)

    with pytest.raises(MoveRefused):
        draft.discard_draft(setup["regulateur"])
    with pytest.raises(StaleOffer):
        draft.discard_draft(setup["manager"], base_version=7)
    draft.discard_draft(setup["manager"], base_version=1)

    assert (Offer.objects.count(), Contact.objects.count(), Telecom.objects.count()) == (0, 0, 0)


def test_a_sensitive_creation_restricts_its_contact(setup):
    offer = Offer.create(setup["manager"], setup["uf"], values(unite_sensible=True) | contact_parts("1"))

    assert set(offer.contacts.values_list("confidentialite", flat=True)) == {Offer.RESTRICTED_LEVEL}
    assert set(Telecom.objects.filter(contact__offer=offer).values_list("confidentialite", flat=True)) == {"3"}


def test_the_modeles_valid_for_a_categorie_and_a_champ():
    sanitaire, medico_social = (CategorieEtablissement.objects.get(pk=code) for code in ("365", "500"))

    assert set(ModeleSaisie.objects.valid_for(sanitaire, "01").values_list("identifiant", flat=True)) == {
        "260/01",
        "261/01",
    }
    assert set(ModeleSaisie.objects.valid_for(medico_social).values_list("identifiant", flat=True)) == {
        "040/01",
        "060/01",
    }
    ModeleSaisie.objects.filter(identifiant="261/01").update(actif=False)
    assert list(ModeleSaisie.objects.valid_for(sanitaire, "01").values_list("identifiant", flat=True)) == ["260/01"]


def test_the_database_refuses_a_published_offer_without_identifiant_or_mode(setup):
    from django.db import IntegrityError, transaction

    offer = OfferFactory(structure=setup["uf"])
    for update in ({"identifiant": None}, {"mode_prise_en_charge": None}, {"published": False}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Offer.objects.filter(pk=offer.pk).update(**update)


def test_a_draft_whose_unit_was_closed_since_is_not_published(setup):
    draft = Offer.create(setup["manager"], setup["uf"], values(), publish=False)
    setup["uf"].closed_on = timezone.localdate() - datetime.timedelta(days=1)
    setup["uf"].save()

    with pytest.raises(MoveRefused, match="est fermé"):
        draft.publish(setup["manager"], {}, base_version=1)

    draft.refresh_from_db()
    assert (draft.published, draft.identifiant, draft.version) == (False, None, 1)
