"""The required elements of the ROR profiles, read from their FSH (fhir_api/fsh/), on every resource the API
returns for the seed data: each element or extension of cardinality 1..1 or 1..* is there wherever its parent
is."""

import re
from pathlib import Path

import pytest

from fhir_api import mapping
from offers.models import Offer
from structures.models import EntiteJuridique, Structure

pytestmark = pytest.mark.django_db

FSH = Path(__file__).resolve().parents[2] / "fhir_api" / "fsh"
ELEMENT = re.compile(r"^\* ([A-Za-z][\w.\[\]-]*) 1\.\.[1*](?=\s|$)")
CONTAINS = re.compile(r"^\* ((?:[\w.\[\]-]+\.)?)extension contains")
NAMED = re.compile(r"named ([\w-]+) 1\.\.[1*]")


def required(profile):
    """(element paths, {context path: [required extension names]}) of a profile's FSH; slice names dropped."""
    elements, extensions, context = [], {}, None
    for line in (FSH / profile).read_text(encoding="utf-8").splitlines():
        if line.startswith("* "):
            context = None
            match = CONTAINS.match(line)
            if match:
                context = re.sub(r"\[[^\]]*\]", "", match.group(1)).rstrip(".")
            match = ELEMENT.match(line)
            if match and "extension[" not in match.group(1):
                elements.append(re.sub(r"\[[^\]]*\]", "", match.group(1)))
        if context is not None:
            for name in NAMED.findall(line):
                extensions.setdefault(context, []).append(name)
    return elements, extensions


def nodes(resource, path):
    """Every value at ``path`` (dotted) below ``resource``, lists flattened."""
    found = [resource]
    for step in [step for step in path.split(".") if step]:
        found = [item for node in found for item in as_list(node.get(step) if isinstance(node, dict) else None)]
    return found


def as_list(value):
    return value if isinstance(value, list) else [] if value is None else [value]


def check(resource, profile):
    elements, extensions = required(profile)
    problems = []
    for path in elements:
        parent, _, leaf = path.rpartition(".")
        for node in nodes(resource, parent):
            if not as_list(node.get(leaf)):
                problems.append(f"{resource['id']}: {path} manquant")
    for context, names in extensions.items():
        for node in nodes(resource, context):
            urls = {extension["url"] for extension in node.get("extension", [])}
            problems += [f"{resource['id']}: extension {name} manquante ({context or 'racine'})"
                         for name in names if mapping.ROR + name not in urls]  # fmt: skip
    return problems


def test_the_rules_are_read_from_the_fsh():
    elements, extensions = required("RORHealthcareService.profile.fsh")

    assert {"meta.lastUpdated", "identifier", "providedBy", "type", "characteristic", "specialty"} <= set(elements)
    assert set(extensions[""]) == {
        "ror-healthcareservice-sensitive-unit", "ror-healthcareservice-patient-type", "ror-meta-creation-date"
    }  # fmt: skip


def test_every_healthcare_service_has_its_profile_s_required_elements(api):
    client = api(3)
    problems = []

    for offer in Offer.objects.published():
        problems += check(client.json(f"/fhir/HealthcareService/{offer.pk}"), "RORHealthcareService.profile.fsh")

    assert problems == []


def test_every_organization_has_its_profile_s_required_elements(api):
    client = api(3)
    problems = []

    for ident in [f"st-{pk}" for pk in Structure.objects.values_list("pk", flat=True)] + [
        f"ej-{pk}" for pk in EntiteJuridique.objects.values_list("pk", flat=True)
    ]:
        problems += check(client.json(f"/fhir/Organization/{ident}"), "ROROrganization.profile.fsh")

    assert problems == []


def test_a_missing_element_is_reported():
    resource = {"resourceType": "HealthcareService", "id": "1", "meta": {}, "extension": []}

    problems = check(resource, "RORHealthcareService.profile.fsh")

    assert "1: meta.lastUpdated manquant" in problems and "1: providedBy manquant" in problems
    assert "1: extension ror-meta-creation-date manquante (racine)" in problems
