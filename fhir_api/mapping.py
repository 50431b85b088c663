"""Our rows as FHIR R4 resources of the ROR implementation guide (``ans.fhir.fr.ror``; IG-NOTES.md says where each
element comes from). Mapping only: what a client may see was decided by the querysets that fetched the rows.
"""

from django.utils import timezone

from nomenclatures import cache
from nomenclatures.models import (
    ActiviteOperationnelle,
    CategorieEtablissement,
    ChampActivite,
    FonctionContact,
    ModePriseEnCharge,
    NatureContact,
    NiveauConfidentialite,
    PublicPrisEnCharge,
    TemporaliteAccueil,
    TypeFermeture,
    TypeOffre,
)
from structures import departements
from structures.models import Structure

ROR = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
NOS = "https://mos.esante.gouv.fr/NOS/"
PROFILE_HEALTHCARESERVICE = ROR + "ror-healthcareservice"
PROFILE_ORGANIZATION = ROR + "ror-organization"


def nos(tre):
    """The FHIR code system of a NOS table: "TRE_R227-ChampActivite" → …/TRE_R227-ChampActivite/FHIR/TRE-R227-…"""
    return f"{NOS}{tre}/FHIR/{tre.replace('_', '-', 1)}"


SYSTEMS = {
    "champ": nos("TRE_R227-ChampActivite"),
    "type_offre": nos("TRE_R244-CategorieOrganisation"),
    "activite": nos("TRE_R211-ActiviteOperationnelle"),
    "mode": nos("TRE_R213-ModePriseEnCharge"),
    "temporalite": nos("TRE_R240-TemporaliteAccueil"),
    "fermeture": nos("TRE_R286-TypeFermeture"),
    "public": nos("TRE_R239-PublicPrisEnCharge"),
    "confidentialite": nos("TRE_R283-NiveauConfidentialite"),
    "fonction": nos("TRE_R251-FonctionContact"),
    "nature": nos("TRE_R287-NatureContact"),
    "canal": nos("TRE_R200-CanalCommunication"),
    "categorie": nos("TRE_R66-CategorieEtablissement"),
    "type_oi": nos("TRE_R207-TypeOrganisationInterne"),
    "type_structure": nos("TRE_R67-TypeStructure-EJ-EG"),
    "region": nos("TRE_R30-RegionOM"),
    "type_identifiant_offre": nos("TRE_R355-TypeIdentifiantOffre"),
    "type_identifiant_structure": nos("TRE_G07-TypeIdentifiantStructure"),
    "type_identifiant_autre": nos("TRE_R345-TypeIdentifiantAutre"),
    "ucum": nos("TRE_R247-UcumUniteMesure"),
}
# As the issue and FR Core write them (the IG's examples also show the https form; searches accept both).
FINESS = "http://finess.esante.gouv.fr"
ID_NAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"
SIRENE = "http://sirene.fr"
OI = "https://oi.esante.gouv.fr"
MODELE_SAISIE = "https://interop.esante.gouv.fr/internal/ror-meta-nom-questionnaire"
PERIOD = "http://hl7.org/fhir/StructureDefinition/organization-period"
# TRE_R200 channels of our télécoms (FHIR ContactPoint.system values).
CANAUX = {"phone": "2", "email": "3", "mssante": "3", "url": "4", "fax": "6", "sms": "1", "pager": "8", "other": "2"}
AGE_MAX = 150  # ageRange.high is 1..1: an offer without an upper age limit states the model's highest


def instant(value):
    return timezone.localtime(value).isoformat(timespec="milliseconds")


def coding(system, code, display=None):
    item = {"system": SYSTEMS[system], "code": code}
    if display:
        item["display"] = display
    return item


def concept(system, model, code):
    row = cache.get(model, code) if model is not None else None
    return {"coding": [coding(system, code, row.label if row else None)]}


def reference(kind, pk):
    return {"reference": f"Organization/{kind}-{pk}"}


# --- HealthcareService ------------------------------------------------------------------------------------------


def healthcare_service(offer, contacts, activites, publics):
    """``offer`` (published, with its structure) as a ror-healthcareservice; ``contacts`` are those the client
    may see, each with ``shown_telecoms``; ``activites`` and ``publics`` its codes."""
    extensions = [
        {"url": ROR + "ror-healthcareservice-sensitive-unit", "valueBoolean": offer.unite_sensible},
        {"url": ROR + "ror-healthcareservice-patient-type", "extension": patient_type(offer, publics)},
        {"url": ROR + "ror-meta-creation-date", "valueDateTime": instant(offer.created_at)},
        *(contact_extension(contact) for contact in contacts),
    ]
    characteristics = [concept("mode", ModePriseEnCharge, offer.mode_prise_en_charge_id)]
    if offer.temporalite_accueil_id:
        characteristics.append(concept("temporalite", TemporaliteAccueil, offer.temporalite_accueil_id))
    if offer.closing_type_id:
        characteristics.append(concept("fermeture", TypeFermeture, offer.closing_type_id))
    resource = {
        "resourceType": "HealthcareService",
        "id": str(offer.pk),
        "meta": {
            "profile": [PROFILE_HEALTHCARESERVICE],
            "lastUpdated": instant(offer.updated_at),
            "tag": [{"system": SYSTEMS["region"], "code": offer.identifiant.split("/", 1)[0]}],
            "extension": [{"url": MODELE_SAISIE, "valueString": offer.modele_saisie}],
        },
        "extension": extensions,
        "identifier": [
            {
                "type": {"coding": [coding("type_identifiant_offre", "35", "Identifiant fonctionnel de l'offre")]},
                "value": offer.identifiant,
            }
        ],
        "active": not offer.is_closed,
        "providedBy": reference("st", offer.structure_id),
        "type": [concept("champ", ChampActivite, offer.champ_activite_id)],
        "specialty": [concept("activite", ActiviteOperationnelle, code) for code in activites],
        "name": offer.nom,
        "characteristic": characteristics,
    }
    if offer.type_offre_id:
        resource["category"] = [concept("type_offre", TypeOffre, offer.type_offre_id)]
    if offer.closed_on:
        during = {"start": offer.closed_on.isoformat()}
        if offer.reopening_on:
            during["end"] = offer.reopening_on.isoformat()
        resource["notAvailable"] = [
            {
                "id": "closingReopeningDate",
                "description": "Période de fermeture et de réouverture prévisionnelle",
                "during": during,
            }
        ]
    return resource


def patient_type(offer, publics):
    low = offer.age_min if offer.age_min is not None else 0
    high = offer.age_max if offer.age_max is not None else AGE_MAX
    unit = {"system": SYSTEMS["ucum"], "code": "a", "unit": "an"}
    return [
        *({"url": "supportedPatientInfo", "valueCodeableConcept": concept("public", PublicPrisEnCharge, code)}
          for code in publics),
        {"url": "ageRange", "valueRange": {"low": {"value": low, **unit}, "high": {"value": high, **unit}}},
    ]  # fmt: skip


def contact_extension(contact):
    parts = [{"url": "name", "valueHumanName": {"text": contact.nom}}]
    if contact.fonction_id:
        parts.append(
            {
                "url": ROR + "ror-contact-function-contact",
                "valueCodeableConcept": concept("fonction", FonctionContact, contact.fonction_id),
            }
        )
    if contact.nature_id:
        parts.append(
            {"url": "purposeContact", "valueCodeableConcept": concept("nature", NatureContact, contact.nature_id)}
        )
    if contact.description:
        parts.append({"url": "description", "valueString": contact.description})
    parts.append(confidentiality(ROR + "ror-confidentiality-level", contact.confidentialite_id))
    for telecom in contact.shown_telecoms:
        parts.append(
            {
                "url": ROR + "ror-healthcareservice-contact-telecom",
                "extension": [
                    {
                        "url": ROR + "ror-telecom-communication-channel",
                        "valueCodeableConcept": {"coding": [coding("canal", CANAUX[telecom.canal])]},
                    },
                    {"url": "telecomAddress", "valueString": telecom.valeur},
                    confidentiality(ROR + "ror-telecom-confidentiality-level", telecom.confidentialite_id),
                ],
            }
        )
    return {"url": ROR + "ror-healthcareservice-contact", "extension": parts}


def confidentiality(url, code):
    return {"url": url, "valueCodeableConcept": concept("confidentialite", NiveauConfidentialite, code)}


# --- Organization -----------------------------------------------------------------------------------------------


def organization(node):
    """A structure (EG or internal) as a ror-organization; ``partOf`` its parent, or the EG's EJ."""
    extensions = [{"url": ROR + "ror-meta-creation-date", "valueDateTime": instant(node.created_at)}]
    if node.opened_on or node.closed_on:
        period = {}
        if node.opened_on:
            period["start"] = node.opened_on.isoformat()
        if node.closed_on:
            period["end"] = node.closed_on.isoformat()
        extensions.append({"url": PERIOD, "valuePeriod": period})
    resource = {
        "resourceType": "Organization",
        "id": f"st-{node.pk}",
        "meta": {"profile": [PROFILE_ORGANIZATION], "lastUpdated": instant(node.updated_at)},
        "extension": extensions,
        "identifier": [],
        "active": not node.is_closed,
        "name": node.name,
    }
    if node.kind == Structure.Kind.ETABLISSEMENT:
        resource["identifier"] = [
            identifier("1", "FINESS", FINESS, node.finess_et),
            identifier("40", "Identifiant national de structure", ID_NAT_STRUCT, f"1{node.finess_et}"),
        ]
        if node.siret:
            resource["identifier"].append(identifier("3", "SIRET", SIRENE, node.siret))
        resource["type"] = [
            {"coding": [coding("type_structure", "EG", "Etablissement géographique")]},
            concept("categorie", CategorieEtablissement, node.categorie_id),
        ]
        resource["partOf"] = reference("ej", node.entite_juridique_id)
        address = address_of(node)
        if address:
            resource["address"] = [address]
    else:
        if node.identifiant_oi:
            resource["identifier"].append(
                {
                    "type": {"coding": [coding("type_identifiant_autre", "42", "Identifiant OI")]},
                    "system": OI,
                    "value": node.identifiant_oi,
                }
            )
        resource["type"] = [{"coding": [coding("type_oi", node.kind, node.get_kind_display())]}]
        resource["partOf"] = reference("st", node.parent_id)
    if not resource["identifier"]:
        del resource["identifier"]
    return resource


def entite_juridique(ej):
    resource = {
        "resourceType": "Organization",
        "id": f"ej-{ej.pk}",
        "meta": {"profile": [PROFILE_ORGANIZATION], "lastUpdated": instant(ej.updated_at)},
        "extension": [{"url": ROR + "ror-meta-creation-date", "valueDateTime": instant(ej.created_at)}],
        "identifier": [identifier("1", "FINESS", FINESS, ej.finess_ej)],
        "type": [{"coding": [coding("type_structure", "EJ", "Entité juridique")]}],
        "active": True,
        "name": ej.raison_sociale or f"Entité juridique {ej.finess_ej}",
    }
    if ej.siren:
        resource["identifier"] += [
            identifier("2", "SIREN", SIRENE, ej.siren),
            identifier("40", "Identifiant national de structure", ID_NAT_STRUCT, f"2{ej.siren}"),
        ]
    return resource


def identifier(code, display, system, value):
    return {"type": {"coding": [coding("type_identifiant_structure", code, display)]}, "system": system, "value": value}


def address_of(node):
    street = " ".join(part for part in (node.numero_voie, node.complement_voie, node.type_voie, node.voie) if part)
    lines = [line for line in (node.complement_distribution, street, node.lieu_dit_bp) if line]
    address = {}
    if lines:
        address["line"] = lines
    if node.code_postal:
        address["postalCode"] = node.code_postal
    if node.ville:
        address["city"] = node.ville
    if node.departement:
        address["district"] = departements.name(node.departement)
    if address:
        address["country"] = "FRA"
    return address
