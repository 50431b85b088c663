"""The blocks of the offer page edited on their own page ("Caractéristiques de l'offre"): permissions, what
the page shows, what it publishes and refuses, drafts resumed. Forms are submitted as the page renders them."""

from html import unescape

import pytest
from django.urls import reverse

from offers.models import Offer, OfferDraft
from tests.page_forms import form_data as page_form_data
from tests.page_forms import post_forms

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


def block_url(offer, slug="caracteristiques"):
    return reverse("offer_block_edit", args=[offer.pk, slug])


def page_data(client, offer, **changes):
    """What the block's form submits as rendered, with ``changes`` (lists: several values per name)."""
    return page_form_data(client.get(block_url(offer)).text, "formulaire-offre", **changes)


def snapshot(offer):
    offer = Offer.objects.get(pk=offer.pk)
    return (
        offer.version, offer.type_offre_id, offer.mode_prise_en_charge_id, offer.age_min, offer.age_max,
        sorted(offer.activites.values_list("pk", flat=True)), offer.events.count(),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("username", "status"),
    [("gestionnaire", 200), ("referent", 200), ("regulateur", 403), ("autre", 404), (None, 302)],
)
def test_permission_matrix_of_the_block_page(client, usic, demo_user, username, status):
    if username:
        client.force_login(demo_user(username))

    assert client.get(block_url(usic)).status_code == status
    posted = client.post(block_url(usic), {"action": "publier", "age_min": "3", "version": "1"})
    assert posted.status_code == status
    assert snapshot(usic)[0] == 1


@pytest.mark.parametrize("slug", ["inconnu", "informations-generales", "general", "closing"])
def test_an_unknown_block_is_a_404(client_for, usic, slug):
    assert client_for("gestionnaire").get(block_url(usic, slug)).status_code == 404


def test_the_offer_page_links_to_the_block_for_managers_only(client_for, usic):
    link = f'href="{block_url(usic)}"'
    assert link in client_for("gestionnaire").get(reverse("offer_detail", args=[usic.pk])).text
    assert link not in client_for("regulateur").get(reverse("offer_detail", args=[usic.pk])).text


def test_the_block_page_shows_every_field_with_the_published_values(client_for, usic):
    html = client_for("gestionnaire").get(block_url(usic)).text
    text = unescape(html)

    for label in ("Type d'offre", "Mode de prise en charge *", "Activités opérationnelles *", "Âge minimum (ans)",
                  "Âge maximum (ans)"):  # fmt: skip
        assert label in text
    form = next(form for form in post_forms(html) if form.attrs.get("id") == "formulaire-offre")
    sent = form.data()
    assert sorted(sent["activites"]) == sorted(usic.activites.values_list("pk", flat=True))
    assert sent["mode_prise_en_charge"] == [usic.mode_prise_en_charge_id]
    assert html.count('name="activites"') > 300  # the whole JDV_J17, usable without JavaScript


def test_publishing_the_block_publishes_it_with_its_history(client_for, usic):
    client = client_for("gestionnaire")
    published = sorted(usic.activites.values_list("pk", flat=True))
    assert "001" not in published and usic.age_min != 16
    data = page_data(client, usic, age_min=["16"], age_max=["80"], activites=[*published, "001"], action=["publier"])

    response = client.post(block_url(usic), data)

    assert response.status_code == 302
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.version, usic.age_min, usic.age_max) == (2, 16, 80)
    assert sorted(usic.activites.values_list("pk", flat=True)) == sorted([*published, "001"])
    history = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Âge minimum (ans) : « 18 » → « 16 »" in history
    assert "Âge maximum (ans) : « Non renseigné » → « 80 »" in history
    assert "→ « Addictologie comportementale (sans substance), " in history


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age_min": ["50"], "age_max": ["10"]}, "L'âge maximum doit être supérieur ou égal à l'âge minimum."),
        ({"age_min": ["-1"]}, "L'âge minimum ne peut pas être négatif."),
        ({"age_max": ["999999999999999999999"]}, "L'âge maximum ne peut pas dépasser 120 ans."),
        ({"age_min": ["١٢"]}, "Saisissez l'âge minimum en années, en chiffres."),  # Arabic-Indic digits
        ({"age_min": ["1\x00"]}, None),  # a NUL byte: the portal's French 400 page
        ({"activites": []}, "Sélectionnez au moins une activité opérationnelle."),
        ({"activites": ["999"]}, "Cette activité opérationnelle n'existe pas dans la nomenclature du ROR."),
        ({"mode_prise_en_charge": ["ZZ"]}, "Ce mode de prise en charge n'existe pas dans la nomenclature du ROR."),
        ({"type_offre": ["ZZ"]}, "Ce type d'offre n'existe pas dans la nomenclature du ROR."),
        ({"version": ["0"]}, None),
    ],
)
def test_bad_input_is_refused_with_a_french_message_and_changes_nothing(client_for, usic, changes, message):
    client = client_for("gestionnaire")
    before = snapshot(usic)
    data = page_data(client, usic, action=["publier"]) | changes

    response = client.post(block_url(usic), data)

    assert response.status_code in (200, 302, 400)
    if message:
        assert response.status_code == 200 and message in unescape(response.text)
        assert snapshot(usic) == before
    elif response.status_code != 302:
        assert snapshot(usic) == before


def test_a_draft_of_the_block_is_resumed_by_every_modifier(client_for, usic):
    client = client_for("gestionnaire")
    client.post(block_url(usic), page_data(client, usic, age_max=["64"], action=["brouillon"]))

    assert snapshot(usic)[0] == 1 and OfferDraft.objects.get().data["characteristics"]["age_max"] == 64
    for url in (block_url(usic), reverse("offer_edit", args=[usic.pk])):
        text = unescape(client.get(url).text)
        assert "Vous reprenez votre brouillon du " in text and "Âge maximum (ans) : « " in text
    assert 'value="64"' in client.get(block_url(usic)).text
    # Saving the general block keeps the pending characteristics.
    general = page_form_data(client.get(reverse("offer_edit", args=[usic.pk])).text, "formulaire-offre")
    client.post(reverse("offer_edit", args=[usic.pk]), general | {"nom": ["USIC"], "action": ["brouillon"]})
    assert set(OfferDraft.objects.get().data) == {"general", "characteristics"}


def test_public_and_temporalite_come_from_the_nos_and_are_published(client_for, usic):
    client = client_for("gestionnaire")
    data = page_data(client, usic, publics=["07", "09"], temporalite_accueil=["02"], action=["publier"])

    assert client.post(block_url(usic), data).status_code == 302

    usic = Offer.objects.get(pk=usic.pk)
    assert sorted(usic.publics.values_list("pk", flat=True)) == ["07", "09"]
    assert usic.temporalite_accueil.label == "Permanent"
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Tout public" in page and "Permanent" in page
    assert "Public pris en charge : « Non renseigné » → « Tout public, Personnes atteintes" in page
