"""Searches: every parameter and prefix, refusals of what is not supported, paging through 1,000 offers while they
move, constant query counts."""

import datetime

import pytest
from django.utils import timezone

from fhir_api.mapping import SYSTEMS
from offers.models import Offer
from structures.models import EntiteJuridique, Structure
from tests.structures.builders import big_etablissement

pytestmark = pytest.mark.django_db


def ids(bundle):
    return {entry["resource"]["id"] for entry in bundle["entry"] if entry["search"]["mode"] == "match"}


def offer_ids(queryset):
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


PUBLISHED = Offer.objects.published


@pytest.fixture
def client(api):
    return api(3)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "echographie"}, lambda: PUBLISHED().filter(nom="Échographie cardiaque")),  # accents and case
        ({"name": "CARDIOLOGIE"}, lambda: PUBLISHED().filter(nom__icontains="cardiologie")),
        ({"name:exact": "Échographie cardiaque"}, lambda: PUBLISHED().filter(nom="Échographie cardiaque")),
        ({"service-type": "04"}, lambda: PUBLISHED().filter(champ_activite_id="04")),
        ({"service-type": f"{SYSTEMS['champ']}|02"}, lambda: PUBLISHED().filter(champ_activite_id="02")),
        ({"service-type": "https://example.org/autre|02"}, lambda: PUBLISHED().none()),
        ({"service-category": "69,16"}, lambda: PUBLISHED().filter(type_offre_id__in=["69", "16"])),
        ({"specialty": f"{SYSTEMS['activite']}|354"}, lambda: PUBLISHED().filter(activites="354")),
        ({"specialty": "067"}, lambda: PUBLISHED().filter(activites="067")),
        ({"characteristic": f"{SYSTEMS['mode']}|32"}, lambda: PUBLISHED().filter(mode_prise_en_charge_id="32")),
        ({"age-range-low": "ge60"}, lambda: PUBLISHED().filter(age_min__gte=60)),
        ({"age-range-low": "le18"}, lambda: PUBLISHED().filter(age_min__lte=18) | PUBLISHED().filter(age_min=None)),
        ({"age-range-low": "lt18|https://unitsofmeasure.org|a"},
         lambda: PUBLISHED().filter(age_min__lt=18) | PUBLISHED().filter(age_min=None)),
        ({"age-range-high": "gt100"}, lambda: PUBLISHED().filter(age_max__gt=100) | PUBLISHED().filter(age_max=None)),
        ({"age-range-high": "eq150"}, lambda: PUBLISHED().filter(age_max=150) | PUBLISHED().filter(age_max=None)),
        ({"age-range-low": "ne18"}, lambda: PUBLISHED().exclude(age_min=18)),
        ({"organization.identifier:above": "810000224"},
         lambda: PUBLISHED().filter(structure__tree_id=Structure.objects.get(finess_et="810000224").tree_id)),
        ({"organization:above.identifier": "https://finess.esante.gouv.fr|810000224"},
         lambda: PUBLISHED().filter(structure__tree_id=Structure.objects.get(finess_et="810000224").tree_id)),
        ({"organization.identifier:above": "999999999"}, lambda: PUBLISHED().none()),
    ],
)  # fmt: skip
def test_each_parameter(client, params, expected):
    assert ids(client.json("/fhir/HealthcareService", {**params, "_count": "1000"})) == offer_ids(expected())


def test_identifier_id_and_organization(client):
    offer = PUBLISHED().get(nom="Échographie cardiaque")

    assert ids(client.json("/fhir/HealthcareService", {"identifier": offer.identifiant})) == {str(offer.pk)}
    assert ids(client.json("/fhir/HealthcareService", {"_id": f"{offer.pk},999999"})) == {str(offer.pk)}
    by_unit = client.json("/fhir/HealthcareService", {"organization": f"Organization/st-{offer.structure_id}"})
    assert ids(by_unit) == offer_ids(PUBLISHED().filter(structure_id=offer.structure_id))


def test_last_updated_with_each_prefix(client):
    moment = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    old, recent = PUBLISHED()[:2]
    Offer.objects.filter(pk=old.pk).update(updated_at=moment - datetime.timedelta(days=3))
    Offer.objects.exclude(pk=old.pk).update(updated_at=moment)
    Offer.objects.filter(pk=recent.pk).update(updated_at=moment + datetime.timedelta(minutes=30))
    stamp = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S%z")
    stamp = f"{stamp[:-2]}:{stamp[-2:]}"
    everyone = offer_ids(PUBLISHED())

    def search(value):
        return ids(client.json("/fhir/HealthcareService", {"_lastUpdated": value, "_count": "1000"}))

    assert search(f"ge{stamp}") == everyone - {str(old.pk)}
    assert search(f"gt{stamp}") == {str(recent.pk)}
    assert search(f"lt{stamp}") == {str(old.pk)}
    assert search(f"le{stamp}") == everyone - {str(recent.pk)}
    assert search(stamp) == everyone - {str(old.pk), str(recent.pk)}  # eq: the second written
    day = f"{timezone.localtime(moment - datetime.timedelta(days=3)):%Y-%m-%d}"
    assert str(old.pk) in search(day) and search(f"ne{stamp}") == {str(old.pk), str(recent.pk)}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"inconnu": "x"}, 400, "« inconnu » n'est pas pris en charge"),
        ({"name:missing": "true"}, 400, "n'est pas pris en charge"),
        ({"_lastUpdated": "hier"}, 400, "n'est pas une date FHIR"),
        ({"_lastUpdated": "ge2026-02-30"}, 400, "n'est pas une date qui existe"),
        ({"_lastUpdated": "2026-01-01T10:00+25:00"}, 400, "décalage horaire"),
        ({"age-range-low": "ge١٢"}, 400, "n'est pas un âge"),
        ({"age-range-low": "ge12|http://unitsofmeasure.org|mo"}, 400, "en années"),
        ({"organization": "Patient/1"}, 400, "n'est pas une référence"),
        ({"_count": "0"}, 400, "_count"),
        ({"_count": "2**63"}, 400, "_count"),
        ({"_page": "forgé"}, 400, "curseur de page invalide"),
        ({"_include": "HealthcareService:location"}, 400, "n'est pas pris en charge"),
        ({"name": ""}, 400, "attend une valeur"),
        ({"specialty": ",".join(["013"] * 101)}, 400, "au plus 100 valeurs"),
        ({"_format": "xml"}, 406, "ce serveur répond en JSON"),
    ],
)
def test_what_is_not_supported_is_refused_with_an_operation_outcome(client, params, status, words):
    response = client.get("/fhir/HealthcareService", params)

    body = response.json()
    assert response.status_code == status and body["resourceType"] == "OperationOutcome"
    assert words in body["issue"][0]["diagnostics"]


def test_writes_are_refused(client):
    response = client.http.post("/fhir/HealthcareService", {}, headers={"Authorization": f"Bearer {client.token}"})

    assert response.status_code == 405 and response.json()["issue"][0]["code"] == "not-supported"


def test_organization_searches(client):
    eg = Structure.objects.get(finess_et="810000224")
    service = Structure.objects.get(name="Cardiologie", kind=Structure.Kind.SERVICE)

    def search(params):
        return ids(client.json("/fhir/Organization", {**params, "_count": "1000"}))

    assert search({"identifier": "810000224"}) == {f"st-{eg.pk}"}
    assert search({"identifier": f"{eg.entite_juridique.finess_ej}"}) == {f"ej-{eg.entite_juridique_id}"}
    children = {f"st-{pk}" for pk in service.children.values_list("pk", flat=True)}
    assert search({"partof": f"Organization/st-{service.pk}"}) == children
    assert f"st-{eg.pk}" in search({"partof": f"Organization/ej-{eg.entite_juridique_id}"})
    assert search({"type": f"{SYSTEMS['type_oi']}|2"}) == {
        f"st-{pk}" for pk in Structure.objects.filter(kind="2").values_list("pk", flat=True)
    }
    assert search({"type": "EJ"}) == {f"ej-{pk}" for pk in EntiteJuridique.objects.values_list("pk", flat=True)}
    assert f"st-{service.pk}" in search({"name": "CARDIO"})
    assert search({"address-postalcode": "81000"}) == {
        f"st-{pk}" for pk in Structure.objects.filter(code_postal__startswith="81000").values_list("pk", flat=True)
    }


def test_paging_through_1000_offers_returns_each_exactly_once_while_offers_move(client):
    eg = big_etablissement(poles=4, ufs_per_pole=25, offers_per_uf=10, departement="81")  # 1,000 offers
    wanted = offer_ids(PUBLISHED().filter(structure__tree_id=eg.tree_id))
    ufs = list(Structure.objects.filter(tree_id=eg.tree_id, kind="3").values_list("pk", flat=True))
    seen, url, pages = [], "/fhir/HealthcareService", 0
    params = {"organization.identifier:above": eg.finess_et, "_count": "37"}
    while url:
        bundle = client.json(url, params)
        seen += [entry["resource"]["id"] for entry in bundle["entry"]]
        assert bundle.get("total") == (1000 if pages == 0 else None)  # counted once, on the first page
        # Meanwhile, offers move to another unit (their lastUpdated changes), behind and ahead of the cursor.
        moved = PUBLISHED().filter(structure__tree_id=eg.tree_id).order_by("?")[:5]
        for n, offer in enumerate(moved):
            unit = ufs[(pages + n) % len(ufs)]
            Offer.objects.filter(pk=offer.pk).update(structure_id=unit, updated_at=timezone.now())
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        params, pages = None, pages + 1

    assert len(seen) == len(set(seen)) == 1000 and set(seen) == wanted
    assert pages == 28


def test_a_search_page_runs_the_same_number_of_queries_at_every_size(api, django_assert_num_queries):
    small = big_etablissement(poles=1, ufs_per_pole=2, offers_per_uf=2, departement="81")
    client = api(3)
    params = {"_include": "HealthcareService:organization", "_include:iterate": "Organization:partof", "_count": "200"}

    def count(params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.json("/fhir/HealthcareService", params)
        return len(queries)

    client.json("/fhir/HealthcareService", params)  # the nomenclature cache filled
    few = count({**params, "organization.identifier:above": small.finess_et})
    big = big_etablissement(poles=10, ufs_per_pole=20, offers_per_uf=3, departement="81")
    many = count({**params, "organization.identifier:above": big.finess_et})

    assert few == many
    # The token and its client, the page's ids, the offers with their contacts, télécoms, activités and publics (one),
    # the included structures with their ancestors and EJ, the total, the journal's row, and the identified EG of
    # organization.identifier:above: the same for 4 or 600 offers.
    assert many == 12, many


def test_a_synchronising_client_sees_every_offer_moved_changed_or_closed_since_its_last_run(client, demo_user):
    from offers import organisation

    gestionnaire = demo_user("gestionnaire")
    Offer.objects.update(updated_at=timezone.now() - datetime.timedelta(days=1))
    last_run = timezone.now() - datetime.timedelta(seconds=1)
    stamp = last_run.isoformat(timespec="seconds").replace("+00:00", "Z")
    moved = PUBLISHED().get(nom="Hôpital de jour de cardiologie")
    before = moved.identifiant
    moved.move(gestionnaire, Structure.objects.get(name="HC Cardiologie"))
    changed = PUBLISHED().get(nom="Consultations de cardiologie")
    changed.publish(gestionnaire, {"age_min": 16})
    echo = PUBLISHED().get(nom="Échographie cardiaque")  # its unit moves
    salle = Structure.objects.get(name="Salle d'échographie cardiaque")
    organisation.move(gestionnaire, salle, Structure.objects.get(name="Médecine", tree_id=salle.tree_id))
    usic = PUBLISHED().get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    organisation.close(gestionnaire, usic.structure, timezone.localdate())

    bundle = client.json("/fhir/HealthcareService", {"_lastUpdated": f"ge{stamp}", "_count": "1000"})

    found = {entry["resource"]["id"]: entry["resource"] for entry in bundle["entry"]}
    assert set(found) == {str(moved.pk), str(changed.pk), str(echo.pk), str(usic.pk)}
    hc = Structure.objects.get(name="HC Cardiologie")
    assert found[str(moved.pk)]["providedBy"]["reference"] == f"Organization/st-{hc.pk}"
    assert found[str(moved.pk)]["identifier"][0]["value"] == before
    assert found[str(usic.pk)]["notAvailable"][0]["during"]["start"] == timezone.localdate().isoformat()


HOSTILE = [
    "²", "٣", "𝟙", "\u202eabc", "\u200b", "\ufeff", str(2**63), str(10**30), "-1", "x" * 5000, "|", "||", "a|",
    "Organization/", "st-", "ej-٣", "ge", "ge2026-13-01", "eq2026-01-01T25:00", "le99999", "ne", ",", "%00",
]  # fmt: skip


@pytest.mark.parametrize("path", ["/fhir/HealthcareService", "/fhir/Organization"])
def test_hostile_values_of_every_parameter_never_make_a_500(client, path, settings):
    from fhir_api.search import HEALTHCARE_SERVICE_PARAMETERS, ORGANIZATION_PARAMETERS

    settings.FHIR_RATE_LIMIT = "100000/m"

    names = HEALTHCARE_SERVICE_PARAMETERS if path.endswith("Service") else ORGANIZATION_PARAMETERS
    names = [*names, "organization.identifier:above", "name:exact", "_count", "_page", "_total", "_include"]
    for name in names:
        for value in HOSTILE:
            response = client.get(path, {name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
            assert response.json()["resourceType"] in ("Bundle", "OperationOutcome")
    for ident in HOSTILE:
        assert client.get(f"{path}/{ident}").status_code in (400, 404)


def test_tag_patient_type_and_closing_period(client):
    occitanie = PUBLISHED().filter(departement__in=["81", "31"])
    assert ids(client.json("/fhir/HealthcareService", {"_tag": f"{SYSTEMS['region']}|76", "_count": "1000"})) == (
        offer_ids(occitanie)
    )
    guyane = PUBLISHED().filter(departement="9C")
    assert ids(client.json("/fhir/HealthcareService", {"_tag": "03"})) == offer_ids(guyane)
    ehpad = PUBLISHED().get(nom="Hébergement permanent")
    ehpad.publics.set(["01"])
    assert ids(client.json("/fhir/HealthcareService", {"patient-type": f"{SYSTEMS['public']}|01"})) == {str(ehpad.pk)}
    closed = PUBLISHED().get(nom="Échographie cardiaque")
    Offer.objects.filter(pk=closed.pk).update(
        closed_on=datetime.date(2026, 7, 1), reopening_on=datetime.date(2026, 9, 1), closing_type_id="PRO"
    )
    always = PUBLISHED().get(nom="Accueil de jour")
    Offer.objects.filter(pk=always.pk).update(closed_on=datetime.date(2026, 8, 1), closing_type_id="DEF")

    def closing(value):
        return ids(client.json("/fhir/HealthcareService", {"notavailable-closing-reopeningdate": value}))

    assert closing("2026-07-15") == {str(closed.pk)}
    assert closing("2026-08") == {str(closed.pk), str(always.pk)}
    assert closing("ge2026-10-01") == {str(always.pk)}
    assert closing("lt2026-07-15") == {str(closed.pk)}
    assert closing("2026-06-30") == set()


def test_organization_period_end(client):
    uf = Structure.objects.get(name="HJ Cardiologie")
    Structure.objects.filter(pk=uf.pk).update(closed_on=datetime.date(2026, 3, 31))

    def search(value):
        return ids(client.json("/fhir/Organization", {"period-end": value}))

    assert search("2026-03") == {f"st-{uf.pk}"} and search("le2026-03-31") == {f"st-{uf.pk}"}
    assert search("gt2026-03-31") == set() and search("2026-04-01") == set()
