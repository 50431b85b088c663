"""Seed guide, steps 5 to 10, in a real browser: move the USIC offer to "Cardiologie"."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from offers.models import Offer, OfferEvent
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic_page(live_server, page, login):
    call_command("seed_demo", stdout=StringIO())
    offer = Offer.objects.get(nom=USIC)
    login("gestionnaire")
    page.goto(f"{live_server.url}/offres/{offer.pk}/")
    return offer


def picker_body(page):
    return page.locator("#picker-body")


def wait_for_location(page, name):
    page.locator(f'#picker-body [data-picker-location="Emplacement actuel : {name}"]').wait_for()


def snapshot(offer):
    offer = Offer.objects.get(pk=offer.pk)
    return {
        "identifiant": offer.identifiant,
        "created_at": offer.created_at,
        "activites": sorted(offer.activites.values_list("code", flat=True)),
        "mode": offer.mode_prise_en_charge_id,
        "type": offer.type_offre_id,
        "ages": (offer.age_min, offer.age_max),
        "contacts": sorted(offer.contacts.values_list("pk", "nom", "confidentialite_id")),
    }


def test_the_seed_move_end_to_end(usic_page, page, screenshot):
    before = snapshot(usic_page)
    assert (
        page.locator("section[aria-labelledby=informations-generales]")
        .get_by_text("Cardiologie médicale - USIC")
        .is_visible()
    )
    screenshot("5-offre")

    page.get_by_role("link", name="Modifier", exact=True).click()
    page.get_by_text("Les champs marqués d'un astérisque (*) sont obligatoires.").wait_for()
    screenshot("8-formulaire")

    page.get_by_role("button", name="Modifier le rattachement").click()
    dialog = page.get_by_role("dialog", name="Rattachement organisationnel de l'offre")
    dialog.wait_for()
    wait_for_location(page, "Cardiologie médicale - USIC")
    assert dialog.get_by_role("button", name="Fermer").is_visible()
    assert dialog.get_by_role("button", name="Rattacher ici").is_disabled()
    # The picker opens on a neutral statement, not on an error.
    assert "C'est le rattachement actuel de l'offre." in picker_body(page).inner_text()
    assert not picker_body(page).locator(".fr-error-text, .portal-picker__refusal").count()
    screenshot("9-selecteur-emplacement-actuel")

    picker_body(page).get_by_role("link", name="Revenir à Pédiatrie - Obstétrique").click()
    wait_for_location(page, "Pédiatrie - Obstétrique")
    assert picker_body(page).inner_text().count("Choisissez un service ou une unité.") == 1
    picker_body(page).get_by_role("link", name="Revenir à CLINIQUE CLAUDE BERNARD - ALBI").click()
    wait_for_location(page, "CLINIQUE CLAUDE BERNARD - ALBI")
    assert picker_body(page).inner_text().count("Choisissez un service ou une unité.") == 1
    assert not picker_body(page).locator(".fr-error-text, .portal-picker__refusal").count()
    picker_body(page).get_by_role("link", name="Médecine", exact=True).click()
    wait_for_location(page, "Médecine")
    picker_body(page).get_by_role("link", name="Cardiologie", exact=True).click()
    wait_for_location(page, "Cardiologie")
    text = picker_body(page).inner_text()
    assert "Revenir à Médecine" in text
    for uf in ("Consultation Cardiologie", "HC Cardiologie", "HJ Cardiologie", "Salle d'échographie cardiaque"):
        assert uf in text
    assert "Nouvel emplacement\nCardiologie" in text
    expect(page.locator("#picker-status")).to_have_text("Emplacement actuel : Cardiologie", timeout=10_000)
    screenshot("10-selecteur-cardiologie")

    dialog.get_by_role("button", name="Rattacher ici").click()
    dialog.wait_for(state="hidden")
    field = page.locator("#rattachement-field")
    assert "Cardiologie" in field.inner_text() and "Nouveau rattachement" in field.inner_text()
    assert Offer.objects.get(pk=usic_page.pk).structure.name == "Cardiologie médicale - USIC"  # not saved yet
    screenshot("11-nouveau-rattachement")

    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_text("Brouillon enregistré").wait_for()
    assert (
        "Rattachement organisationnel : « Cardiologie médicale - USIC » → « Cardiologie »"
        in page.locator("main").inner_text()
    )
    assert Offer.objects.get(pk=usic_page.pk).structure.name == "Cardiologie médicale - USIC"
    screenshot("12-brouillon")

    page.locator("main").get_by_role("button", name="Publier").click()
    page.locator("main").get_by_text("Brouillon publié : l'offre est rattachée à « Cardiologie ».").wait_for()
    general = page.locator("section[aria-labelledby=informations-generales]").inner_text()
    assert "Rattachement organisationnel :\nCardiologie\n" in general + "\n"
    history = page.locator("section[aria-labelledby=historique]").inner_text()
    assert "Déplacée de « Cardiologie médicale - USIC » vers « Cardiologie » par Camille Gestionnaire" in history
    screenshot("13-offre-deplacee")

    moved = Offer.objects.get(pk=usic_page.pk)
    assert moved.structure.name == "Cardiologie"
    assert snapshot(moved) == before
    assert OfferEvent.objects.filter(offer=moved, kind="deplacement").count() == 1

    page.get_by_role("link", name="Annuler le déplacement").click()
    page.get_by_role("heading", name="Annuler le déplacement de l'offre").wait_for()
    assert Offer.objects.get(pk=usic_page.pk).structure.name == "Cardiologie"  # asked, not done
    page.get_by_role("button", name="Confirmer l'annulation du déplacement").click()
    page.locator("main").get_by_text("Déplacement annulé").wait_for()
    assert Offer.objects.get(pk=usic_page.pk).structure.name == "Cardiologie médicale - USIC"


def test_the_picker_with_the_keyboard_only(usic_page, page, screenshot):
    page.get_by_role("link", name="Modifier", exact=True).click()
    opener = page.get_by_role("button", name="Modifier le rattachement")
    opener.focus()
    page.keyboard.press("Enter")

    def arrive(name):
        wait_for_location(page, name)
        expect(page.locator("#picker-title")).to_be_focused(timeout=10_000)

    def activate(name):
        link = picker_body(page).get_by_role("link", name=name, exact=True)
        for _ in range(40):
            if page.evaluate("document.activeElement.textContent.trim()") == name:
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == name
        assert link.count() == 1
        page.keyboard.press("Enter")

    arrive("Cardiologie médicale - USIC")
    activate("Revenir à Pédiatrie - Obstétrique")
    arrive("Pédiatrie - Obstétrique")
    activate("Revenir à CLINIQUE CLAUDE BERNARD - ALBI")
    arrive("CLINIQUE CLAUDE BERNARD - ALBI")
    activate("Médecine")
    arrive("Médecine")
    activate("Cardiologie")
    arrive("Cardiologie")
    for _ in range(40):
        if page.evaluate("document.activeElement.textContent.trim()") == "Rattacher ici":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for(state="hidden")
    expect(page.locator("#bouton-rattachement")).to_be_focused(timeout=10_000)
    assert "Nouveau rattachement" in page.locator("#rattachement-field").inner_text()
    screenshot("clavier-rattachement-choisi")

    page.keyboard.press("Escape")  # nothing open: no effect
    opener = page.get_by_role("button", name="Modifier le rattachement")
    opener.focus()
    page.keyboard.press("Enter")
    arrive("Cardiologie")  # reopens on the chosen structure
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="hidden")
    expect(page.locator("#bouton-rattachement")).to_be_focused(timeout=10_000)


def test_the_picker_without_javascript(live_server, browser):
    call_command("seed_demo", stdout=StringIO())
    offer = Offer.objects.get(nom=USIC)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    log_in(page, live_server.url, "gestionnaire")
    page.goto(f"{live_server.url}/offres/{offer.pk}/modifier/")

    page.get_by_label("Nom de l'offre").fill("USIC (sans JavaScript)")
    page.get_by_role("button", name="Modifier le rattachement").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Rattachement organisationnel de l'offre"
    page.get_by_role("link", name="Revenir à Pédiatrie - Obstétrique").click()
    page.get_by_role("link", name="Revenir à CLINIQUE CLAUDE BERNARD - ALBI").click()
    page.get_by_role("link", name="Médecine", exact=True).click()
    page.get_by_role("link", name="Cardiologie", exact=True).click()
    page.get_by_role("link", name="Rattacher ici").click()

    assert page.get_by_label("Nom de l'offre").input_value() == "USIC (sans JavaScript)"
    page.get_by_role("button", name="Publier").click()
    assert "Offre publiée." in page.locator("#page-content").inner_text()
    offer.refresh_from_db()
    assert (offer.nom, offer.structure.name) == ("USIC (sans JavaScript)", "Cardiologie")
    context.close()
