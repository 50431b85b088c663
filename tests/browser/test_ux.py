"""UX defects found in Chromium, one test each (issue 7)."""

import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from offers.models import Offer
from structures.models import Structure
from tests.browser.conftest import log_in, scrolls_sideways

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(live_server):
    call_command("seed_demo", stdout=StringIO())
    return Offer.objects.get(nom=USIC)


def test_back_after_a_publish_refetches_the_old_uf_page(usic, page, login, live_server):
    uf = usic.structure
    cardiologie = Structure.objects.get(name="Cardiologie", tree_id=uf.tree_id)
    login("gestionnaire")
    page.goto(f"{live_server.url}/structures/{uf.parent_id}/")
    page.get_by_role("link", name=f"Détails de {uf.name}").click()
    page.wait_for_url(f"**/structures/{uf.pk}/")
    assert page.get_by_role("link", name=f"Détails de {USIC}").is_visible()
    page.get_by_role("link", name=f"Détails de {USIC}").click()
    page.wait_for_url(f"**/offres/{usic.pk}/")
    page.get_by_role("link", name="Modifier", exact=True).click()
    page.goto(f"{live_server.url}/offres/{usic.pk}/modifier/?rattachement={cardiologie.pk}")
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Offre publiée").wait_for()

    for _ in range(4):
        page.go_back()
        if page.url.endswith(f"/structures/{uf.pk}/"):
            break
    page.wait_for_selector(f"h1:has-text('{uf.name}')")

    assert page.url.endswith(f"/structures/{uf.pk}/")
    assert USIC not in page.locator("main").inner_text()


def test_the_admin_tree_shows_parcourir_on_a_1280_px_screen(usic, page, login, live_server):
    login("referent")

    page.goto(f"{live_server.url}/admin/structures/structure/")

    link = page.get_by_role("link", name="Parcourir").first
    box = link.bounding_box()
    results = page.locator("#changelist .results").bounding_box()
    assert box["x"] >= results["x"] and box["x"] + box["width"] <= results["x"] + results["width"]
    assert box["x"] + box["width"] <= 1280
    assert page.get_by_role("heading", level=1).inner_text() == "Sélectionnez la structure à modifier"


def test_failed_submits_are_announced_by_a_focused_error_summary(usic, page, login, live_server):
    login("gestionnaire", "mauvais")
    expect(page.locator("#resume-erreurs")).to_be_focused()  # portal.js, once the page is parsed
    assert page.title().startswith("Erreur : Connexion")
    page.get_by_role("alert").get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_username"

    login("gestionnaire")
    page.goto(f"{live_server.url}/offres/{usic.pk}/modifier/")
    page.get_by_label("Nom de l'offre").fill(" ")
    page.get_by_role("button", name="Publier").click()
    expect(page.locator("#resume-erreurs")).to_be_focused()

    assert page.title().startswith("Erreur : Modifier l'offre")
    summary = page.get_by_role("alert")
    assert "Nom de l'offre : Saisissez le nom de l'offre." in summary.inner_text()
    summary.get_by_role("link", name="Nom de l'offre : Saisissez le nom de l'offre.").click()
    assert page.evaluate("document.activeElement.id") == "id_nom"


def test_without_javascript_everything_stays_reachable_at_375_px(usic, browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, "gestionnaire")

    page.goto(f"{live_server.url}/offres/{usic.pk}/")

    assert page.locator("#informations-complementaires").is_visible()
    assert "Identifiant de l'offre :" in page.locator("#informations-complementaires").inner_text()
    breadcrumb = page.get_by_role("navigation", name="vous êtes ici :")
    assert breadcrumb.get_by_role("link", name="Mes établissements", exact=True).is_visible()
    assert not breadcrumb.get_by_role("button", name="Voir le fil d'Ariane").is_visible()
    logout = page.get_by_role("button", name="Se déconnecter")
    assert logout.is_visible()
    assert not scrolls_sideways(page)
    logout.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Connexion au portail ROR"
    context.close()


def test_with_javascript_the_collapsed_parts_stay_collapsed_at_375_px(usic, browser, live_server):
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, "gestionnaire")

    page.goto(f"{live_server.url}/offres/{usic.pk}/")

    assert not page.locator("#informations-complementaires").is_visible()
    assert page.get_by_role("button", name="Voir le fil d'Ariane").is_visible()
    assert not page.locator(".fr-header__tools").get_by_role("button", name="Se déconnecter").is_visible()
    page.get_by_role("button", name="Menu").click()
    page.locator("#menu-mobile").get_by_role("button", name="Se déconnecter").wait_for()
    context.close()


def test_leaving_the_edit_form_with_unsaved_changes_asks_for_confirmation(usic, page, login, live_server):
    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    edit = f"{live_server.url}/offres/{usic.pk}/modifier/"
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Rester sur la page"

    page.on("dialog", answer)
    page.goto(edit)
    page.get_by_role("link", name="Annuler").click()  # nothing typed: leaves without a question
    page.wait_for_url(f"**/offres/{usic.pk}/")
    assert dialogs == []

    page.goto(edit)
    page.get_by_label("Nom de l'offre").fill("Nom pas encore enregistré")
    page.get_by_role("link", name="Annuler").click()  # a link: the browser's question
    page.wait_for_timeout(300)
    page.locator(".fr-breadcrumb__link[hx-get]").last.dispatch_event("click")  # an HTMX link: ours
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload", "confirm"]
    assert page.url == edit and page.get_by_label("Nom de l'offre").input_value() == "Nom pas encore enregistré"

    page.get_by_role("button", name="Enregistrer le brouillon").click()  # submitting is no leaving
    page.get_by_text("Brouillon enregistré").wait_for()
    assert dialogs == ["beforeunload", "confirm"]


def test_the_activites_are_filtered_as_one_types_and_the_checked_ones_stay(usic, page, login, live_server):
    def fold(text):
        return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()

    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/offres/{usic.pk}/modifier/caracteristiques/")
    options = page.locator("#liste-activites [data-option]")
    total = options.count()
    checked = page.locator("#liste-activites input:checked").count()

    page.get_by_label("Filtrer les activités").fill("PEDIATRIE")  # accents and case aside
    shown = page.locator("#liste-activites [data-option]:visible")
    matching = [text for text in shown.all_inner_texts() if "pediatrie" in fold(text)]

    assert total > 300 and checked >= 1
    assert len(matching) >= 5 and shown.count() == len(matching) + checked < total
    assert page.get_by_text("activité(s) affichée(s)").is_visible()
    shown.filter(has=page.locator("input:not(:checked)")).first.locator("label").click()
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Offre publiée").wait_for()
    assert Offer.objects.get(pk=usic.pk).activites.count() == checked + 1
