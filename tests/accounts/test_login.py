"""Failed logins are throttled per account and per address (django-axes), on the portal and the admin;
every login, failure, lockout and logout is in the journal, which only superusers read."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import HabilitationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "ror-demo-2026"
LIMIT = settings.AXES_FAILURE_LIMIT
LOGIN_URLS = [pytest.param(reverse("login"), id="portal"), pytest.param(reverse("admin:login"), id="admin")]


def attempt(client, url, username, password, ip="192.0.2.10", agent="Navigateur de test"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


def is_signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def staff():
    return HabilitationFactory(referent=True, departement="81", user__is_staff=True, user__username="marie").user


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_failures_below_the_limit_leave_the_account_open(client, staff, url):
    for _ in range(LIMIT - 1):
        attempt(client, url, "marie", "mauvais mot de passe")

    response = attempt(client, url, "marie", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_limit_of_failures_locks_the_account_with_a_french_message_and_its_duration(client, staff, url):
    for _ in range(LIMIT - 1):
        assert attempt(client, url, "marie", "mauvais mot de passe").status_code == 200

    response = attempt(client, url, "marie", "mauvais mot de passe")

    assert response.status_code == 429
    content = response.content.decode()
    assert "Connexion bloquée" in content
    assert "Trop de tentatives de connexion échouées" in content
    assert "Réessayez dans 15 minutes" in content


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_right_password_is_refused_while_locked(client, staff, url):
    for _ in range(LIMIT):
        attempt(client, url, "marie", "mauvais mot de passe")

    response = attempt(client, url, "marie", PASSWORD)

    assert response.status_code == 429
    assert not is_signed_in(client)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_lockout_ends_after_the_cool_off(client, staff, url):
    for _ in range(LIMIT):
        attempt(client, url, "marie", "mauvais mot de passe")
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))

    response = attempt(client, url, "marie", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_the_account_is_locked_whatever_the_address_the_failures_came_from(client, staff):
    for n in range(LIMIT):
        attempt(client, reverse("login"), "marie", "mauvais mot de passe", ip=f"198.51.100.{n}")

    response = attempt(client, reverse("login"), "marie", PASSWORD, ip="203.0.113.7")

    assert response.status_code == 429


def test_an_address_is_locked_whatever_the_accounts_it_tried(client, staff):
    for n in range(LIMIT):
        attempt(client, reverse("login"), f"inconnu{n}", "mauvais mot de passe", ip="198.51.100.1")

    from_there = attempt(client, reverse("login"), "marie", PASSWORD, ip="198.51.100.1")
    elsewhere = attempt(client, reverse("login"), "marie", PASSWORD, ip="203.0.113.7")

    assert from_there.status_code == 429
    assert elsewhere.status_code == 302


def test_a_lockout_on_the_portal_also_closes_the_admin_login(client, staff):
    for _ in range(LIMIT):
        attempt(client, reverse("login"), "marie", "mauvais mot de passe")

    response = attempt(client, reverse("admin:login"), "marie", PASSWORD, ip="203.0.113.7")

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_the_journal_records_success_failure_lockout_and_logout_with_who_when_where_and_browser(client, staff):
    attempt(client, reverse("login"), "marie", "mauvais mot de passe", ip="198.51.100.1")
    attempt(client, reverse("login"), "marie", PASSWORD, ip="198.51.100.2", agent="Firefox de Marie")
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.2")
    for _ in range(LIMIT):
        attempt(client, reverse("login"), "marie", "mauvais mot de passe", ip="198.51.100.3")

    login = AccessLog.objects.get()
    assert (login.username, login.ip_address, login.user_agent) == ("marie", "198.51.100.2", "Firefox de Marie")
    assert login.attempt_time is not None and login.logout_time is not None
    failures = list(AccessFailureLog.objects.order_by("attempt_time", "pk"))
    assert len(failures) == LIMIT + 1
    assert (failures[0].username, failures[0].ip_address, failures[0].user_agent) == (
        "marie",
        "198.51.100.1",
        "Navigateur de test",
    )
    assert not failures[0].locked_out
    assert failures[-1].locked_out  # the failure that locked the account


def test_superusers_read_the_journal_in_the_admin(client, superuser, staff):
    attempt(client, reverse("login"), "marie", "mauvais mot de passe", ip="198.51.100.1")
    client.force_login(superuser)

    index = client.get(reverse("admin:index"))
    failures = client.get(reverse("admin:axes_accessfailurelog_changelist"))
    logins = client.get(reverse("admin:axes_accesslog_changelist"))

    assert reverse("admin:axes_accesslog_changelist") in index.content.decode()
    assert "Journal des connexions" in index.content.decode()
    assert failures.status_code == 200 and "198.51.100.1" in failures.content.decode()
    assert logins.status_code == 200 and "admin" in logins.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
        "admin:axes_accessattempt_changelist",
    ],
)
def test_referents_do_not_see_the_journal(client, staff, url_name):
    client.force_login(staff)

    index = client.get(reverse("admin:index"))
    response = client.get(reverse(url_name))

    assert index.status_code == 200
    assert "/admin/axes/" not in index.content.decode()
    assert response.status_code == 403


def test_the_journal_cannot_be_edited_even_by_a_superuser(client, superuser, staff):
    client.force_login(superuser)
    log = AccessLog.objects.get(username="admin")

    response = client.post(reverse("admin:axes_accesslog_delete", args=[log.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert AccessLog.objects.filter(pk=log.pk).exists()


def test_a_superuser_lifts_a_lockout_by_deleting_its_attempts(client, superuser, staff):
    other = client.__class__()
    for _ in range(LIMIT):
        attempt(other, reverse("login"), "marie", "mauvais mot de passe")
    client.force_login(superuser)

    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )

    assert not AccessAttempt.objects.exists()
    assert attempt(other, reverse("login"), "marie", PASSWORD).status_code == 302


def test_a_user_without_any_staff_right_is_still_throttled(client):
    UserFactory(username="camille")
    for _ in range(LIMIT):
        attempt(client, reverse("login"), "camille", "mauvais mot de passe")

    assert attempt(client, reverse("login"), "camille", PASSWORD).status_code == 429
