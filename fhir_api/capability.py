"""The CapabilityStatement of ``GET /fhir/metadata``: exactly what this server implements (built from the same
tables the search reads, so that it cannot promise a parameter the server refuses)."""

from django.conf import settings

from fhir_api.mapping import PROFILE_HEALTHCARESERVICE, PROFILE_ORGANIZATION
from fhir_api.search import HEALTHCARE_SERVICE_PARAMETERS, ORGANIZATION_PARAMETERS


def search_params(parameters):
    return [{"name": name, "definition": url, "type": kind} for name, (kind, url) in parameters.items()]


def capability_statement(base_url):
    healthcare_service_params = search_params(HEALTHCARE_SERVICE_PARAMETERS) + [
        {
            "name": "organization.identifier:above",
            "definition": "http://hl7.org/fhir/SearchParameter/HealthcareService-organization",
            "type": "reference",
            "documentation": "Les offres d'une structure et de tout ce qui se trouve en dessous (FINESS ET, SIRET, "
            "identifiant OI) : toutes les offres d'un établissement, quelle que soit leur unité.",
        }
    ]
    common = [
        {"name": "_count", "definition": "http://hl7.org/fhir/SearchParameter/Resource-count", "type": "number",
         "documentation": f"{settings.FHIR_PAGE_SIZE} par défaut, {settings.FHIR_MAX_PAGE_SIZE} au plus."},
    ]  # fmt: skip
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-04",
        "publisher": "Portail de l'offre ROR",
        "kind": "instance",
        "software": {"name": "Portail de l'offre ROR"},
        "implementation": {"description": "API FHIR du portail de l'offre ROR", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "instantiates": ["https://interop.esante.gouv.fr/ig/fhir/ror/CapabilityStatement/ror-serveur"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 client credentials : POST /o/token/ (grant_type=client_credentials), puis "
                    "Authorization: Bearer <jeton>. Le niveau de confidentialité du client (1, 2 ou 3) et son "
                    "territoire décident de ce qu'il reçoit.",
                },  # fmt: skip
                "resource": [
                    {
                        "type": "HealthcareService",
                        "profile": PROFILE_HEALTHCARESERVICE,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchInclude": ["HealthcareService:organization", "Organization:partof"],
                        "searchParam": healthcare_service_params + common,
                    },
                    {
                        "type": "Organization",
                        "profile": PROFILE_ORGANIZATION,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": search_params(ORGANIZATION_PARAMETERS) + common,
                    },
                ],
            }
        ],
    }
