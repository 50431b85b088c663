"""Every part of an offer through the one publish path: characteristics, closing, contacts and télécoms,
with the old and new values in the history; drafts holding several blocks."""

import datetime

import pytest

from nomenclatures.models import ActiviteOperationnelle, NiveauConfidentialite, TypeOffre
from offers.drafts import save_block, validated_changes
from offers.forms import BLOCKS, CharacteristicsForm, GeneralForm, field_label, publishable_fields
from offers.models import Contact, Offer, OfferDraft, PartEdits, StaleOffer, Telecom
from offers.moves import MovePolicy
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
REGULATION = NiveauConfidentialite.REGULATION


@pytest.fixture
def setup():
    eg = EtablissementFactory()
    service = StructureFactory(parent=StructureFactory(parent=eg, pole=True), service=True)
    uf = StructureFactory(parent=service, name="UF A")
    offer = OfferFactory(structure=uf, age_min=18, age_max=99, type_offre_id="01", activites=["013", "354"])
    contact = ContactFactory(offer=offer, nom="Secrétariat", confidentialite_id="1")
    TelecomFactory(contact=contact, canal="phone", valeur="0561000000", confidentialite_id="1")
    user = HabilitationFactory(etablissement=eg).user
    return {"eg": eg, "uf": uf, "offer": offer, "contact": contact, "user": user}


def fresh(offer):
    return Offer.objects.get(pk=offer.pk)


def activites(*codes):
    return list(ActiviteOperationnelle.objects.filter(pk__in=codes))


def test_the_publishable_fields_are_the_fields_of_the_block_forms():
    assert publishable_fields() == {
        "nom", "champ_activite", "structure", "unite_sensible",
        "type_offre", "mode_prise_en_charge", "activites", "temporalite_accueil", "publics", "age_min", "age_max",
        "closed_on", "closing_type", "reopening_on", "contacts", "telecoms",
    }  # fmt: skip
    assert {form.block for form in BLOCKS.values()} == {"general", "characteristics", "closing"}
    assert field_label("unite_sensible") == "Unité sensible"  # the legend, not the checkbox's sentence
    assert field_label("age_min") == "Âge minimum (ans)"


def test_characteristics_are_published_once_with_their_old_and_new_values(setup):
    offer, user = setup["offer"], setup["user"]
    other_type = TypeOffre.objects.get(pk="02")

    offer.publish(
        user,
        {"type_offre": other_type, "activites": activites("013", "001"), "age_min": 18, "age_max": 18},
        base_version=1,
    )

    offer = fresh(offer)
    assert offer.version == 2
    assert (offer.type_offre_id, offer.age_max) == ("02", 18)
    assert sorted(offer.activites.values_list("pk", flat=True)) == ["001", "013"]
    event = offer.events.get()
    assert event.changes == [
        ["Type d'offre", "Appartement thérapeutique", "Atelier thérapeutique"],
        [
            "Activités opérationnelles",
            "Cardiologie générale, Soins intensifs spécialisés cardiologie (USIC)",
            "Addictologie comportementale (sans substance), Cardiologie générale",
        ],
        ["Âge maximum (ans)", "99", "18"],
    ]


def test_the_same_activites_in_another_order_publish_nothing(setup):
    offer = setup["offer"]

    offer.publish(setup["user"], {"activites": activites("354", "013"), "age_min": 18}, base_version=1)

    assert fresh(offer).version == 1
    assert not offer.events.exists()


def test_closing_and_reopening_go_through_publish(setup):
    offer, user = setup["offer"], setup["user"]
    day = datetime.date(2026, 11, 30)

    offer.publish(user, {"closed_on": day}, base_version=1)
    offer.publish(user, {"closed_on": None}, base_version=2)

    assert fresh(offer).closed_on is None and fresh(offer).version == 3
    assert [event.changes for event in offer.events.order_by("pk")] == [
        [["Date de fermeture", "Non renseigné", "30/11/2026"]],
        [["Date de fermeture", "30/11/2026", "Non renseigné"]],
    ]


def test_contacts_are_added_changed_and_removed_in_one_publication(setup):
    offer, user, contact = setup["offer"], setup["user"], setup["contact"]
    other = ContactFactory(offer=offer, nom="Accueil")
    changed = Contact.objects.get(pk=contact.pk)
    changed.nom, changed.confidentialite_id = "Secrétariat de cardiologie", "2"
    new = Contact(nom="Cadre de santé", confidentialite_id="2")

    offer.publish(
        user,
        {"contacts": PartEdits(added=[new], changed=[(changed, ["nom", "confidentialite"])], removed=[other])},
        base_version=1,
    )

    assert fresh(offer).version == 2
    assert sorted(offer.contacts.values_list("nom", "confidentialite_id")) == [
        ("Cadre de santé", "2"),
        ("Secrétariat de cardiologie", "2"),
    ]
    assert offer.events.get().changes == [
        ["Contact « Accueil »", "Accueil", "supprimé"],
        ["Contact « Secrétariat de cardiologie » : Nom", "Secrétariat", "Secrétariat de cardiologie"],
        [
            "Contact « Secrétariat de cardiologie » : Niveau de confidentialité",
            "Visible du grand public",
            "Visible par les professionnels",
        ],
        ["Contact « Cadre de santé »", "—", "ajouté : Cadre de santé"],
    ]


def test_a_telecom_is_changed_through_its_offer(setup):
    offer, user = setup["offer"], setup["user"]
    telecom = Telecom.objects.get(contact=setup["contact"])
    telecom.valeur = "0561000001"
    added = Telecom(contact=setup["contact"], canal="email", valeur="secretariat@chu.fr", confidentialite_id="2")

    offer.publish(user, {"telecoms": PartEdits(added=[added], changed=[(telecom, ["valeur"])])}, base_version=1)

    assert sorted(Telecom.objects.filter(contact__offer=offer).values_list("valeur", flat=True)) == [
        "0561000001",
        "secretariat@chu.fr",
    ]
    assert offer.events.get().changes == [
        ["Télécom de « Secrétariat » : Valeur", "0561000000", "0561000001"],
        ["Télécom de « Secrétariat »", "—", "ajouté : Adresse électronique : secretariat@chu.fr"],
    ]


@pytest.mark.parametrize(
    ("part", "operation"),
    # A new contact takes the offer it is published with: there is no foreign new contact.
    [("contacts", "changed"), ("contacts", "removed"), ("telecoms", "changed"), ("telecoms", "removed"),
     ("telecoms", "added")],
)  # fmt: skip
def test_rows_of_another_offer_are_refused_and_nothing_changes(setup, part, operation):
    offer, user = setup["offer"], setup["user"]
    foreign_contact = ContactFactory(offer=OfferFactory(structure=setup["uf"]), nom="Ailleurs")
    foreign_telecom = TelecomFactory(contact=foreign_contact, valeur="0500000000")
    row = foreign_contact if part == "contacts" else foreign_telecom
    if operation == "added":
        row = Telecom(contact=foreign_contact, canal="phone", valeur="0511111111", confidentialite_id="2")
    edits = PartEdits(
        **{operation: [(row, ["nom" if part == "contacts" else "valeur"])] if operation == "changed" else [row]}
    )
    before = (
        sorted(Contact.objects.values_list("pk", "nom", "offer_id")),
        sorted(Telecom.objects.values_list("pk", "valeur", "contact_id")),
    )

    with pytest.raises(ValueError):
        offer.publish(user, {"nom": "Changée", part: edits}, base_version=1)

    assert fresh(offer).version == 1 and fresh(offer).nom != "Changée" and not offer.events.exists()
    assert before == (
        sorted(Contact.objects.values_list("pk", "nom", "offer_id")),
        sorted(Telecom.objects.values_list("pk", "valeur", "contact_id")),
    )


def test_a_new_contact_of_a_sensitive_offer_is_restricted_by_publish(setup):
    offer, user = setup["offer"], setup["user"]
    offer.publish(user, {"unite_sensible": True}, base_version=1)

    fresh(offer).publish(user, {"contacts": PartEdits(added=[Contact(nom="Garde", confidentialite_id="1")])})

    assert set(offer.contacts.values_list("confidentialite_id", flat=True)) == {REGULATION}


def test_a_stale_publication_of_contacts_changes_nothing(setup):
    offer, user = setup["offer"], setup["user"]
    offer.publish(user, {"nom": "Entre-temps"}, base_version=1)

    with pytest.raises(StaleOffer):
        offer.publish(
            user, {"contacts": PartEdits(added=[Contact(nom="Tard", confidentialite_id="2")])}, base_version=1
        )

    assert not offer.contacts.filter(nom="Tard").exists()


# --- drafts holding several blocks ---------------------------------------------------------------------


def test_saving_one_block_keeps_the_other_blocks_of_the_draft(setup):
    offer, user = setup["offer"], setup["user"]
    policy = MovePolicy(offer, user)
    general = GeneralForm(
        data=GeneralForm.raw_values(offer) | {"nom": "Nouveau nom", "version": 1}, offer=offer, policy=policy
    )
    characteristics = CharacteristicsForm(
        data=CharacteristicsForm.raw_values(offer) | {"age_max": 65, "version": 1}, offer=offer
    )
    assert general.is_valid() and characteristics.is_valid()

    save_block(offer, user, general)
    draft = save_block(offer, user, characteristics)

    assert OfferDraft.objects.get().pk == draft.pk
    assert (draft.data["general"]["nom"], draft.data["characteristics"]["age_max"]) == ("Nouveau nom", 65)
    changes, errors = validated_changes(offer, policy, draft.data, draft.base_version)
    assert errors == [] and (changes["nom"], changes["age_max"]) == ("Nouveau nom", 65)
    fresh(offer).publish(user, changes, base_version=draft.base_version)
    assert (fresh(offer).nom, fresh(offer).age_max, fresh(offer).version) == ("Nouveau nom", 65, 2)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"age_min": 30, "age_max": 20}, "Âge maximum (ans) : L'âge maximum doit être supérieur ou égal"),
        ({"age_max": 121}, "Âge maximum (ans) : L'âge maximum ne peut pas dépasser 120 ans."),
        ({"activites": []}, "Activités opérationnelles : Sélectionnez au moins une activité"),
        ({"activites": ["999"]}, "Activités opérationnelles : Cette activité opérationnelle n'existe pas"),
        ({"mode_prise_en_charge": "ZZ"}, "Mode de prise en charge : Ce mode de prise en charge n'existe pas"),
    ],
)
def test_a_draft_block_is_validated_again_by_its_form(setup, values, message):
    offer = setup["offer"]
    data = {"characteristics": CharacteristicsForm.raw_values(offer) | values}

    changes, errors = validated_changes(offer, MovePolicy(offer, setup["user"]), data, offer.version)

    assert changes == {} and len(errors) == 1 and errors[0].startswith(message)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_drafts_as_their_general_block(nomenclatures):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("offers", "0006_offer_departement")]
    offer = OfferFactory()
    user = HabilitationFactory(etablissement=EtablissementFactory()).user
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        old_apps.get_model("offers", "OfferDraft").objects.create(
            offer_id=offer.pk, author_id=user.pk, nom="Ancien brouillon", champ_activite_id="01",
            structure_id=offer.structure_id, unite_sensible=True, base_version=1,
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema

    draft = OfferDraft.objects.get()
    assert draft.data == {
        "general": {
            "nom": "Ancien brouillon",
            "champ_activite": "01",
            "structure": offer.structure_id,
            "unite_sensible": True,
        }
    }
