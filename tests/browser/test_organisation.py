"""Issue 10's scenario in Chromium, as `gestionnaire`: add a structure "Rythmologie", move the UF "Salle
d'échographie cardiaque" with its offer under it, close "Rythmologie" (its offer closed, gone from the offer
picker's targets), reopen it with what was closed with it — with the mouse, then the move with the keyboard.

The issue adds "Rythmologie" as an UF under the service "Cardiologie" and moves an UF under it, which its own
type rules refuse (under an UF, an unité élémentaire only). Here "Rythmologie" is a service of the pôle
"Médecine" (under a pôle: a service or an UF), which accepts the UF; adding an UF under "Cardiologie" and the
refusal to move an UF under an UF are shown too.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from offers.models import Offer, OfferEvent
from structures.models import Structure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SALLE = "Salle d'échographie cardiaque"
ECHO = "Échographie cardiaque"


@pytest.fixture
def seeded(live_server):
    call_command("seed_demo", stdout=StringIO())
    tree_id = Structure.objects.get(finess_et="810000224").tree_id  # Clinique Claude Bernard
    return {name: Structure.objects.get(name=name, tree_id=tree_id) for name in ("Médecine", "Cardiologie", SALLE)}


def location(page, name):
    page.locator(f'#picker-body [data-picker-location="Emplacement affiché : {name}"]').wait_for()


def test_add_move_close_and_reopen_a_unit_with_its_offer(seeded, page, login, live_server, screenshot):
    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    echo = Offer.objects.get(nom=ECHO)
    identity = (echo.identifiant, echo.version, sorted(echo.activites.values_list("code", flat=True)))

    # On "Cardiologie" (a service), an UF may be added, nothing else.
    page.goto(f"{live_server.url}/structures/{seeded['Cardiologie'].pk}/")
    page.get_by_role("link", name="Ajouter une structure interne").click()
    assert page.locator("#id_kind option").all_inner_texts() == ["Sélectionnez le type", "Unité fonctionnelle"]
    page.get_by_label("Type").select_option("3")
    page.get_by_label("Nom").fill("Rythmologie – consultations")
    page.get_by_role("button", name="Ajouter la structure").click()
    expect(page.get_by_text("« Rythmologie – consultations » a été ajouté(e) dans « Cardiologie ».")).to_be_visible()

    # On "Médecine" (a pôle), the service "Rythmologie".
    page.goto(f"{live_server.url}/structures/{seeded['Médecine'].pk}/")
    page.get_by_role("link", name="Ajouter une structure interne").click()
    page.get_by_label("Type").select_option("2")
    page.get_by_label("Nom").fill("Rythmologie")
    page.get_by_label("Code dans l'établissement").fill("4012")
    page.get_by_role("button", name="Ajouter la structure").click()
    expect(page.get_by_text("Créée dans « Médecine » par Camille Gestionnaire")).to_be_visible()
    screenshot("structure-ajoutee")
    rythmologie = Structure.objects.get(name="Rythmologie")

    # Move the UF with its offer: the picker opens on its current parent, each refusal with its reason.
    page.goto(f"{live_server.url}/structures/{seeded[SALLE].pk}/")
    page.get_by_role("link", name="Déplacer la structure").click()
    location(page, "Cardiologie")
    refusal = "Une unité fonctionnelle ne se place pas sous une unité fonctionnelle"
    expect(page.get_by_text(refusal).first).to_be_visible()
    assert page.get_by_role("button", name="Déplacer ici").is_disabled()  # it is already there
    screenshot("deplacer-la-structure")
    page.get_by_role("link", name="Revenir à Médecine").click()
    location(page, "Médecine")  # an HTMX swap of the picker's body, with its own URL
    assert f"noeud={seeded['Médecine'].pk}" in page.url
    page.get_by_role("link", name="Rythmologie").click()
    location(page, "Rythmologie")
    page.get_by_role("button", name="Déplacer ici").click()
    expect(page.get_by_text(f"« {SALLE} » a été déplacé(e) dans « Rythmologie », avec 1 offre.")).to_be_visible()
    assert Structure.objects.get(pk=seeded[SALLE].pk).parent_id == rythmologie.pk
    echo = Offer.objects.get(pk=echo.pk)
    assert (echo.identifiant, echo.version, sorted(echo.activites.values_list("code", flat=True))) == identity
    assert echo.structure_id == seeded[SALLE].pk
    page.get_by_role("link", name=f"Détails de {ECHO}").click()
    expect(page.get_by_text(f"Déplacée avec « {SALLE} » de « Cardiologie » vers « Rythmologie »")).to_be_visible()

    # Close "Rythmologie": the confirmation lists what closes with it.
    page.goto(f"{live_server.url}/structures/{rythmologie.pk}/")
    page.get_by_role("link", name="Fermer la structure").click()
    page.get_by_label("Date de fermeture").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("1 sous-structure")).to_be_visible()
    expect(page.locator("main li").get_by_text(ECHO, exact=True)).to_be_visible()
    screenshot("fermeture-confirmation")
    page.get_by_role("button", name="Confirmer la fermeture").click()
    today = f"{timezone.localdate():%d/%m/%Y}"
    expect(page.locator("h1")).to_contain_text(f"Fermée depuis le {today}")
    row = page.locator("#table-contenu tbody tr", has_text=SALLE)
    expect(row).to_contain_text(f"Fermée depuis le {today}")
    screenshot("structure-fermee")
    assert Offer.objects.get(pk=echo.pk).closed_on == timezone.localdate()

    # Another offer's picker: the closed units are no longer eligible.
    other = Offer.objects.get(nom="Hôpital de jour de cardiologie")
    page.goto(f"{live_server.url}/offres/{other.pk}/rattachement/?noeud={rythmologie.pk}")
    expect(page.get_by_text(f"« Rythmologie » est fermé(e) depuis le {today}.")).to_be_visible()
    assert page.get_by_role("button", name="Rattacher ici").is_disabled()

    # Reopen it, with what was closed with it.
    page.goto(f"{live_server.url}/structures/{rythmologie.pk}/")
    page.get_by_role("link", name="Rouvrir la structure").click()
    expect(page.get_by_label("Rouvrir aussi ce qui a été fermé avec elle")).to_be_checked()
    page.get_by_role("button", name="Rouvrir la structure").click()
    expect(page.get_by_text("« Rythmologie » est rouverte, avec 1 sous-structure et 1 offre.")).to_be_visible()
    assert Offer.objects.get(pk=echo.pk).closed_on is None
    assert Structure.objects.get(pk=seeded[SALLE].pk).closed_on is None
    assert OfferEvent.objects.filter(offer=echo).count() == 3  # moved with its unit, closed, reopened


def test_moving_a_unit_with_the_keyboard_only(seeded, page, login, live_server):
    login("gestionnaire")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/structures/{seeded[SALLE].pk}/deplacer/")
    location(page, "Cardiologie")

    page.get_by_role("link", name="Revenir à Médecine").focus()
    page.keyboard.press("Enter")
    location(page, "Médecine")
    link = page.locator("#picker-body").get_by_role("link", name="Cardiologie")
    expect(link).to_be_visible()
    page.locator("#picker-body").get_by_role("button", name="Déplacer ici").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text(f"« {SALLE} » a été déplacé(e) dans « Médecine », avec 1 offre.")).to_be_visible()
    assert Structure.objects.get(pk=seeded[SALLE].pk).parent_id == seeded["Médecine"].pk
