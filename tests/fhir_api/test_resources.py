"""Every resource the API returns for the seed data parses with fhirclient's R4 (4.0.1) models and carries its
ror-* profile and the profile's required elements."""

import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.healthcareservice import HealthcareService
from fhirclient.models.organization import Organization

from fhir_api import mapping
from offers.models import Offer
from structures.models import EntiteJuridique, Structure

pytestmark = pytest.mark.django_db


def test_the_metadata_needs_no_token_and_lists_what_is_implemented(client, seed):
    response = client.get("/fhir/metadata")

    statement = CapabilityStatement(response.json())
    assert response.status_code == 200 and statement.fhirVersion == "4.0.1"
    resources = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(resources) == {"HealthcareService", "Organization"}
    names = {param.name for param in resources["HealthcareService"].searchParam}
    assert {"_id", "_lastUpdated", "identifier", "name", "service-type", "service-category", "specialty",
            "characteristic", "age-range-low", "age-range-high", "organization", "organization.identifier:above",
            "_count"} <= names  # fmt: skip


def test_every_offer_of_the_seed_parses_and_has_the_profile_s_required_elements(api):
    client = api(3)

    for offer in Offer.objects.published():
        body = client.json(f"/fhir/HealthcareService/{offer.pk}")
        resource = HealthcareService(body)  # strict: raises on any element R4 does not know
        assert body["meta"]["profile"] == [mapping.PROFILE_HEALTHCARESERVICE]
        assert resource.meta.lastUpdated and resource.providedBy.reference.startswith("Organization/st-")
        assert len(resource.identifier) == 1 and resource.identifier[0].value == offer.identifiant
        assert resource.type and resource.specialty and resource.characteristic and resource.name == offer.nom
        urls = [extension.url for extension in resource.extension]
        for required in ("ror-healthcareservice-sensitive-unit", "ror-healthcareservice-patient-type",
                         "ror-meta-creation-date"):  # fmt: skip
            assert mapping.ROR + required in urls
        patient = next(e for e in resource.extension if e.url.endswith("patient-type"))
        age = next(e for e in patient.extension if e.url == "ageRange").valueRange
        assert age.low.value is not None and age.high.value is not None


def test_every_organization_of_the_seed_parses(api):
    client = api(3)

    for node in Structure.objects.all():
        resource = Organization(client.json(f"/fhir/Organization/st-{node.pk}"))
        assert resource.meta.profile == [mapping.PROFILE_ORGANIZATION] and resource.name == node.name
        parent = f"ej-{node.entite_juridique_id}" if node.is_etablissement else f"st-{node.parent_id}"
        assert resource.partOf.reference == f"Organization/{parent}"
    for ej in EntiteJuridique.objects.all():
        resource = Organization(client.json(f"/fhir/Organization/ej-{ej.pk}"))
        assert resource.identifier[0].value == ej.finess_ej and resource.partOf is None
        assert resource.identifier[0].system == "http://finess.esante.gouv.fr"


def test_a_search_is_a_searchset_bundle(api):
    body = api(3).json("/fhir/HealthcareService", {"_include": "HealthcareService:organization",
                                                    "_include:iterate": "Organization:partof"})  # fmt: skip

    bundle = Bundle(body)
    assert bundle.type == "searchset" and bundle.total == Offer.objects.published().count()
    modes = {entry.search.mode for entry in bundle.entry}
    assert modes == {"match", "include"}
    for entry in bundle.entry:
        assert entry.resource.resource_type in ("HealthcareService", "Organization")
