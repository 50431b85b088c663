"""Sessions end after 30 idle minutes and a working day after the login; signed-in pages are never cached."""

import time

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.sessions import LAST_SEEN, LOGIN_AT
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

MINUTE = 60


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory(username="camille"))
    return client


def set_clocks(client, login_ago, last_seen_ago):
    session = client.session
    now = int(time.time())
    session[LOGIN_AT] = now - login_ago
    session[LAST_SEEN] = now - last_seen_ago
    session.save()


def test_the_defaults_are_30_idle_minutes_and_10_hours(settings):
    assert settings.SESSION_IDLE_TIMEOUT.total_seconds() == 30 * MINUTE
    assert settings.SESSION_MAX_AGE.total_seconds() == 10 * 60 * MINUTE


def test_the_login_starts_the_session_clocks(signed_in):
    now = time.time()

    assert now - 5 <= signed_in.session[LOGIN_AT] <= now
    assert signed_in.session[LAST_SEEN] == signed_in.session[LOGIN_AT]


def test_a_request_within_the_idle_timeout_keeps_the_session_and_moves_its_clock(signed_in):
    set_clocks(signed_in, login_ago=29 * MINUTE, last_seen_ago=29 * MINUTE)

    response = signed_in.get(reverse("home"))

    assert response.status_code == 200
    assert time.time() - signed_in.session[LAST_SEEN] < 5


def test_after_the_idle_timeout_the_user_is_signed_out_and_told_why(signed_in):
    set_clocks(signed_in, login_ago=31 * MINUTE, last_seen_ago=31 * MINUTE)

    response = signed_in.get(reverse("etablissement_list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('etablissement_list')}"
    assert "_auth_user_id" not in signed_in.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Votre session a expiré après 30 minutes d'inactivité. Reconnectez-vous."
    ]


def test_the_expiry_message_is_shown_on_the_login_page(signed_in):
    set_clocks(signed_in, login_ago=31 * MINUTE, last_seen_ago=31 * MINUTE)

    response = signed_in.get(reverse("home"), follow=True)

    assert "Votre session a expiré après 30 minutes d&#x27;inactivité" in response.content.decode()


def test_an_active_session_still_ends_a_working_day_after_the_login(signed_in):
    set_clocks(signed_in, login_ago=10 * 60 * MINUTE + MINUTE, last_seen_ago=MINUTE)

    response = signed_in.get(reverse("home"))

    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_a_session_without_clocks_is_ended(signed_in):
    session = signed_in.session
    del session[LOGIN_AT]
    session.save()

    response = signed_in.get(reverse("home"))

    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_an_expired_htmx_request_reloads_the_page_on_the_login_form(signed_in):
    set_clocks(signed_in, login_ago=31 * MINUTE, last_seen_ago=31 * MINUTE)

    response = signed_in.get(
        reverse("etablissement_list"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/etablissements/eg/?page=2"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/etablissements/eg/%3Fpage%3D2"


def test_an_expiry_is_recorded_as_a_logout(client):
    client.post(reverse("login"), {"username": UserFactory(username="camille").username, "password": "ror-demo-2026"})
    set_clocks(client, login_ago=31 * MINUTE, last_seen_ago=31 * MINUTE)

    client.get(reverse("home"))

    assert AccessLog.objects.get(username="camille").logout_time is not None


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_signed_in_responses_are_not_stored(signed_in, htmx):
    headers = {"HX-Request": "true", "HX-Target": "page-content"} if htmx else {}

    response = signed_in.get(reverse("etablissement_list"), headers=headers)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_signed_in_404_page_is_not_stored(signed_in):
    response = signed_in.get("/structures/999999999/")

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_the_session_cookie_does_not_outlive_the_maximum_age(signed_in):
    assert settings.SESSION_MAX_AGE.total_seconds() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
