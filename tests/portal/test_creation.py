"""Creating an offer in the portal ("Créer une offre"): who sees the button and the page, what is submitted as
the page renders it, drafts of a new offer, forged submissions. The rules are tested on the model
(tests/offers/test_creation.py)."""

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from offers.models import SENSITIVE_MESSAGE, Contact, Offer, OfferEvent, Telecom
from structures.models import Structure
from tests.page_forms import form_data

pytestmark = pytest.mark.django_db

UF = "Consultation Cardiologie"


@pytest.fixture
def uf(seed):
    return Structure.objects.get(name=UF)


@pytest.fixture
def ehpad(seed):
    return Structure.objects.get(finess_et="970302287")


def create_url(node):
    return reverse("offer_create", args=[node.pk])


def filled(client, url, **changes):
    """The creation page's form as a browser submits it, filled as a person would."""
    data = form_data(client.get(url).text, "formulaire-creation")
    person = {
        "nom": "Consultation de rythmologie",
        "champ_activite": "01",
        "modele_saisie": "260/01",
        "mode_prise_en_charge": "32",
        "activites": ["013"],
        "age_min": "18",
        "age_max": "120",
        "contact-nom": "Secrétariat de rythmologie",
        "contact-fonction": "05",
        "contact-confidentialite": "2",
        "telecoms-0-canal": "phone",
        "telecoms-0-valeur": "05.63.77.00.09",
        "telecoms-0-confidentialite": "1",
        "action": "publier",
    }
    return data | {name: value if isinstance(value, list) else [value] for name, value in (person | changes).items()}


def state():
    return (
        sorted(Offer.objects.values_list("pk", "nom", "published", "identifiant", "version")),
        Contact.objects.count(),
        Telecom.objects.count(),
        OfferEvent.objects.count(),
    )


def logged_in(user):
    """A second browser (``client_for`` logs the one test client in)."""
    client = Client()
    client.force_login(user)
    return client


def table_text(client, node):
    return unescape(client.get(reverse("structure_detail", args=[node.pk])).text)


@pytest.mark.parametrize(
    ("username", "status"),
    [("gestionnaire", 200), ("referent", 200), ("regulateur", 403), ("autre", 404), (None, 302)],
)
def test_permission_matrix_of_the_creation_page(client, uf, demo_user, username, status):
    if username:
        client.force_login(demo_user(username))
    before = state()

    assert client.get(create_url(uf)).status_code == status
    posted = client.post(create_url(uf), {"action": "publier", "nom": "Forgée", "champ_activite": "01"})

    assert posted.status_code == (200 if status == 200 else status)  # a manager sees the form's errors
    assert state() == before


@pytest.mark.parametrize(("username", "shown"), [("gestionnaire", True), ("referent", True), ("regulateur", False)])
def test_the_button_is_shown_to_managers_only(client, uf, demo_user, username, shown):
    client.force_login(demo_user(username))

    assert ("Créer une offre" in table_text(client, uf)) is shown


def test_no_button_nor_creation_where_a_sanitaire_offer_may_not_be_attached(client_for, uf):
    client = client_for("gestionnaire")
    pole, eg = uf.parent.parent, uf.get_root()
    before = state()

    for node in (pole, eg):
        assert "Créer une offre" not in table_text(client, node)
        response = client.post(create_url(node), filled(client, create_url(uf)), follow=True)
        assert "Aucune offre ne peut être créée ici" in unescape(response.text)
    assert state() == before


def test_creating_and_publishing_an_offer_from_the_page(client_for, uf):
    client = client_for("gestionnaire")

    response = client.post(create_url(uf), filled(client, create_url(uf)), follow=True)

    offer = Offer.objects.get(nom="Consultation de rythmologie")
    assert (offer.published, offer.structure, offer.modele_saisie, offer.version) == (True, uf, "260/01", 1)
    assert offer.identifiant.startswith("76/")
    assert f"Offre publiée, identifiant {offer.identifiant}." in unescape(response.text)
    contact = offer.contacts.get()
    assert (contact.nom, list(contact.telecoms.values_list("valeur", flat=True))) == (
        "Secrétariat de rythmologie",
        ["05 63 77 00 09"],
    )
    row = table_text(client, uf).split("Consultation de rythmologie", 1)[1].split("</tr>", 1)[0]
    assert "Offre" in row and "Finalisé" in row


def test_a_medico_social_offer_is_created_from_the_eg_page(client_for, ehpad):
    client = client_for("gestionnaire")
    assert "Créer une offre" in table_text(client, ehpad)

    client.post(
        create_url(ehpad),
        filled(client, create_url(ehpad), champ_activite="04", modele_saisie="040/01", mode_prise_en_charge="46"),
    )

    offer = Offer.objects.get(nom="Consultation de rythmologie")
    assert (offer.structure, offer.identifiant.split("/")[0]) == (ehpad, "03")


def test_the_modeles_offered_are_those_of_the_eg_categorie_with_their_champs(client_for, uf, ehpad):
    client = client_for("gestionnaire")

    sanitaire, medico_social = (client.get(create_url(node)).text for node in (uf, ehpad))

    assert 'value="260/01" data-champs="01"' in sanitaire and 'value="261/01" data-champs="01 02 03"' in sanitaire
    assert "040/01" not in sanitaire
    assert 'value="040/01" data-champs="04"' in medico_social and "260/01" not in medico_social


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"modele_saisie": "040/01"}, "Ce modèle de saisie n'existe pas ou ne s'applique pas à cet établissement."),
        ({"modele_saisie": "020/01"}, "Le modèle de saisie « 020/01 » ne s'applique pas au champ d'activité"),
        ({"modele_saisie": "999/99"}, "Ce modèle de saisie n'existe pas"),
        ({"mode_prise_en_charge": "ZZ"}, "Ce mode de prise en charge n'existe pas dans la nomenclature du ROR."),
        ({"activites": ["013", "99999"]}, "Cette activité opérationnelle n'existe pas"),
        ({"activites": []}, "Sélectionnez au moins une activité opérationnelle."),
        ({"age_min": "90", "age_max": "18"}, "L'âge maximum doit être supérieur ou égal à l'âge minimum."),
        ({"telecoms-0-valeur": "05 63"}, "Saisissez un numéro français à 10 chiffres"),
        ({"contact-confidentialite": ""}, "Sélectionnez le niveau de confidentialité."),
        ({"nom": "\u200b\u200b"}, "Le nom ne contient aucun caractère visible"),
        ({"action": "supprimer"}, "La demande est incomplète"),
    ],
)
def test_bad_or_forged_values_are_refused_and_create_nothing(client_for, uf, changes, message):
    client = client_for("gestionnaire")
    before = state()

    response = client.post(create_url(uf), filled(client, create_url(uf), **changes))

    assert response.status_code == 200
    assert message in unescape(response.text)
    assert state() == before


def test_a_draft_of_a_new_offer_may_be_incomplete_and_is_seen_by_managers_only(client_for, demo_user, uf):
    client = client_for("gestionnaire")
    data = filled(client, create_url(uf), action="brouillon", mode_prise_en_charge="", activites=[])
    for name in [name for name in data if name.startswith(("contact-", "telecoms-0-"))]:
        data[name] = [""]  # no contact yet

    response = client.post(create_url(uf), data, follow=True)

    offer = Offer.objects.get(nom="Consultation de rythmologie")
    assert (offer.published, offer.identifiant, offer.mode_prise_en_charge, offer.contacts.count()) == (
        False,
        None,
        None,
        0,
    )
    text = unescape(response.text)
    assert "Brouillon enregistré : l'offre n'est pas publiée" in text and "Reprendre la saisie" in text
    assert "Donné à la première publication" in text and "None" not in text
    row = table_text(client, uf).split("Consultation de rythmologie", 1)[1].split("</tr>", 1)[0]
    assert "Brouillon" in row
    # The published offer's pages are not those of a draft.
    for url in (reverse("offer_edit", args=[offer.pk]), reverse("contact_add", args=[offer.pk])):
        assert client.get(url).status_code == 404
    regulateur = logged_in(demo_user("regulateur"))
    assert "Consultation de rythmologie" not in table_text(regulateur, uf)
    assert regulateur.get(reverse("offer_detail", args=[offer.pk])).status_code == 404


def test_resuming_a_draft_then_publishing_it(client_for, uf):
    client = client_for("gestionnaire")
    data = filled(client, create_url(uf), action="brouillon", mode_prise_en_charge="")
    client.post(create_url(uf), data)
    offer = Offer.objects.get(nom="Consultation de rythmologie")
    resume = reverse("offer_creation", args=[offer.pk])

    page = client.get(resume).text
    assert 'value="Consultation de rythmologie"' in page and 'value="Secrétariat de rythmologie"' in unescape(page)
    response = client.post(resume, filled(client, resume, nom="Rythmologie"), follow=True)

    offer.refresh_from_db()
    assert (offer.nom, offer.published, offer.contacts.count()) == ("Rythmologie", True, 1)
    assert offer.identifiant.startswith("76/") and "Offre publiée" in unescape(response.text)
    assert list(offer.events.values_list("kind", flat=True)) == [OfferEvent.Kind.CREATE]
    assert client.get(resume).status_code == 404  # published: its own pages now


def test_a_stale_draft_page_is_refused(client_for, uf):
    client = client_for("gestionnaire")
    client.post(create_url(uf), filled(client, create_url(uf), action="brouillon"))
    offer = Offer.objects.get(nom="Consultation de rythmologie")
    resume = reverse("offer_creation", args=[offer.pk])
    first_tab, second_tab = filled(client, resume, nom="Onglet 1"), filled(client, resume, nom="Onglet 2")
    client.post(resume, first_tab | {"action": ["brouillon"]})

    response = client.post(resume, second_tab | {"action": ["brouillon"]})

    assert "Cette offre a été modifiée entre-temps" in unescape(response.text)
    offer.refresh_from_db()
    assert offer.nom == "Onglet 1"


def test_deleting_a_draft(client_for, demo_user, uf):
    client = client_for("gestionnaire")
    client.post(create_url(uf), filled(client, create_url(uf), action="brouillon"))
    offer = Offer.objects.get(nom="Consultation de rythmologie")
    url = reverse("creation_delete", args=[offer.pk])
    assert logged_in(demo_user("regulateur")).post(url, {"version": "1"}).status_code == 404
    assert logged_in(demo_user("autre")).get(url).status_code == 404

    confirmation = client.get(url).text
    assert "Secrétariat de rythmologie" in unescape(confirmation)
    response = client.post(url, form_data(confirmation, "formulaire-suppression"), follow=True)

    assert not Offer.objects.filter(pk=offer.pk).exists() and not Contact.objects.filter(offer=offer.pk).exists()
    assert "Brouillon « Consultation de rythmologie » supprimé." in unescape(response.text)
    assert client.post(url, {"version": "1"}).status_code == 404


def test_a_published_offer_cannot_be_deleted_through_the_draft_url(client_for, uf):
    client = client_for("gestionnaire")
    offer = uf.offers.get()
    before = state()

    assert client.get(reverse("creation_delete", args=[offer.pk])).status_code == 404
    assert client.post(reverse("creation_delete", args=[offer.pk]), {"version": "1"}).status_code == 404
    assert state() == before


def test_a_sensitive_new_offer_refuses_a_lower_level_for_its_contact(client_for, uf):
    client = client_for("gestionnaire")
    before = state()

    refused = client.post(create_url(uf), filled(client, create_url(uf), unite_sensible="on"))
    accepted = client.post(
        create_url(uf),
        filled(
            client, create_url(uf), unite_sensible="on",
            **{"contact-confidentialite": "3", "telecoms-0-confidentialite": "3"},
        ),
    )  # fmt: skip

    # The contact's level and its télécom's, each in the summary and next to its field.
    assert unescape(refused.text).count(SENSITIVE_MESSAGE) == 4
    assert accepted.status_code == 302
    offer = Offer.objects.get(nom="Consultation de rythmologie")
    assert before[1] + 1 == Contact.objects.count() and offer.unite_sensible
    assert set(Telecom.objects.filter(contact__offer=offer).values_list("confidentialite", flat=True)) == {"3"}


@pytest.mark.parametrize(
    ("username", "status"),
    [("gestionnaire", 200), ("referent", 200), ("regulateur", 404), ("autre", 404), (None, 302)],
)
def test_permission_matrix_of_a_drafts_urls(client, uf, demo_user, username, status):
    """An offer never published: its managers only; for anyone else it does not exist (not even read-only)."""
    draft = Offer.create(
        demo_user("gestionnaire"), uf, {"nom": "Brouillon", "champ_activite": uf.offers.get().champ_activite,
                                        "modele_saisie": "260/01"}, publish=False,
    )  # fmt: skip
    if username:
        client.force_login(demo_user(username))
    before = state()
    urls = [
        reverse("offer_detail", args=[draft.pk]),
        reverse("offer_creation", args=[draft.pk]),
        reverse("creation_delete", args=[draft.pk]),
    ]

    for url in urls:
        assert client.get(url).status_code == status
    for url in urls[1:]:
        posted = client.post(url, {"action": "brouillon", "version": "1", "nom": "Forgé", "champ_activite": "01"})
        assert posted.status_code in ({200, 302} if status == 200 else {status})
    if status != 200:
        assert state() == before
