"""The référents' admin in a real browser: what the page holds is what gets saved."""

from io import StringIO

import pytest
from django.core.management import call_command

from offers.models import Offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def referent_in_admin(live_server, page):
    call_command("seed_demo", stdout=StringIO())
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill("referent")
    page.locator("input[name=password]").fill("ror-demo-2026")
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return live_server.url


def test_a_referent_changes_an_offer_in_the_admin(referent_in_admin, page, screenshot):
    offer = Offer.objects.get(nom=USIC)
    page.goto(f"{referent_in_admin}/admin/offers/offer/{offer.pk}/change/")

    page.locator("input[name=age_min]").fill("16")  # the seed says 18
    page.locator("input[name=_save]").click()

    page.wait_for_url(f"{referent_in_admin}/admin/offers/offer/")
    assert "modifié avec succès" in page.locator(".messagelist").inner_text()
    screenshot("offre-enregistree")
    offer.refresh_from_db()
    assert (offer.age_min, offer.version) == (16, 2)
    assert offer.events.get().fields == ["Âge minimum (ans)"]


def test_a_stale_admin_page_is_refused_and_changes_nothing(referent_in_admin, page):
    offer = Offer.objects.get(nom=USIC)
    page.goto(f"{referent_in_admin}/admin/offers/offer/{offer.pk}/change/")
    Offer.objects.filter(pk=offer.pk).update(version=2, nom="Publiée entre-temps")

    page.locator("input[name=age_min]").fill("17")
    page.locator("input[name=_save]").click()

    assert "Cette offre a été modifiée entre-temps" in page.locator("#content").inner_text()
    offer.refresh_from_db()
    assert (offer.nom, offer.age_min) == ("Publiée entre-temps", 18)  # the seed's value, not 17
