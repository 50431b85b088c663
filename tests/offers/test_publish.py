"""Publishing, moving, history, undo, drafts and sensitive units on the model."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from nomenclatures.models import NiveauConfidentialite
from offers.drafts import annotate_differences
from offers.models import MoveRefused, Offer, OfferEvent, StaleOffer, Telecom
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory, general_draft
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    eg = EtablissementFactory()
    service = StructureFactory(parent=StructureFactory(parent=eg, pole=True), service=True)
    uf, uf2 = StructureFactory(parent=service, name="UF A"), StructureFactory(parent=service, name="UF B")
    offer = OfferFactory(structure=uf, age_min=18, age_max=99, type_offre_id="262")
    offer.activites.set(["013", "354"])
    for level in ("1", "2", "3"):
        TelecomFactory(contact=ContactFactory(offer=offer, confidentialite_id=level), confidentialite_id=level)
    user = HabilitationFactory(etablissement=eg).user
    return {"eg": eg, "service": service, "uf": uf, "uf2": uf2, "offer": offer, "user": user}


def snapshot(offer):
    """The whole offer with its related rows."""
    offer = Offer.objects.get(pk=offer.pk)
    data = model_to_dict(offer, exclude=["structure", "version", "activites"])
    data |= {"created_at": offer.created_at, "activites": sorted(offer.activites.values_list("code", flat=True))}
    data["contacts"] = sorted(
        offer.contacts.values_list("pk", "nom", "fonction", "nature", "description", "confidentialite")
    )
    data["telecoms"] = sorted(
        Telecom.objects.filter(contact__offer=offer).values_list("pk", "canal", "valeur", "confidentialite")
    )
    return data


def test_a_move_keeps_the_offer_and_everything_it_carries(setup):
    offer = setup["offer"]
    before = snapshot(offer)

    offer.move(setup["user"], setup["uf2"], base_version=1)

    moved = Offer.objects.get(pk=offer.pk)
    assert moved.structure_id == setup["uf2"].pk
    assert snapshot(moved) == before
    assert moved.version == 2
    assert moved.updated_at >= before["created_at"]


def test_a_move_is_recorded_in_the_history(setup):
    offer = setup["offer"]

    offer.move(setup["user"], setup["uf2"])

    event = offer.events.get()
    assert (event.kind, event.from_structure, event.to_structure) == ("deplacement", setup["uf"], setup["uf2"])
    assert event.author == setup["user"] and event.version == 2
    assert event.description.startswith(f"Déplacée de « UF A » vers « UF B » par {setup['user']} le ")


def test_a_refused_move_changes_nothing(setup):
    offer = setup["offer"]
    pole = Structure.objects.get(pk=setup["service"].parent_id)

    with pytest.raises(MoveRefused, match="pôle"):
        offer.move(setup["user"], pole)

    assert Offer.objects.get(pk=offer.pk).structure_id == setup["uf"].pk
    assert Offer.objects.get(pk=offer.pk).version == 1
    assert not offer.events.exists()


def test_a_stale_version_is_refused_and_changes_nothing(setup):
    offer = setup["offer"]
    offer.publish(setup["user"], {"nom": "Renommée par un collègue"}, base_version=1)

    with pytest.raises(StaleOffer, match="Cette offre a été modifiée entre-temps"):
        offer.publish(setup["user"], {"nom": "Ma version", "structure": setup["uf2"]}, base_version=1)

    offer.refresh_from_db()
    assert (offer.nom, offer.structure_id, offer.version) == ("Renommée par un collègue", setup["uf"].pk, 2)


def test_publishing_edits_records_which_fields_changed(setup):
    offer = setup["offer"]
    before = offer.nom

    offer.publish(setup["user"], {"nom": "USIC", "unite_sensible": False}, base_version=1)

    event = offer.events.get()
    assert (event.kind, event.fields, event.changes) == (
        "modification",
        ["Nom de l'offre"],
        [["Nom de l'offre", before, "USIC"]],
    )
    assert event.description.startswith(f"Modifiée par {setup['user']} le ")
    assert event.description.endswith(f" : Nom de l'offre : « {before} » → « USIC »")


def test_publishing_nothing_new_changes_nothing(setup):
    offer = setup["offer"]

    offer.publish(setup["user"], {"nom": offer.nom, "structure": setup["uf"]}, base_version=1)

    assert Offer.objects.get(pk=offer.pk).version == 1
    assert not offer.events.exists()


def test_an_edit_and_a_move_in_one_publication(setup):
    offer = setup["offer"]

    offer.publish(setup["user"], {"nom": "Nouveau nom", "structure": setup["uf2"]}, base_version=1)

    assert sorted(offer.events.values_list("kind", flat=True)) == ["deplacement", "modification"]
    assert Offer.objects.get(pk=offer.pk).version == 2


def test_a_regulateur_cannot_publish(setup):
    regulateur = HabilitationFactory(regulateur=True, departement="81").user

    with pytest.raises(MoveRefused, match="habilité"):
        setup["offer"].publish(regulateur, {"nom": "Piratée"})

    assert Offer.objects.get(pk=setup["offer"].pk).nom != "Piratée"


def test_marking_an_offer_sensitive_restricts_every_contact_and_telecom(setup):
    offer = setup["offer"]

    offer.publish(setup["user"], {"unite_sensible": True}, base_version=1)

    assert set(offer.contacts.values_list("confidentialite_id", flat=True)) == {NiveauConfidentialite.REGULATION}
    assert set(Telecom.objects.filter(contact__offer=offer).values_list("confidentialite_id", flat=True)) == {"3"}


def test_a_contact_of_a_sensitive_offer_cannot_be_lowered(setup):
    offer = setup["offer"]
    offer.publish(setup["user"], {"unite_sensible": True}, base_version=1)
    contact = offer.contacts.first()
    telecom = contact.telecoms.first()

    contact.confidentialite_id = "1"
    telecom.confidentialite_id = "2"

    with pytest.raises(ValidationError, match="unité sensible"):
        contact.full_clean()
    with pytest.raises(ValidationError, match="unité sensible"):
        telecom.full_clean()


def test_a_new_contact_of_a_sensitive_offer_starts_at_the_regulation_level(setup):
    offer = setup["offer"]
    offer.publish(setup["user"], {"unite_sensible": True}, base_version=1)
    offer.refresh_from_db()

    with pytest.raises(ValidationError):
        ContactFactory.build(offer=offer, confidentialite_id="2").full_clean()
    ContactFactory.build(offer=offer, confidentialite_id="3").full_clean()


def test_contacts_of_an_ordinary_offer_take_any_level(setup):
    contact = setup["offer"].contacts.first()
    contact.confidentialite_id = "1"

    contact.full_clean()


# --- undo ----------------------------------------------------------------------------------------------


def test_undo_moves_the_offer_back_and_is_recorded(setup):
    offer = setup["offer"]
    offer.move(setup["user"], setup["uf2"])
    event = offer.latest_move()

    offer.undo_move(setup["user"], event)

    assert Offer.objects.get(pk=offer.pk).structure_id == setup["uf"].pk
    undo = offer.latest_move()
    assert (undo.kind, undo.undoes, undo.from_structure, undo.to_structure) == (
        "annulation",
        event,
        setup["uf2"],
        setup["uf"],
    )
    assert undo.description.startswith("Ramenée (annulation du déplacement) de « UF B » vers « UF A »")


def test_only_the_latest_move_can_be_undone(setup):
    offer = setup["offer"]
    offer.move(setup["user"], setup["uf2"])
    first = offer.latest_move()
    uf3 = StructureFactory(parent=setup["service"], name="UF C")
    offer.move(setup["user"], uf3)

    with pytest.raises(MoveRefused, match="dernier déplacement"):
        offer.undo_move(setup["user"], first)

    assert Offer.objects.get(pk=offer.pk).structure_id == uf3.pk


def test_an_undo_cannot_itself_be_undone_as_a_move(setup):
    offer = setup["offer"]
    offer.move(setup["user"], setup["uf2"])
    offer.undo_move(setup["user"], offer.latest_move())

    with pytest.raises(MoveRefused):
        offer.undo_move(setup["user"], offer.latest_move())


def test_undo_is_refused_when_the_rules_no_longer_allow_the_way_back(setup):
    offer = setup["offer"]
    offer.move(setup["user"], setup["uf2"])
    Structure.objects.filter(pk=setup["uf"].pk).update(closed_on=datetime.date(2024, 1, 1))
    event = offer.latest_move()

    assert offer.undo_refusal_reason(setup["user"], event) == "« UF A » est fermé(e) depuis le 01/01/2024."
    with pytest.raises(MoveRefused, match="fermé"):
        offer.undo_move(setup["user"], event)
    assert Offer.objects.get(pk=offer.pk).structure_id == setup["uf2"].pk


# --- drafts --------------------------------------------------------------------------------------------


def test_a_draft_lists_its_differences_with_the_published_offer(setup):
    offer = setup["offer"]
    draft = general_draft(offer, setup["user"], nom="Nouveau", structure=setup["uf2"].pk, unite_sensible=True)
    draft.data["characteristics"] = {"age_min": 18, "age_max": 65, "activites": ["013", "354"]}

    annotate_differences([draft], Offer.objects.get(pk=offer.pk))
    assert draft.rows == [
        ("Nom de l'offre", offer.nom, "Nouveau"),
        ("Rattachement organisationnel", "UF A", "UF B"),
        ("Unité sensible", "NON", "OUI"),
        ("Âge maximum (ans)", "99", "65"),
    ]
    assert not draft.is_stale
    offer.publish(setup["user"], {"nom": "Autre"}, base_version=1)
    draft.refresh_from_db()
    assert draft.is_stale


# --- management command ---------------------------------------------------------------------------------


def test_move_offer_command_applies_the_same_rules(setup):
    offer = setup["offer"]
    pole = Structure.objects.get(pk=setup["service"].parent_id)
    username = setup["user"].username

    with pytest.raises(CommandError, match="Déplacement refusé : Une offre sanitaire ne se rattache pas à un pôle"):
        call_command("move_offer", offer.identifiant, str(pole.pk), utilisateur=username)
    call_command("move_offer", offer.identifiant, str(setup["uf2"].pk), utilisateur=username)

    assert Offer.objects.get(pk=offer.pk).structure_id == setup["uf2"].pk
    assert OfferEvent.objects.filter(offer=offer, kind="deplacement").count() == 1


def test_move_offer_command_stays_in_the_user_scope(setup):
    outsider = HabilitationFactory(etablissement=EtablissementFactory()).user

    with pytest.raises(CommandError, match="introuvable dans le périmètre"):
        call_command("move_offer", setup["offer"].identifiant, str(setup["uf2"].pk), utilisateur=outsider.username)


def test_publish_only_takes_the_editable_fields(setup):
    with pytest.raises(ValueError):
        setup["offer"].publish(setup["user"], {"version": 99})

    assert Offer.objects.get(pk=setup["offer"].pk).version == 1


def test_move_offer_command_refuses_an_unknown_user_or_structure(setup):
    with pytest.raises(CommandError, match="Utilisateur inconnu ou inactif"):
        call_command("move_offer", setup["offer"].identifiant, str(setup["uf2"].pk), utilisateur="personne")
    with pytest.raises(CommandError, match="Structure 999999 introuvable"):
        call_command("move_offer", setup["offer"].identifiant, "999999", utilisateur=setup["user"].username)

    assert Offer.objects.get(pk=setup["offer"].pk).structure_id == setup["uf"].pk
