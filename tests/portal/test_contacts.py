"""The "Contacts" block in the portal: add, change and remove a contact with its télécoms, each a publication
of the offer (``Offer.publish``). Forms are submitted as the page renders them."""

from html import unescape

import pytest
from django.urls import reverse

from offers.models import SENSITIVE_MESSAGE, Contact, Offer, Telecom
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.page_forms import form_data as page_form_data
from tests.page_forms import post_forms

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


@pytest.fixture
def secretariat(usic):
    return usic.contacts.get(nom="Secrétariat de cardiologie")


def state(offer):
    offer = Offer.objects.get(pk=offer.pk)
    contacts = sorted(offer.contacts.values_list("pk", "nom", "fonction_id", "confidentialite_id"))
    telecoms = sorted(Telecom.objects.filter(contact__offer=offer).values_list("pk", "canal", "valeur"))
    return offer.version, contacts, telecoms, offer.events.count()


def page_data(client, url, **changes):
    """The contact page's form as submitted with "Publier" (or the ``action`` given)."""
    data = page_form_data(client.get(url).text, "formulaire-contact", action=["publier"])
    return data | {name: value if isinstance(value, list) else [value] for name, value in changes.items()}


def urls(offer, contact):
    return {
        "ajouter": reverse("contact_add", args=[offer.pk]),
        "modifier": reverse("contact_edit", args=[offer.pk, contact.pk]),
        "supprimer": reverse("contact_delete", args=[offer.pk, contact.pk]),
    }


@pytest.mark.parametrize(
    ("username", "status"),
    [("gestionnaire", 200), ("referent", 200), ("regulateur", 403), ("autre", 404), (None, 302)],
)
def test_permission_matrix_of_the_contact_urls(client, usic, secretariat, demo_user, username, status):
    if username:
        client.force_login(demo_user(username))
    before = state(usic)

    for url in urls(usic, secretariat).values():
        assert client.get(url).status_code == status
        posted = client.post(url, {"action": "publier", "version": "1", "nom": "Forgé"})
        assert posted.status_code in ({200, 302} if status == 200 else {status})
    if status != 200:
        assert state(usic) == before


def test_a_contact_of_another_offer_is_a_404_through_this_offer(client_for, usic):
    other = ContactFactory(offer=OfferFactory(structure=usic.structure))
    client = client_for("gestionnaire")
    before = state(usic), sorted(Contact.objects.values_list("pk", "nom"))

    for url in urls(usic, other).values():
        if "ajouter" not in url:
            assert client.get(url).status_code == 404
            assert client.post(url, {"action": "publier", "version": "1"}).status_code == 404
    assert (state(usic), sorted(Contact.objects.values_list("pk", "nom"))) == before


def test_adding_a_contact_with_a_telephone_publishes_it(client_for, usic):
    client = client_for("gestionnaire")
    url = reverse("contact_add", args=[usic.pk])
    data = page_data(
        client, url, nom="Secrétariat de rythmologie", fonction="05", confidentialite="2",
        **{"telecoms-0-canal": "phone", "telecoms-0-valeur": "05.63.77.00.09", "telecoms-0-confidentialite": "2"},
    )  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302
    contact = usic.contacts.get(nom="Secrétariat de rythmologie")
    assert list(contact.telecoms.values_list("canal", "valeur")) == [("phone", "05 63 77 00 09")]
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Contact « Secrétariat de rythmologie » publié." in page
    assert "Contact « Secrétariat de rythmologie » : « — » → « ajouté : Secrétariat de rythmologie »" in page
    assert "Télécom de « Secrétariat de rythmologie » : « — » → « ajouté : Téléphone : 05 63 77 00 09 »" in page
    assert Offer.objects.get(pk=usic.pk).version == 2


@pytest.mark.parametrize(
    ("canal", "value", "message"),
    [
        ("phone", "123", "Saisissez un numéro français à 10 chiffres"),
        ("phone", "٠٥٦٣٧٧٠٠٠٩", "Saisissez un numéro français à 10 chiffres"),  # Arabic-Indic digits
        ("fax", "05 63 77 00", "Saisissez un numéro français à 10 chiffres"),
        ("email", "secretariat@", "Saisissez une adresse électronique valide"),
        ("mssante", "secretariat@chu.fr", "se termine par .mssante.fr"),
        ("url", "www.chu.fr", "Saisissez l'adresse complète du site web"),
        ("", "05 63 77 00 09", "Sélectionnez le canal."),
        ("pigeon", "05 63 77 00 09", "Ce canal n'existe pas."),
        ("phone", "", "Saisissez la valeur"),
    ],
)
def test_a_wrong_telecom_is_refused_with_a_french_message_and_changes_nothing(client_for, usic, canal, value, message):
    client = client_for("gestionnaire")
    url = reverse("contact_add", args=[usic.pk])
    before = state(usic)
    data = page_data(
        client, url, nom="Accueil", confidentialite="2",
        **{"telecoms-0-canal": canal, "telecoms-0-valeur": value, "telecoms-0-confidentialite": "2"},
    )  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 200 and message in unescape(response.text)
    assert state(usic) == before


def test_a_contact_needs_a_name_and_at_least_one_telecom(client_for, usic):
    client = client_for("gestionnaire")
    url = reverse("contact_add", args=[usic.pk])
    before = state(usic)

    response = client.post(url, page_data(client, url, nom="", confidentialite="2"))

    text = unescape(response.text)
    assert "Saisissez le nom du contact." in text and "Saisissez au moins une télécom" in text
    assert state(usic) == before


def test_changing_a_contact_and_its_telecoms_is_one_publication(client_for, usic, secretariat):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    phone, email = secretariat.telecoms.order_by("pk")
    data = page_data(client, url, nom="Secrétariat de cardiologie (USIC)", **{"telecoms-0-valeur": "0563770010"})
    data["telecoms-1-DELETE"] = ["on"]

    assert client.post(url, data).status_code == 302

    assert list(secretariat.telecoms.values_list("pk", "valeur")) == [(phone.pk, "05 63 77 00 10")]
    usic = Offer.objects.get(pk=usic.pk)
    assert usic.version == 2 and usic.events.count() == 1
    assert usic.events.get().changes == [
        ["Contact « Secrétariat de cardiologie (USIC) » : Nom", "Secrétariat de cardiologie",
         "Secrétariat de cardiologie (USIC)"],
        ["Télécom de « Secrétariat de cardiologie (USIC) »", str(email), "supprimé"],
        ["Télécom de « Secrétariat de cardiologie (USIC) » : Valeur", "05 63 77 00 00", "05 63 77 00 10"],
    ]  # fmt: skip


def test_a_telecom_of_another_contact_cannot_be_changed_through_this_one(client_for, usic, secretariat):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    foreign = TelecomFactory(contact=ContactFactory(offer=OfferFactory(structure=usic.structure)), valeur="0500000000")
    before = state(usic), Telecom.objects.get(pk=foreign.pk).valeur
    data = page_data(client, url, **{"telecoms-0-id": str(foreign.pk), "telecoms-0-valeur": "0511111111"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert (state(usic), Telecom.objects.get(pk=foreign.pk).valeur) == before


def test_deleting_a_contact_asks_first_then_publishes_without_it(client_for, usic, secretariat):
    client = client_for("gestionnaire")
    url = reverse("contact_delete", args=[usic.pk, secretariat.pk])

    confirm = unescape(client.get(url).text)
    assert "Supprimer le contact « Secrétariat de cardiologie » ?" in confirm and "05 63 77 00 00" in confirm
    assert usic.contacts.filter(pk=secretariat.pk).exists()
    form = next(form for form in post_forms(client.get(url).text) if form.action == url)
    response = client.post(url, form.data())

    assert response.status_code == 302
    assert not Contact.objects.filter(pk=secretariat.pk).exists()
    assert not Telecom.objects.filter(contact_id=secretariat.pk).exists()
    assert Offer.objects.get(pk=usic.pk).events.get().changes == [
        ["Contact « Secrétariat de cardiologie »", "Secrétariat de cardiologie", "supprimé"]
    ]


def test_a_sensitive_unit_offers_the_restricted_level_and_refuses_a_lower_one(client_for, usic, demo_user):
    usic.publish(demo_user("gestionnaire"), {"unite_sensible": True}, base_version=1)
    client = client_for("gestionnaire")
    url = reverse("contact_add", args=[usic.pk])
    html = client.get(url).text
    assert 'value="3" selected' in html
    before = state(usic)
    data = page_data(
        client, url, nom="Garde", confidentialite="1",
        **{"telecoms-0-canal": "phone", "telecoms-0-valeur": "0563770099", "telecoms-0-confidentialite": "1"},
    )  # fmt: skip

    response = client.post(url, data)

    assert SENSITIVE_MESSAGE in unescape(response.text)
    assert state(usic) == before


def test_a_stale_contact_form_is_refused_and_changes_nothing(client_for, usic, secretariat, demo_user):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    data = page_data(client, url, nom="Ma version")
    usic.publish(demo_user("referent"), {"nom": "Entre-temps"}, base_version=1)
    before = state(usic)

    response = client.post(url, data)

    assert response.status_code == 200 and "Cette offre a été modifiée entre-temps" in unescape(response.text)
    assert state(usic) == before


@pytest.mark.parametrize("version", [None, "abc", "stale"])
def test_a_stale_or_incomplete_deletion_changes_nothing(client_for, usic, secretariat, demo_user, version):
    client = client_for("gestionnaire")
    url = reverse("contact_delete", args=[usic.pk, secretariat.pk])
    if version == "stale":
        version = "1"
        usic.publish(demo_user("referent"), {"nom": "Entre-temps"}, base_version=1)
    before = state(usic)

    response = client.post(url, {"version": version} if version else {}, follow=True)

    assert "Le contact n'a pas été supprimé" in unescape(response.text)
    assert state(usic) == before


# --- contacts in the user's draft, as every block -------------------------------------------------------


def drafted(offer, user):
    from offers.models import OfferDraft

    draft = OfferDraft.objects.filter(offer=offer, author=user).first()
    return draft.data.get("contacts") if draft else None


def test_a_contact_change_saved_as_draft_leaves_the_offer_and_is_resumed_then_published(
    client_for, usic, secretariat, demo_user
):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    before = state(usic)

    client.post(
        url,
        page_data(
            client, url, action="brouillon", nom="Secrétariat (brouillon)", **{"telecoms-0-valeur": "0563770010"}
        ),
    )

    assert state(usic) == before
    assert set(drafted(usic, demo_user("gestionnaire"))) == {str(secretariat.pk)}
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Contact « Secrétariat de cardiologie » : « publié » → « modifié (contact ou télécoms) »" in page
    resumed = unescape(client.get(url).text)
    assert "Vous reprenez votre brouillon du" in resumed and 'value="Secrétariat (brouillon)"' in resumed
    assert 'value="0563770010"' in resumed

    client.post(reverse("draft_publish", args=[usic.pk]))

    secretariat.refresh_from_db()
    assert secretariat.nom == "Secrétariat (brouillon)"
    assert "05 63 77 00 10" in secretariat.telecoms.values_list("valeur", flat=True)
    assert drafted(usic, demo_user("gestionnaire")) is None and Offer.objects.get(pk=usic.pk).version == 2


def test_new_contacts_in_a_draft_are_kept_apart_resumed_and_published_together(client_for, usic, demo_user):
    client = client_for("gestionnaire")
    add = reverse("contact_add", args=[usic.pk])
    telecom = {"telecoms-0-canal": "phone", "telecoms-0-valeur": "05 63 77 00 09", "telecoms-0-confidentialite": "2"}
    for nom in ("Accueil", "Cadre de santé"):
        client.post(add, page_data(client, add, action="brouillon", nom=nom, confidentialite="2", **telecom))
    assert set(drafted(usic, demo_user("gestionnaire"))) == {"nouveau-1", "nouveau-2"}

    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Reprendre le nouveau contact « Accueil »" in page
    resume = f"{add}?brouillon=nouveau-1"
    assert 'value="Accueil"' in unescape(client.get(resume).text)
    client.post(resume, page_data(client, resume, action="brouillon", nom="Accueil des patients"))
    assert set(drafted(usic, demo_user("gestionnaire"))) == {"nouveau-1", "nouveau-2"}  # the same key again

    client.post(reverse("draft_publish", args=[usic.pk]))

    names = set(usic.contacts.values_list("nom", flat=True))
    assert {"Accueil des patients", "Cadre de santé"} <= names and "Accueil" not in names
    assert Offer.objects.get(pk=usic.pk).version == 2  # one publication


@pytest.mark.parametrize("key", ["nouveau-999", "../1", "nouveau-0", ""])
def test_an_unknown_draft_key_starts_a_new_contact(client_for, usic, demo_user, key):
    client = client_for("gestionnaire")
    add = reverse("contact_add", args=[usic.pk])
    data = page_data(client, f"{add}?brouillon={key}", action="brouillon", nom="Accueil", confidentialite="2")
    data |= {"brouillon": [key], "telecoms-0-canal": ["phone"], "telecoms-0-valeur": ["05 63 77 00 09"]}
    data["telecoms-0-confidentialite"] = ["2"]

    client.post(add, data)

    assert set(drafted(usic, demo_user("gestionnaire"))) == {"nouveau-1"}


def test_a_removal_kept_in_the_draft_is_applied_when_the_draft_is_published(client_for, usic, secretariat):
    client = client_for("gestionnaire")
    url = reverse("contact_delete", args=[usic.pk, secretariat.pk])
    before = state(usic)

    client.post(url, page_form_data(client.get(url).text, "formulaire-suppression", action=["brouillon"]))

    assert state(usic) == before
    assert "Votre brouillon supprime ce contact" in unescape(
        client.get(reverse("contact_edit", args=[usic.pk, secretariat.pk])).text
    )
    client.post(reverse("draft_publish", args=[usic.pk]))
    assert not Contact.objects.filter(pk=secretariat.pk).exists()


def test_publishing_a_block_publishes_the_drafted_contacts_with_it(client_for, usic, secretariat):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    client.post(url, page_data(client, url, action="brouillon", nom="Secrétariat (brouillon)"))
    edit = reverse("offer_edit", args=[usic.pk])
    general = page_form_data(client.get(edit).text, "formulaire-offre", nom=["USIC renommée"], action=["publier"])

    client.post(edit, general)

    secretariat.refresh_from_db()
    assert (Offer.objects.get(pk=usic.pk).nom, secretariat.nom) == ("USIC renommée", "Secrétariat (brouillon)")


def test_a_drafted_contact_deleted_meanwhile_blocks_the_publication_and_changes_nothing(
    client_for, usic, secretariat, demo_user
):
    client = client_for("gestionnaire")
    url = reverse("contact_edit", args=[usic.pk, secretariat.pk])
    client.post(url, page_data(client, url, action="brouillon", nom="Secrétariat (brouillon)"))
    from offers.models import PartEdits

    usic.publish(demo_user("referent"), {"contacts": PartEdits(removed=[secretariat])})
    before = state(usic)

    response = client.post(reverse("draft_publish", args=[usic.pk]), follow=True)

    assert "un contact de votre brouillon a été supprimé entre-temps" in unescape(response.text)
    assert state(usic) == before


def test_a_drafted_removal_of_a_contact_removed_meanwhile_is_no_error_only_the_stale_base_is(
    client_for, usic, secretariat, demo_user
):
    from offers.models import PartEdits

    client = client_for("gestionnaire")
    url = reverse("contact_delete", args=[usic.pk, secretariat.pk])
    client.post(url, page_form_data(client.get(url).text, "formulaire-suppression", action=["brouillon"]))
    edit = reverse("offer_edit", args=[usic.pk])
    client.post(
        edit, page_form_data(client.get(edit).text, "formulaire-offre", nom=["USIC renommée"], action=["brouillon"])
    )
    usic.publish(demo_user("referent"), {"contacts": PartEdits(removed=[secretariat])})

    response = client.post(reverse("draft_publish", args=[usic.pk]), follow=True)

    assert "Cette offre a été modifiée entre-temps" in unescape(response.text)  # the draft's base is older
    usic.refresh_from_db()
    assert usic.nom == USIC
