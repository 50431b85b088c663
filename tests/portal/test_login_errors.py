"""Login errors: a summary at the top, the title says "Erreur", each input points to its message."""

from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_wrong_credentials_are_linked_to_both_fields(client, demo_user):
    response = client.post(reverse("login"), {"username": "gestionnaire", "password": "mauvais"})

    text = " ".join(unescape(response.content.decode()).split())
    assert "<title>Erreur : Connexion – Portail de l'offre ROR</title>" in text
    assert 'id="resume-erreurs"' in text and 'role="alert"' in text
    assert '<p class="fr-error-text fr-mt-0" id="login-erreur">Saisissez un nom d’utilisateur' in text
    assert text.count('aria-invalid="true" aria-describedby="login-erreur"') == 2
    assert "autofocus" not in text  # the focus goes to the summary


def test_a_missing_field_is_linked_to_its_own_message(client, db):
    response = client.post(reverse("login"), {"username": "", "password": "x"})

    text = " ".join(unescape(response.content.decode()).split())
    assert 'aria-invalid="true" aria-describedby="id_username-erreur"' in text
    assert '<p class="fr-error-text" id="id_username-erreur">' in text
    assert '<a href="#id_username">Identifiant : ' in text
    assert 'id="id_password" name="password" autocomplete="current-password" required>' in text


def test_the_login_page_without_errors_autofocuses_the_username(client, db):
    text = client.get(reverse("login")).content.decode()

    assert "autofocus" in text and "resume-erreurs" not in text and "Erreur :" not in text
