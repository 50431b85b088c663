"""Every page, portal and admin, signed in or not, carries the CSP (no inline script) and the
Permissions-Policy; refusals (404) are logged with who, what and from where."""

import logging
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse

from offers.models import Offer
from structures.models import Structure

pytestmark = pytest.mark.django_db


def check_headers(response):
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in (item.strip() for item in csp.split(";")) if part}
    assert directives["script-src"] == ["'self'"], csp
    assert "'unsafe-inline'" not in directives.get("default-src", []), csp
    assert directives["object-src"] == ["'none'"], csp
    assert directives["frame-ancestors"] == ["'none'"], csp
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy


def portal_urls():
    offer = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    return [
        reverse("home"),
        reverse("mes_etablissements"),
        reverse("etablissement_list"),
        reverse("entite_juridique_list"),
        reverse("structure_detail", args=[Structure.objects.get(finess_et="810000224").pk]),
        reverse("structure_detail", args=[Structure.objects.get(name="Pédiatrie - Obstétrique").pk]),
        reverse("offer_detail", args=[offer.pk]),
        reverse("offer_edit", args=[offer.pk]),
        reverse("offer_picker", args=[offer.pk]),
        reverse("password_change"),
        reverse("password_change_done"),
    ]


def test_every_portal_page_has_the_headers(client_for):
    client = client_for("gestionnaire")

    for url in portal_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        check_headers(response)


def test_htmx_fragments_have_the_headers(client_for):
    client = client_for("gestionnaire")

    response = client.get(reverse("etablissement_list"), headers={"HX-Request": "true", "HX-Target": "page-content"})

    assert response.status_code == 200
    check_headers(response)


@pytest.mark.parametrize(
    "url_name", ["login", "password_reset", "password_reset_done", "password_reset_complete", "admin:login"]
)
def test_public_pages_have_the_headers(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    check_headers(response)


def test_the_lockout_page_has_the_headers(client, db, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 429
    check_headers(response)


def test_every_admin_changelist_and_a_change_page_have_the_headers(client, seed, superuser):
    client.force_login(superuser)
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    offer = Offer.objects.first()
    urls.append(reverse("admin:offers_offer_change", args=[offer.pk]))

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        check_headers(response)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_404_page_has_the_headers(client, superuser, signed_in):
    if signed_in:
        client.force_login(superuser)

    response = client.get("/structures/999999999/" if signed_in else "/introuvable/")

    assert response.status_code == 404
    check_headers(response)


def test_a_refusal_out_of_scope_is_logged_with_user_path_and_address(client_for, caplog):
    client = client_for("autre")
    url = reverse("structure_detail", args=[Structure.objects.get(finess_et="810000224").pk])

    with caplog.at_level(logging.INFO, logger="ror.security"):
        response = client.get(url, REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "ror.security"]
    assert [r.getMessage() for r in records] == [f"refused status=404 user=autre path={url} ip=198.51.100.4"]
    assert records[0].levelno == logging.WARNING


def test_the_logged_address_is_the_one_seen_by_the_trusted_proxy(client_for, caplog, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for("autre")

    with caplog.at_level(logging.INFO, logger="ror.security"):
        client.get("/structures/999999999/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")

    [record] = [r for r in caplog.records if r.name == "ror.security"]
    assert record.getMessage().endswith("ip=198.51.100.4")


TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(path.parents[1])))
def test_templates_have_no_inline_script_style_or_event_handler(template):
    html = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "event handler attribute"
    assert "javascript:" not in html


@pytest.mark.parametrize("template", ["500.html", "403_csrf.html"])
def test_the_standalone_error_pages_take_their_style_from_a_static_file(template):
    html = render_to_string(template)

    assert 'href="/static/css/error-page.css"' in html
    assert 'class="error-page"' in html
