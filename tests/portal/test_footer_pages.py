"""The DSFR footer's mandatory links: real pages, public (the footer is on the login page too)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FOOTER = {
    "accessibilite": ("Accessibilité : non conforme", "Déclaration d'accessibilité", "non conforme"),
    "mentions_legales": ("Mentions légales", "Mentions légales", "Équipe régionale ROR"),
    "donnees_personnelles": ("Données personnelles", "Données personnelles", "Journaux techniques"),
    "cookies": ("Gestion des cookies", "Gestion des cookies", "csrftoken"),
}


@pytest.mark.parametrize("name", FOOTER)
def test_footer_pages_are_public_french_pages(client, name):
    link, heading, content = FOOTER[name]

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode().replace("&#x27;", "'")
    assert content in response.content.decode()
    assert f"<title>{heading} – Portail de l'offre ROR</title>" in response.content.decode().replace("&#x27;", "'")


def test_the_login_page_footer_links_to_the_four_pages(client):
    text = client.get(reverse("login")).content.decode()

    for name, (link, _, _) in FOOTER.items():
        assert f'<a class="fr-footer__bottom-link" href="{reverse(name)}">{link}</a>' in text


def test_the_cookies_page_lists_the_cookies_the_portal_sets(client, settings):
    settings.SESSION_COOKIE_NAME = "ror_session"

    text = client.get(reverse("cookies")).content.decode()

    assert "<td>ror_session</td>" in text and "<td>csrftoken</td>" in text and "<td>messages</td>" in text


def test_the_legal_notice_reads_its_publisher_from_the_settings(client, settings):
    settings.LEGAL_NOTICE = {**settings.LEGAL_NOTICE, "publisher": "ARS Occitanie – équipe ROR"}

    assert "<strong>ARS Occitanie – équipe ROR</strong>" in client.get(reverse("mentions_legales")).content.decode()
