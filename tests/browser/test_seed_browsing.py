"""Seed guide, steps 1 to 5, in a real browser: from "Mes accès rapides" to the USIC offer."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def seeded(live_server):
    call_command("seed_demo", stdout=StringIO())


def heading(page):
    return page.get_by_role("heading", level=1).inner_text()


def fits_the_window(page):
    """Nothing makes the page scroll sideways (DSFR table cells do not wrap unless told to)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_gestionnaire_follows_the_seed_path_to_the_usic_offer(seeded, page, login, screenshot, live_server):
    login("gestionnaire")
    assert page.get_by_role("heading", name="Mes accès rapides").is_visible()
    screenshot("1-mes-acces-rapides")

    page.get_by_role("link", name="Mes établissements", exact=True).click()
    page.wait_for_url("**/etablissements/")
    assert heading(page) == "Mes établissements"
    screenshot("2-mes-etablissements")

    page.get_by_role("link", name="Mes établissements géographiques (EG)").click()
    page.wait_for_url("**/etablissements/eg/")
    assert heading(page) == "Mes établissements géographiques (EG)"
    assert page.get_by_role("cell", name="CLINIQUE CLAUDE BERNARD - ALBI", exact=True).is_visible()
    assert fits_the_window(page)
    screenshot("3-mes-etablissements-geographiques")

    page.get_by_role("link", name="Détails de CLINIQUE CLAUDE BERNARD - ALBI").click()
    page.wait_for_selector("h1:has-text('CLINIQUE CLAUDE BERNARD - ALBI')")
    assert page.get_by_role("heading", name="Dans cet établissement").is_visible()
    assert page.title() == "CLINIQUE CLAUDE BERNARD - ALBI – Portail de l'offre ROR"
    screenshot("4-dans-cet-etablissement")

    page.get_by_role("link", name="Détails de Pédiatrie - Obstétrique").click()
    page.wait_for_selector("h1:has-text('Pédiatrie - Obstétrique')")
    screenshot("5-pole")

    page.get_by_role("link", name="Détails de Cardiologie médicale - USIC").click()
    page.wait_for_selector("h1:has-text('Cardiologie médicale - USIC')")
    assert page.get_by_role("heading", name="Structure interne de l'unité fonctionnelle").is_visible()
    row = page.get_by_role("row").filter(has_text=USIC)
    assert row.get_by_role("cell").nth(1).inner_text() == "Offre"
    assert "Détails" in row.get_by_role("link").inner_text()
    screenshot("6-structure-interne-uf")

    page.get_by_role("link", name=f"Détails de {USIC}").click()
    page.wait_for_selector(f"h1:has-text('{USIC}')")
    general = page.locator("section[aria-labelledby=informations-generales]")
    text = general.inner_text()
    for label in (
        f"Nom de l'offre :\n{USIC}",
        "Champ d'activité :\nMédecine, Chirurgie, Obstétrique (MCO)",
        "Rattachement organisationnel :\nCardiologie médicale - USIC",
        "Modèle de saisie :\n260/01",
        "Unité sensible :\nNON",
    ):
        assert label in text, label
    assert page.url.startswith(live_server.url + "/offres/")
    complementary = page.get_by_role(
        "button", name="Informations complémentaires (identifiants techniques, dates, etc.)"
    )
    assert not page.locator("#informations-complementaires").is_visible()
    complementary.click()
    page.locator("#informations-complementaires").wait_for(state="visible")
    assert "Identifiant de l'offre :\n76/" in page.locator("#informations-complementaires").inner_text()
    assert fits_the_window(page)
    screenshot("7-offre-usic")


def test_htmx_navigation_moves_focus_and_keeps_history(seeded, page, login):
    login("gestionnaire")
    page.get_by_role("link", name="Mes établissements", exact=True).click()
    page.get_by_role("link", name="Mes établissements géographiques (EG)").click()
    page.get_by_role("link", name="Détails de CLINIQUE CLAUDE BERNARD - ALBI").click()
    page.wait_for_selector("h1:has-text('CLINIQUE CLAUDE BERNARD - ALBI')")

    focused = page.evaluate("document.activeElement.tagName + ':' + document.activeElement.textContent.trim()")
    assert focused.startswith("H1:CLINIQUE CLAUDE BERNARD - ALBI")

    page.go_back()
    page.wait_for_selector("h1:has-text('Mes établissements géographiques (EG)')")
    page.reload()
    assert heading(page) == "Mes établissements géographiques (EG)"
    assert page.locator("footer").is_visible()  # a reload gets the whole page


def test_the_same_path_works_without_javascript(seeded, browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    log_in(page, live_server.url, "gestionnaire")

    page.get_by_role("link", name="Mes établissements", exact=True).click()
    page.get_by_role("link", name="Mes établissements géographiques (EG)").click()
    page.get_by_label("Nom ou FINESS").fill("810000224")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Détails de CLINIQUE CLAUDE BERNARD - ALBI").click()
    page.get_by_role("link", name="Détails de Pédiatrie - Obstétrique").click()
    page.get_by_role("link", name="Détails de Cardiologie médicale - USIC").click()
    page.get_by_role("link", name=f"Détails de {USIC}").click()

    assert page.get_by_role("heading", level=1).inner_text() == USIC
    context.close()


def test_an_eg_outside_the_scope_is_a_404_page(seeded, page, login, live_server):
    from structures.models import Structure

    login("autre")
    pk = Structure.objects.get(finess_et="810000224").pk

    response = page.goto(f"{live_server.url}/structures/{pk}/")

    assert response.status == 404
