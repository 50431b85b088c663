import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(live_server):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())


def test_gestionnaire_logs_in_and_out(seeded, page, login, screenshot):
    login("gestionnaire")

    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Camille Gestionnaire"
    assert page.get_by_role("heading", name="Mes accès rapides").is_visible()
    assert "Pour toute difficulté, contactez-nous" in page.locator("footer").inner_text()
    screenshot("accueil")
    page.get_by_role("button", name="Se déconnecter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Connexion au portail ROR"


def test_a_wrong_password_is_refused_in_french(seeded, page, login, screenshot):
    login("gestionnaire", "mauvais")

    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in page.locator("main").inner_text()
    screenshot("refus")
