"""Who may call the API and what each client sees: tokens, the confidentiality levels as a matrix (level ×
resource × sensitive unit × contact level × télécom level), territory, drafts. Zero leaks."""

import datetime
import itertools

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from fhir_api.models import ApiCall
from offers.models import Contact, Offer, Telecom
from structures.models import Structure
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db

LEVELS = (1, 2, 3)


@pytest.fixture
def world(seed):
    """Two offers of the Claude Bernard clinic, one of them a unité sensible, each with a contact of every level,
    each contact with a télécom of every level (values say which)."""
    offers = {
        False: Offer.objects.get(nom="Échographie cardiaque"),
        True: Offer.objects.get(nom="Hôpital de jour de cardiologie"),
    }
    Offer.objects.filter(pk=offers[True].pk).update(unite_sensible=True)
    for offer in offers.values():
        offer.contacts.all().delete()
        for level in LEVELS:
            contact = Contact.objects.create(offer=offer, nom=f"Contact {level}", confidentialite_id=str(level))
            for telecom_level in LEVELS:
                Telecom.objects.create(
                    contact=contact, canal="phone", valeur=f"05 00 00 0{level} 0{telecom_level}",
                    confidentialite_id=str(telecom_level),
                )  # fmt: skip
    return offers


def contacts_of(resource):
    """{contact name: [télécom values]} of a HealthcareService."""
    found = {}
    for extension in resource.get("extension", []):
        if extension["url"].endswith("ror-healthcareservice-contact"):
            parts = extension["extension"]
            name = next(part["valueHumanName"]["text"] for part in parts if part["url"] == "name")
            found[name] = sorted(
                next(sub["valueString"] for sub in part["extension"] if sub["url"] == "telecomAddress")
                for part in parts
                if part["url"].endswith("ror-healthcareservice-contact-telecom")
            )
    return found


def expected_contacts(level):
    return {
        f"Contact {contact}": sorted(f"05 00 00 0{contact} 0{telecom}" for telecom in LEVELS if telecom <= level)
        for contact in LEVELS
        if contact <= level
    }


HOW = ["read", "search by _id", "search by organization.identifier:above"]


@pytest.mark.parametrize(("level", "sensitive", "how"), list(itertools.product(LEVELS, (False, True), HOW)))
def test_each_level_sees_what_it_may_and_nothing_else(api, world, level, sensitive, how):
    offer = world[sensitive]
    client = api(level)

    if how == "read":
        response = client.get(f"/fhir/HealthcareService/{offer.pk}")
        resources = [response.json()] if response.status_code == 200 else []
        assert response.status_code in (200, 404)
    else:
        params = {"_id": offer.pk} if how == "search by _id" else {"organization.identifier:above": "810000224"}
        bundle = client.json("/fhir/HealthcareService", params)
        resources = [entry["resource"] for entry in bundle["entry"] if entry["resource"]["id"] == str(offer.pk)]

    visible = not sensitive or level == 3
    assert len(resources) == (1 if visible else 0)
    if visible:
        assert contacts_of(resources[0]) == expected_contacts(level)


def test_a_search_of_every_offer_never_holds_a_sensitive_unit_below_level_3(api, world):
    for level in (1, 2):
        bundle = api(level).json("/fhir/HealthcareService", {"_count": "1000"})

        ids = {entry["resource"]["id"] for entry in bundle["entry"]}
        assert str(world[True].pk) not in ids and str(world[False].pk) in ids
        assert bundle["total"] == Offer.objects.published().filter(unite_sensible=False).count()
        for entry in bundle["entry"]:
            for telecoms in contacts_of(entry["resource"]).values():
                assert all(int(value[-1]) <= level for value in telecoms if value.startswith("05 00 00"))


def test_drafts_never_appear(api, seed):
    offer = Offer.objects.get(nom="Échographie cardiaque")
    Offer.objects.filter(pk=offer.pk).update(published=False, identifiant=None)
    client = api(3)

    assert client.get(f"/fhir/HealthcareService/{offer.pk}").status_code == 404
    ids = {entry["resource"]["id"] for entry in client.json("/fhir/HealthcareService", {"_count": "1000"})["entry"]}
    assert str(offer.pk) not in ids


def test_a_client_of_a_territory_reads_nothing_outside_it(api, seed):
    client = api(3, ["81"])
    ehpad = Structure.objects.get(finess_et="970302287")  # Guyane
    ehpad_offer = Offer.objects.filter(structure=ehpad).first()

    assert client.get(f"/fhir/HealthcareService/{ehpad_offer.pk}").status_code == 404
    assert client.get(f"/fhir/Organization/st-{ehpad.pk}").status_code == 404
    assert client.get(f"/fhir/Organization/ej-{ehpad.entite_juridique_id}").status_code == 404
    offers = client.json("/fhir/HealthcareService", {"_count": "1000"})
    assert offers["total"] == Offer.objects.published().filter(departement="81").count()
    organizations = client.json("/fhir/Organization", {"_count": "1000"})
    assert f"st-{ehpad.pk}" not in {entry["resource"]["id"] for entry in organizations["entry"]}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer inconnu", "Basic abc", "Bearer ", "Bearer \u202e", "bearer x" * 500],
)
@pytest.mark.parametrize("path", ["/fhir/HealthcareService", "/fhir/HealthcareService/1", "/fhir/Organization",
                                  "/fhir/Organization/st-1"])  # fmt: skip
def test_calls_without_a_valid_token_get_401_with_an_operation_outcome(client, seed, authorization, path):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get(path, headers=headers)

    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "login"
    assert ApiCall.objects.filter(status=401, client=None, path=path).exists()


def test_an_expired_token_is_refused(api):
    client = api(3)
    AccessToken.objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))

    assert client.get("/fhir/HealthcareService").status_code == 401


def test_a_session_of_the_portal_is_no_token(client_for):
    assert client_for("gestionnaire").get("/fhir/HealthcareService").status_code == 401


def test_every_call_is_logged_without_personal_data(api):
    client = api(2)

    client.json("/fhir/HealthcareService", {"name": "cardio"})

    call = ApiCall.objects.get(client=client.client_row)
    assert (call.status, call.query, call.path) == (200, "name=cardio", "/fhir/HealthcareService")
    assert call.count >= 1 and call.duration_ms >= 0


def test_too_many_calls_get_429_with_retry_after(api, settings):
    settings.FHIR_RATE_LIMIT = "3/m"
    client = api(3)

    statuses = [client.get("/fhir/Organization", {"_count": "1"}).status_code for _ in range(4)]
    refused = client.get("/fhir/Organization")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["issue"][0]["code"] == "throttled"


def test_the_fhir_rate_limit_counts_a_clients_calls_in_every_process(api, settings, shared_cache):
    """Two calls served by this process, two by another process (a second app server) with the same CACHE_URL:
    the limit of 3 an hour is reached across them, where each process alone would have let them through."""
    settings.FHIR_RATE_LIMIT = "3/h"  # an hour's window: no new window during the test
    client = api(3)
    assert client.get("/fhir/Organization", {"_count": "1"}).status_code == 200

    other = run_python(
        "import django; django.setup()\n"
        "from types import SimpleNamespace\n"
        "from django.test import RequestFactory\n"
        "from fhir_api.views import throttle\n"
        "for _ in range(2):\n"
        f"    throttle(RequestFactory().get('/fhir/Organization'), SimpleNamespace(pk={client.client_row.pk}))\n",
        DEBUG="true",
        CACHE_URL=settings.CACHES["default"]["LOCATION"],
        CACHE_KEY_PREFIX=shared_cache,
        FHIR_RATE_LIMIT="3/h",
    )
    assert other.returncode == 0, other.stderr

    refused = client.get("/fhir/Organization", {"_count": "1"})
    assert refused.status_code == 429
    assert refused.json()["issue"][0]["code"] == "throttled"


def test_a_token_of_an_oauth_application_that_is_no_api_client_gets_403(api):
    client = api(3)
    client.client_row.delete()  # the OAuth2 application and its token remain

    response = client.get("/fhir/HealthcareService")

    assert response.status_code == 403 and response.json()["issue"][0]["code"] == "forbidden"
