"""Every portal page and the main admin pages, at 1280 and 375 px: axe-core finds nothing and no page
scrolls sideways."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from offers import organisation
from offers.models import Offer
from structures.models import Structure
from tests.browser.conftest import axe_violations, log_in, scrolls_sideways

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"
WIDTHS = (1280, 375)
FOOTER_PAGES = ["/accessibilite/", "/mentions-legales/", "/donnees-personnelles/", "/cookies/"]
ANONYMOUS_PAGES = ["/connexion/", "/mot-de-passe/oublie/", "/accessibilite/"]  # the header without the account's tools


def portal_pages():
    offer = Offer.objects.get(nom=USIC)
    eg = Structure.objects.get(finess_et="810000224")
    moved = Offer.objects.get(nom="Hôpital de jour de cardiologie")
    gestionnaire = User.objects.get(username="gestionnaire")
    moved.move(gestionnaire, Structure.objects.get(name="HC Cardiologie"))
    draft = Offer.create(
        gestionnaire,
        offer.structure,
        {"nom": "Offre en brouillon", "champ_activite": offer.champ_activite, "modele_saisie": "260/01"},
        publish=False,
    )
    hj = Structure.objects.get(name="HJ Cardiologie")
    salle = Structure.objects.get(name="Salle d'échographie cardiaque")
    organisation.close(gestionnaire, hj, timezone.localdate())
    return [
        f"/offres/{moved.pk}/deplacements/{moved.latest_move().pk}/annuler/",
        f"/structures/{offer.structure_id}/ajouter-une-structure/",
        f"/structures/{offer.structure_id}/modifier/",
        f"/structures/{offer.structure_id}/fermer/",
        f"/structures/{offer.structure_id}/deplacer/",
        f"/structures/{salle.pk}/deplacer/?noeud={eg.pk}",
        f"/structures/{hj.pk}/",
        f"/structures/{hj.pk}/rouvrir/",
        "/",
        "/etablissements/",
        "/etablissements/eg/",
        "/etablissements/ej/",
        f"/structures/{eg.pk}/",
        f"/structures/{Structure.objects.get(name='Pédiatrie - Obstétrique').pk}/",
        f"/structures/{offer.structure_id}/",
        f"/offres/{offer.pk}/",
        f"/offres/{offer.pk}/modifier/",
        f"/offres/{offer.pk}/modifier/caracteristiques/",
        f"/offres/{offer.pk}/modifier/fermeture/",
        f"/offres/{offer.pk}/contacts/ajouter/",
        f"/offres/{offer.pk}/contacts/{offer.contacts.order_by('pk').first().pk}/modifier/",
        f"/offres/{offer.pk}/contacts/{offer.contacts.order_by('pk').first().pk}/supprimer/",
        f"/offres/{offer.pk}/rattachement/?noeud={offer.structure_id}",
        f"/offres/{offer.pk}/rattachement/?noeud=racine",
        f"/structures/{offer.structure_id}/creer-une-offre/",
        f"/offres/{draft.pk}/",
        f"/offres/{draft.pk}/saisie/",
        f"/offres/{draft.pk}/saisie/supprimer/",
        "/structures/999999/",  # the 404 page
        "/mot-de-passe/",
        *FOOTER_PAGES,
    ]


def admin_pages():
    offer = Offer.objects.get(nom=USIC)
    return [
        "/admin/",
        "/admin/structures/structure/",
        "/admin/offers/offer/",
        f"/admin/offers/offer/{offer.pk}/change/",
        "/admin/accounts/user/",
        "/admin/offers/modelesaisie/add/",
    ]


def check_pages(browser, base_url, paths, username=None):
    """Every path at every width: the axe violations and the sideways scrolls, reported together."""
    problems = []
    context = browser.new_context(locale="fr-FR", bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.set_default_timeout(10_000)
    if username:
        log_in(page, base_url, username)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            page.goto(base_url + path)
            problems += [f"{width} px {path}: {violation}" for violation in axe_violations(page)]
            if scrolls_sideways(page):
                problems.append(f"{width} px {path}: the page scrolls sideways")
    context.close()
    return problems


@pytest.fixture
def seeded(live_server):
    call_command("seed_demo", stdout=StringIO())


def test_portal_pages_have_no_axe_violation_and_fit_the_window(seeded, browser, live_server):
    problems = check_pages(browser, live_server.url, portal_pages(), "gestionnaire")
    problems += check_pages(browser, live_server.url, ANONYMOUS_PAGES)
    offer = Offer.objects.get(nom=USIC)
    problems += check_pages(browser, live_server.url, [f"/offres/{offer.pk}/modifier/"], "regulateur")  # the 403

    assert not problems, "\n".join(problems)


def test_admin_pages_have_no_axe_violation_and_fit_the_window(seeded, browser, live_server):
    problems = check_pages(browser, live_server.url, admin_pages(), "referent")

    assert not problems, "\n".join(problems)
