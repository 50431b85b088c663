"""Under the Content-Security-Policy, nothing the portal or the admin needs is blocked."""

from io import StringIO

import pytest
from django.core.management import call_command

from offers.models import Offer
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"

# Reports every CSP violation of the page, whatever the console says, with where it comes from and the page: the
# console's own line does not say which page, nor what was blocked.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var line = event.violatedDirective + " " + event.blockedURI + " " + (event.sourceFile || "") + ":" + event.lineNumber
    + ":" + event.columnNumber + " « " + event.sample + " » on " + location.pathname;
  window.__cspViolations.push(line);
  console.error("Refused to apply, recorded: " + line);  // also seen when it happens after the page was read
});
"""


def test_no_page_breaks_the_content_security_policy(live_server, page, screenshot):
    call_command("seed_demo", stdout=StringIO())
    offer = Offer.objects.get(nom=USIC)
    console = []
    page.on(
        "console", lambda message: console.append(f"{message.type}: {message.text} {message.location.get('url', '')}")
    )
    page.context.add_init_script(RECORD_VIOLATIONS)
    violations = []

    def visit(path):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        violations.extend(page.evaluate("window.__cspViolations"))

    visit("/connexion/")
    log_in(page, live_server.url, "referent")
    for path in ["/", "/etablissements/eg/", f"/offres/{offer.pk}/", f"/offres/{offer.pk}/modifier/", "/mot-de-passe/"]:
        visit(path)
    visit(f"/offres/{offer.pk}/modifier/")
    page.get_by_role("button", name="Modifier le rattachement").click()
    page.get_by_role("dialog", name="Rattachement organisationnel de l'offre").wait_for()
    violations.extend(page.evaluate("window.__cspViolations"))
    for path in [
        "/admin/",
        "/admin/offers/offer/",
        f"/admin/offers/offer/{offer.pk}/change/",
        "/admin/structures/structure/",
    ]:
        visit(path)
    visit("/introuvable/")
    screenshot("derniere-page")

    assert violations == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    # Nothing else went wrong either (the 404s: the unknown page itself and the admin's /favicon.ico).
    assert [line for line in console if line.startswith("error") and "404 (Not Found)" not in line] == []
