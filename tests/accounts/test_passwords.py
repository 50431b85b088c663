"""Passwords: 12 characters at least, no common or look-alike password; change and reset in the portal."""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Bleuet-Tarn-2027"


@pytest.fixture
def user():
    return UserFactory(username="camille", email="camille@clinique.fr", first_name="Camille", last_name="Durand")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Court-2026", "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."),
        ("password1234", "Ce mot de passe est trop courant."),
        ("camille@clinique.fr", "Le mot de passe est trop semblable"),
        ("202620262026", "Ce mot de passe est entièrement numérique."),
    ],
)
def test_weak_passwords_are_refused_in_french(user, password, message):
    with pytest.raises(ValidationError) as refusal:
        validate_password(password, user)

    assert any(text.startswith(message) for text in refusal.value.messages), refusal.value.messages


def test_the_demo_password_passes_the_validators_for_every_demo_account(demo_user):
    for username in ["gestionnaire", "autre", "referent", "regulateur"]:
        validate_password(DEMO_PASSWORD, demo_user(username))


def test_every_signed_in_page_links_to_the_password_change(client, user):
    client.force_login(user)

    response = client.get(reverse("home"))

    assert f'href="{reverse("password_change")}"' in response.content.decode()
    assert "Modifier mon mot de passe" in response.content.decode()


@pytest.mark.parametrize("staff", [False, True])
def test_the_menu_of_narrow_screens_holds_the_same_links_as_the_header(client, user, staff):
    """Rendered twice the same (csrf token included), the DSFR's script finds the menu filled and copies no markup
    into it: under the CSP no script-made markup is parsed (tests/browser/test_security.py)."""
    user.is_staff = staff
    user.save()
    client.force_login(user)

    html = client.get(reverse("home")).content.decode()

    tools = re.search(r'<div class="fr-header__tools-links">(.*?)</div>', html, re.S).group(1)
    menu = re.search(r'<div class="fr-header__menu-links">(.*?)</div>', html, re.S).group(1)
    assert tools == menu
    assert 'id="' not in menu  # the script would give the menu's copy "-mobile" ids (data-testid="..." included)
    assert "Se déconnecter" in menu and 'name="csrfmiddlewaretoken"' in menu
    assert ("Administration" in menu) is staff


def test_a_user_changes_their_password(client, user):
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Votre nouveau mot de passe est enregistré" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session  # still signed in on this device


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"old_password": "pas le bon", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            "Votre ancien mot de passe est incorrect. Veuillez le rectifier.",
        ),
        (
            {"old_password": DEMO_PASSWORD, "new_password1": "Court-2026", "new_password2": "Court-2026"},
            "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères.",
        ),
        (
            {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
            "Les deux mots de passe ne correspondent pas.",
        ),
    ],
)
def test_a_refused_change_says_why_in_french_and_keeps_the_password(client, user, data, message):
    client.force_login(user)

    response = client.post(reverse("password_change"), data)

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_the_password_change_needs_a_signed_in_user(client, db):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_links_to_the_password_reset(client, db):
    response = client.get(reverse("login"))

    assert f'href="{reverse("password_reset")}"' in response.content.decode()
    assert "Mot de passe oublié ?" in response.content.decode()


def reset_link(message):
    return re.search(r"https?://testserver(/mot-de-passe/nouveau/\S+/)", message.body).group(1)


def test_a_reset_sends_a_french_e_mail_whose_link_sets_a_new_password(client, user):
    response = client.post(reverse("password_reset"), {"email": "camille@clinique.fr"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille@clinique.fr"]
    assert message.subject == "Portail de l'offre ROR : réinitialisation de votre mot de passe"
    assert "« camille »" in message.body
    link = reset_link(message)

    form = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "Lien expiré ou déjà utilisé" in client.get(link, follow=True).content.decode()  # used once only


def test_a_reset_link_refuses_a_weak_password(client, user):
    client.post(reverse("password_reset"), {"email": "camille@clinique.fr"})
    form = client.get(reset_link(mail.outbox[0]), follow=True)

    response = client.post(form.redirect_chain[-1][0], {"new_password1": "Court-2026", "new_password2": "Court-2026"})

    assert "Ce mot de passe est trop court" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def without_csrf_token(response):
    return re.sub(r'"X-CSRFToken": "\w+"', "", response.content.decode())


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, user):
    known = client.post(reverse("password_reset"), {"email": "camille@clinique.fr"}, follow=True)
    mail.outbox.clear()

    unknown = client.post(reverse("password_reset"), {"email": "personne@ailleurs.fr"}, follow=True)

    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf_token(unknown) == without_csrf_token(known)


def test_a_forged_reset_link_is_refused(client, user):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "faux-jeton"]))

    assert "Lien expiré ou déjà utilisé" in response.content.decode()


def test_a_demo_account_can_try_the_password_reset(client, demo_user):
    client.post(reverse("password_reset"), {"email": "gestionnaire@ror-demo.invalid"})

    assert [message.to for message in mail.outbox] == [["gestionnaire@ror-demo.invalid"]]
