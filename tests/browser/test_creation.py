"""Issue 9's scenario in Chromium: create "Consultation de rythmologie" in the UF "Consultation Cardiologie"
with every block and a contact, publish it, change the contact's number, close the offer — with the mouse,
then with the keyboard only."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from offers.models import Offer, Telecom
from structures.models import Structure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Consultation de rythmologie"


@pytest.fixture
def uf(live_server):
    call_command("seed_demo", stdout=StringIO())
    return Structure.objects.get(name="Consultation Cardiologie")


def row_of(page, name):
    return page.locator("#table-contenu tbody tr", has_text=name)


def test_creating_filling_publishing_and_closing_an_offer(uf, page, login, live_server):
    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/structures/{uf.pk}/")
    page.get_by_role("link", name="Créer une offre").click()
    page.wait_for_url(f"**/structures/{uf.pk}/creer-une-offre/")

    page.get_by_label("Nom de l'offre").fill(NAME)
    page.locator("#id_champ_activite").select_option("01")
    modeles = page.locator("#id_modele_saisie option:not([hidden])")
    assert modeles.all_inner_texts()[1:] == [
        "260/01 – Unité de soins de médecine, chirurgie ou obstétrique",
        "261/01 – Consultations externes",
    ]  # only those of the champ chosen: the SMR's and psychiatry's are hidden
    page.locator("#id_modele_saisie").select_option("261/01")
    page.locator("#id_type_offre").select_option("69")
    page.locator("#id_mode_prise_en_charge").select_option("32")
    page.get_by_label("Filtrer les activités").fill("rythmo")
    page.locator("#liste-activites [data-option]:visible label").first.click()
    page.locator("#id_age_min").fill("18")
    page.locator("#id_age_max").fill("120")
    page.locator("#id_contact-nom").fill("Secrétariat de rythmologie")
    page.locator("#id_contact-fonction").select_option(index=1)
    page.locator("#id_contact-confidentialite").select_option("2")
    page.locator("#id_telecoms-0-canal").select_option("phone")
    page.locator("#id_telecoms-0-valeur").fill("05 63 77 00 09")
    page.locator("#id_telecoms-0-confidentialite").select_option("1")
    page.get_by_role("button", name="Publier").click()

    expect(page.get_by_text("Offre publiée, identifiant 76/")).to_be_visible()
    offer = Offer.objects.get(nom=NAME)
    assert (offer.modele_saisie, offer.published, offer.completeness) == ("261/01", True, "finalise")
    page.goto(f"{live_server.url}/structures/{uf.pk}/")
    expect(row_of(page, NAME)).to_contain_text("Offre")
    expect(row_of(page, NAME)).to_contain_text("Finalisé")

    # The contact's number changes.
    row_of(page, NAME).get_by_role("link", name="Détails").click()
    page.get_by_role("link", name="Modifier le contact Secrétariat de rythmologie").click()
    page.locator("#id_telecoms-0-valeur").fill("0563770010")
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Contact « Secrétariat de rythmologie » publié.")).to_be_visible()
    assert Telecom.objects.get(contact__offer=offer).valeur == "05 63 77 00 10"

    # "Fermer l'offre", from yesterday: the table shows it closed.
    page.get_by_role("link", name="Fermer l'offre").click()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("Date de fermeture").fill(yesterday.isoformat())
    page.get_by_label("Type de fermeture").select_option(index=1)
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Offre publiée.")).to_be_visible()
    page.goto(f"{live_server.url}/structures/{uf.pk}/")
    expect(row_of(page, NAME)).to_contain_text(f"Fermée depuis le {yesterday:%d/%m/%Y}")


def tab_to(page, selector, limit=400):
    """Press Tab until the focused element matches ``selector`` (as a keyboard user moves through the page)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached with Tab")


def test_creating_an_offer_with_the_keyboard_only(uf, page, login, live_server):
    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/structures/{uf.pk}/")
    keyboard = page.keyboard

    tab_to(page, "a[href$='/creer-une-offre/']")
    keyboard.press("Enter")
    page.wait_for_url("**/creer-une-offre/")
    tab_to(page, "#id_nom")
    keyboard.type(NAME)
    tab_to(page, "#id_champ_activite")
    keyboard.press("M")  # a select's type-ahead (ASCII keys: Playwright inserts other characters as text)
    tab_to(page, "#id_modele_saisie")
    keyboard.press("ArrowDown")  # the first modèle of the champ: the others' options are disabled
    tab_to(page, "#id_mode_prise_en_charge")
    keyboard.type("Consultation")
    tab_to(page, "#filtre-activites")
    keyboard.type("rythmo")
    tab_to(page, "#liste-activites input")
    keyboard.press("Space")
    tab_to(page, "#id_age_min")
    keyboard.type("18")
    tab_to(page, "#id_age_max")
    keyboard.type("120")
    tab_to(page, "#id_contact-nom")
    keyboard.type("Secrétariat de rythmologie")
    tab_to(page, "#id_contact-nature")
    keyboard.press("ArrowDown")
    tab_to(page, "#id_contact-confidentialite")
    keyboard.type("Visible par")
    tab_to(page, "#id_telecoms-0-canal")
    keyboard.press("T")
    tab_to(page, "#id_telecoms-0-valeur")
    keyboard.type("05 63 77 00 09")
    tab_to(page, "#id_telecoms-0-confidentialite")
    keyboard.type("Visible du")
    tab_to(page, "button[value=publier]")
    keyboard.press("Enter")

    expect(page.get_by_text("Offre publiée, identifiant 76/")).to_be_visible()
    offer = Offer.objects.get(nom=NAME)
    assert (offer.champ_activite_id, offer.modele_saisie, offer.mode_prise_en_charge_id) == ("01", "260/01", "32")
    assert offer.activites.count() == 1 and (offer.age_min, offer.age_max) == (18, 120)
    assert offer.completeness == "finalise"
    assert Telecom.objects.get(contact__offer=offer).valeur == "05 63 77 00 09"
