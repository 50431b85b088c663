"""Closing and reopening an offer in the portal ("Fermeture"): what the pages say, what is published and
refused. Forms are submitted as the page renders them."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.models import Offer, OfferEvent
from offers.moves import MovePolicy
from structures.models import Structure
from tests.page_forms import form_data as page_form_data
from tests.page_forms import post_forms

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


def closing_url(offer):
    return reverse("offer_block_edit", args=[offer.pk, "fermeture"])


def close(client, offer, **values):
    html = client.get(closing_url(offer)).text
    data = page_form_data(html, "formulaire-offre", **{name: [value] for name, value in values.items()})
    return client.post(closing_url(offer), data | {"action": ["publier"]})


def test_closing_an_offer_is_published_and_shown_everywhere(client_for, usic, demo_user):
    client = client_for("gestionnaire")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = close(client, usic, closed_on=yesterday.isoformat(), closing_type="DEF")

    assert response.status_code == 302
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.closed_on, usic.closing_type_id, usic.version, usic.is_closed) == (yesterday, "DEF", 2, True)
    since = f"Fermée depuis le {yesterday:%d/%m/%Y}"
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert since in page and "(définitive)" in page and "Rouvrir l'offre" in page
    assert f"Date de fermeture : « Non renseigné » → « {yesterday:%d/%m/%Y} »" in page
    table = unescape(client.get(reverse("structure_detail", args=[usic.structure_id])).text)
    assert f'{USIC}<span class="fr-badge fr-badge--sm fr-badge--error fr-ml-1w">{since}</span>' in table
    target = Structure.objects.get(name="Cardiologie", tree_id=usic.structure.tree_id)
    assert "fermée" in str(MovePolicy(usic, demo_user("gestionnaire")).refusal(target))


def test_a_provisional_closing_has_an_expected_reopening_and_the_offer_reopens(client_for, usic):
    client = client_for("gestionnaire")
    today = timezone.localdate()
    close(
        client, usic, closed_on=today.isoformat(), closing_type="PRO",
        reopening_on=(today + datetime.timedelta(days=30)).isoformat(),
    )  # fmt: skip
    usic = Offer.objects.get(pk=usic.pk)
    assert usic.closing_type_id == "PRO" and usic.reopening_on == today + datetime.timedelta(days=30)

    page = client.get(reverse("offer_detail", args=[usic.pk])).text
    reopen = next(form for form in post_forms(page) if ("action", "rouvrir") in form.buttons)
    response = client.post(reopen.action, reopen.data())

    assert response.status_code == 302
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.closed_on, usic.closing_type_id, usic.reopening_on, usic.version) == (None, None, None, 3)
    assert "Offre rouverte." in unescape(client.get(response["Location"]).text)
    assert OfferEvent.objects.filter(offer=usic).count() == 2


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"closed_on": ""}, "Saisissez la date de fermeture."),
        ({"closed_on": "31/02/2026"}, "Saisissez la date de fermeture au format JJ/MM/AAAA."),
        ({"closing_type": ""}, "Sélectionnez le type de fermeture."),
        ({"closing_type": "ERR"}, "Ce type de fermeture n'existe pas dans la nomenclature du ROR."),
        (
            {"closing_type": "DEF", "reopening_on": "2027-01-01"},
            "Seule une fermeture provisoire a une date de réouverture.",
        ),
        (
            {"closing_type": "PRO", "reopening_on": "2026-01-01"},
            "La date de réouverture doit suivre la date de fermeture.",
        ),
        ({"closed_on": "9999999-01-01"}, "Saisissez la date de fermeture au format JJ/MM/AAAA."),
    ],
)
def test_a_wrong_closing_is_refused_with_a_french_message_and_changes_nothing(client_for, usic, values, message):
    client = client_for("gestionnaire")

    response = close(client, usic, **({"closed_on": "2026-06-01", "closing_type": "PRO"} | values))

    assert response.status_code == 200 and message in unescape(response.text)
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.closed_on, usic.version) == (None, 1)


def test_the_regulateur_sees_the_closing_but_cannot_close_or_reopen(client_for, usic):
    client = client_for("regulateur")
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)

    assert "L'offre est ouverte." in page and "Fermer l'offre" not in page
    assert client.get(closing_url(usic)).status_code == 403
    assert client.post(closing_url(usic), {"action": "rouvrir", "version": "1"}).status_code == 403


def test_reopening_an_open_offer_publishes_nothing(client_for, usic):
    response = client_for("gestionnaire").post(closing_url(usic), {"action": "rouvrir", "version": "1"}, follow=True)

    assert "Cette offre n'est pas fermée." in unescape(response.text)
    assert Offer.objects.get(pk=usic.pk).version == 1


@pytest.mark.parametrize("version", [None, "abc", "1"])  # 1: the version before the closing was published
def test_a_stale_or_incomplete_reopening_changes_nothing(client_for, usic, version):
    client = client_for("gestionnaire")
    close(client, usic, closed_on="2026-06-01", closing_type="DEF")
    data = {"action": "rouvrir"} | ({"version": version} if version else {})

    response = client.post(closing_url(usic), data, follow=True)

    assert "L'offre n'a pas été rouverte" in unescape(response.text)
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.closed_on, usic.version) == (datetime.date(2026, 6, 1), 2)
