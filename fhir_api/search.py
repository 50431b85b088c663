"""FHIR search parameters read into conditions on our querysets (the scoped ones of the offers and structures apps).

Each parameter of a request narrows the result (AND); a comma inside a value means OR. A parameter this server does
not support, or a value it cannot read, is a ``SearchError`` (400 with an OperationOutcome) — never ignored, since a
client would then receive more than it asked for.
"""

import datetime
import re

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fhir_api.mapping import FINESS, ID_NAT_STRUCT, OI, SIRENE, SYSTEMS
from fhir_api.text import contains_folded
from offers.models import Offer
from ror_portal.converters import parse_id
from structures import departements
from structures.models import Structure


class SearchError(Exception):
    """A search the server cannot run as asked; ``str(error)`` is the French diagnostic."""


DATE_RE = re.compile(
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]{1,6})?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
MAX_VALUES = 100  # values of one parameter (a comma-separated list)


def values_of(raw, name):
    values = [value.strip() for value in raw.split(",")]
    if not raw or any(not value for value in values):
        raise SearchError(f"Le paramètre « {name} » attend une valeur.")
    if len(values) > MAX_VALUES:
        raise SearchError(f"Le paramètre « {name} » accepte au plus {MAX_VALUES} valeurs.")
    return values


def prefixed(value):
    """(prefix, rest) of a date or quantity value: "ge2026-01-01" → ("ge", "2026-01-01")."""
    if value[:2] in PREFIXES and not value[:2].isdigit():
        return value[:2], value[2:]
    return "eq", value


def parse_instant_range(value, name):
    """[start, end) of a FHIR date/dateTime at its precision (a year, a month, a day, a minute, a second)."""
    match = DATE_RE.fullmatch(value)
    if not match:
        raise SearchError(
            f"« {value} » n'est pas une date FHIR pour « {name} » (AAAA, AAAA-MM, AAAA-MM-JJ ou "
            "AAAA-MM-JJThh:mm[:ss] suivi de Z ou ±hh:mm)."
        )
    parts = {key: int(part) for key, part in match.groupdict().items() if part and key != "tz"}
    try:
        start = datetime.datetime(
            parts["year"], parts.get("month", 1), parts.get("day", 1), parts.get("hour", 0),
            parts.get("minute", 0), parts.get("second", 0),
        )  # fmt: skip
    except ValueError:
        raise SearchError(f"« {value} » n'est pas une date qui existe ({name}).") from None
    zone = match.group("tz")
    if zone == "Z":
        start = start.replace(tzinfo=datetime.UTC)
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:]))
        if offset >= datetime.timedelta(hours=24):
            raise SearchError(f"« {value} » n'a pas un décalage horaire valide ({name}).")
        start = start.replace(tzinfo=datetime.timezone(sign * offset))
    else:
        start = timezone.make_aware(start)
    if "second" in parts:
        end = start + datetime.timedelta(seconds=1)
    elif "minute" in parts:
        end = start + datetime.timedelta(minutes=1)
    elif "day" in parts:
        end = start + datetime.timedelta(days=1)
    elif "month" in parts:
        end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    else:
        end = start.replace(year=start.year + 1) if start.year < 9999 else start + datetime.timedelta(days=365)
    return start, end


def days(start, end):
    """The days [first, after) that an instant range [start, end) touches."""
    after = end.date() if end.time() == datetime.time(0) else end.date() + datetime.timedelta(days=1)
    return start.date(), after


def date_condition(field, raw, name, dates=False):
    """``dates``: ``field`` is a DateField (a day), compared with the days of the value's range."""
    condition = Q()
    for value in values_of(raw, name):
        prefix, rest = prefixed(value)
        start, end = parse_instant_range(rest, name)
        if dates:
            start, end = (
                start.date(),
                end.date() if end.time() == datetime.time(0) else end.date() + datetime.timedelta(days=1),
            )
        condition |= {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}),
            "ge": Q(**{f"{field}__gte": start}),
            "lt": Q(**{f"{field}__lt": start}),
            "le": Q(**{f"{field}__lt": end}),
        }[prefix]
    return condition


def token_condition(raw, name, systems):
    """``systems``: {FHIR system: field}. A value is "code", "system|code" or "|code" (no system)."""
    condition = Q()
    for value in values_of(raw, name):
        system, _, code = value.rpartition("|") if "|" in value else (None, None, value)
        if not code:
            raise SearchError(f"Le paramètre « {name} » attend un code.")
        fields = list(systems.values()) if system is None else [systems[system]] if system in systems else []
        for field in fields:
            condition |= Q(**{field: code})
        if not fields:
            condition |= Q(pk__in=[])  # a system this resource does not use: nothing matches
    return condition


def quantity_condition(field, raw, name, null_as):
    """age-range-low / age-range-high: "[prefix]<number>[|system|code]" in years; an offer without the bound
    (NULL) counts as ``null_as`` (0 years for the low bound, 150 for the high one)."""
    compare = {"eq": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
    test = {
        "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    }  # fmt: skip
    condition = Q()
    for value in values_of(raw, name):
        prefix, rest = prefixed(value)
        number, _, unit = rest.partition("|")
        if unit and unit.rpartition("|")[2] not in ("a", "an", "ans"):
            raise SearchError(f"« {name} » s'exprime en années (unité « a »).")
        if not re.fullmatch(r"[0-9]{1,3}", number):
            raise SearchError(f"« {value} » n'est pas un âge en années pour « {name} ».")
        age = int(number)
        if prefix == "ne":
            stated = Q(**{f"{field}__isnull": False}) & ~Q(**{field: age})
        else:
            stated = Q(**{f"{field}__{compare[prefix]}": age})
        condition |= stated | Q(**{f"{field}__isnull": True}) if test[prefix](null_as, age) else stated
    return condition


def token_values(raw, name, system):
    """The codes of a token parameter whose values are "code" or "<system>|code" (another system: no code)."""
    codes = []
    for value in values_of(raw, name):
        given, _, code = value.rpartition("|") if "|" in value else (None, None, value)
        if given in (None, system) and code:
            codes.append(code)
    return codes


def closing_period_condition(raw, name):
    """notavailable-closing-reopeningdate: the closing period [closed_on, reopening_on) (open when no reopening
    date) compared with each value's days."""
    condition = Q()
    for value in values_of(raw, name):
        prefix, rest = prefixed(value)
        start, end = parse_instant_range(rest, name)
        first, after = (
            start.date(),
            end.date() if end.time() == datetime.time(0) else end.date() + datetime.timedelta(days=1),
        )
        still_closed = Q(reopening_on__isnull=True) | Q(reopening_on__gt=first)
        overlaps = Q(closed_on__lt=after) & still_closed
        condition |= {
            "eq": overlaps,
            "ne": Q(closed_on__isnull=False) & ~overlaps,
            "gt": Q(closed_on__isnull=False) & (Q(reopening_on__isnull=True) | Q(reopening_on__gt=after)),
            "ge": Q(closed_on__isnull=False) & still_closed,
            "lt": Q(closed_on__lt=first),
            "le": Q(closed_on__lt=after),
        }[prefix]
    return condition


def organization_reference(value, name):
    """The structure id of "Organization/st-5", "st-5" or a full URL ending so; None for an EJ ("ej-3")."""
    ref = value.rsplit("/", 1)[-1] if "/" in value else value
    kind, _, number = ref.partition("-")
    pk = parse_id(number)
    if kind not in ("st", "ej") or pk is None:
        raise SearchError(f"« {value} » n'est pas une référence d'Organization de ce serveur (Organization/st-<n>).")
    return kind, pk


def identifier_condition(raw, name, prefix=""):
    """identifier of an Organization: FINESS, idNatStruct ("1"+FINESS), SIRET, identifiant OI; with or without
    their system."""
    condition = Q()
    for value in values_of(raw, name):
        system, _, code = value.rpartition("|") if "|" in value else (None, None, value)
        options = []
        if system in (None, FINESS, "https://finess.esante.gouv.fr"):
            options.append(Q(**{f"{prefix}finess_et": code}))
        if system in (None, ID_NAT_STRUCT) and code[:1] == "1":
            options.append(Q(**{f"{prefix}finess_et": code[1:]}))
        if system in (None, SIRENE, "https://sirene.fr"):
            options.append(Q(**{f"{prefix}siret": code}))
        if system in (None, OI):
            options.append(Q(**{f"{prefix}identifiant_oi": code}))
        for option in options:
            condition |= option
        if not options:
            condition |= Q(pk__in=[])
    return condition


# --- HealthcareService ------------------------------------------------------------------------------------------


def healthcare_service_filters(queryset, params):
    """``queryset`` (Offer.objects.for_client(…)) narrowed by the search parameters ``params`` ([(name, value)])."""
    for name, raw in params:
        if name == "_id":
            ids = [parse_id(value) for value in values_of(raw, name)]
            queryset = queryset.filter(pk__in=[pk for pk in ids if pk is not None])
        elif name == "_lastUpdated":
            queryset = queryset.filter(date_condition("updated_at", raw, name))
        elif name == "identifier":
            codes = [value.rpartition("|")[2] for value in values_of(raw, name)]
            queryset = queryset.filter(identifiant__in=codes)
        elif name in ("name", "name:contains"):
            condition = Q()
            for value in values_of(raw, name):
                condition |= contains_folded("nom", value, table="offers_offer")
            queryset = queryset.filter(condition)
        elif name == "name:exact":
            queryset = queryset.filter(nom__in=values_of(raw, name))
        elif name == "service-type":
            queryset = queryset.filter(token_condition(raw, name, {SYSTEMS["champ"]: "champ_activite_id"}))
        elif name == "service-category":
            queryset = queryset.filter(token_condition(raw, name, {SYSTEMS["type_offre"]: "type_offre_id"}))
        elif name == "specialty":
            through = Offer.activites.through.objects.filter(offer=OuterRef("pk"))
            condition = token_condition(raw, name, {SYSTEMS["activite"]: "activiteoperationnelle_id"})
            queryset = queryset.filter(Exists(through.filter(condition)))
        elif name == "characteristic":
            systems = {SYSTEMS["mode"]: "mode_prise_en_charge_id", SYSTEMS["temporalite"]: "temporalite_accueil_id",
                       SYSTEMS["fermeture"]: "closing_type_id"}  # fmt: skip
            queryset = queryset.filter(token_condition(raw, name, systems))
        elif name == "_tag":
            regions = token_values(raw, name, SYSTEMS["region"])
            codes = sorted(code for code, (_, region) in departements.DEPARTEMENTS.items() if region in regions)
            queryset = queryset.filter(departement__in=codes)
        elif name == "patient-type":
            through = Offer.publics.through.objects.filter(offer=OuterRef("pk"))
            condition = token_condition(raw, name, {SYSTEMS["public"]: "publicprisencharge_id"})
            queryset = queryset.filter(Exists(through.filter(condition)))
        elif name == "notavailable-closing-reopeningdate":
            queryset = queryset.filter(closing_period_condition(raw, name))
        elif name == "age-range-low":
            queryset = queryset.filter(quantity_condition("age_min", raw, name, null_as=0))
        elif name == "age-range-high":
            queryset = queryset.filter(quantity_condition("age_max", raw, name, null_as=150))
        elif name == "organization":
            structures = []
            for value in values_of(raw, name):
                kind, pk = organization_reference(value, name)
                structures.append(pk if kind == "st" else None)
            queryset = queryset.filter(structure_id__in=[pk for pk in structures if pk is not None])
        elif name in ("organization.identifier:above", "organization:above.identifier"):
            # Every offer whose structure is the identified one or lies below it: the offers of an EG, whatever
            # their unit (the IG's "organization.identifier:above=<FINESS ET>").
            # The identified structures are read first (a few rows): each becomes a range of its tree.
            subtrees = Q(pk__in=[])
            for tree_id, lft, rght in Structure.objects.filter(identifier_condition(raw, name)).values_list(
                "tree_id", "lft", "rght"
            )[:MAX_VALUES]:
                subtrees |= Q(structure__tree_id=tree_id, structure__lft__gte=lft, structure__rght__lte=rght)
            queryset = queryset.filter(subtrees)
        else:
            raise SearchError(f"Le paramètre de recherche « {name} » n'est pas pris en charge par ce serveur.")
    return queryset


HEALTHCARE_SERVICE_PARAMETERS = {
    "_id": ("token", "http://hl7.org/fhir/SearchParameter/Resource-id"),
    "_lastUpdated": ("date", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"),
    "identifier": ("token", "http://hl7.org/fhir/SearchParameter/HealthcareService-identifier"),
    "name": ("string", "http://hl7.org/fhir/SearchParameter/HealthcareService-name"),
    "service-type": ("token", "http://hl7.org/fhir/SearchParameter/HealthcareService-service-type"),
    "service-category": ("token", "http://hl7.org/fhir/SearchParameter/HealthcareService-service-category"),
    "specialty": ("token", "http://hl7.org/fhir/SearchParameter/HealthcareService-specialty"),
    "characteristic": ("token", "http://hl7.org/fhir/SearchParameter/HealthcareService-characteristic"),
    "age-range-low": (
        "quantity", "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/ror-sp-healthcareservice-age-range-low"
    ),
    "age-range-high": (
        "quantity", "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/ror-sp-healthcareservice-age-range-high"
    ),
    "organization": ("reference", "http://hl7.org/fhir/SearchParameter/HealthcareService-organization"),
    "_tag": ("token", "http://hl7.org/fhir/SearchParameter/Resource-tag"),
    "patient-type": (
        "token", "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/ror-sp-healthcareservice-patient-type"
    ),
    "notavailable-closing-reopeningdate": (
        "date",
        "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/"
        "ror-sp-healthcareservice-notavailable-closing-reopeningdate",
    ),
}  # fmt: skip


# --- Organization -----------------------------------------------------------------------------------------------


def organization_filters(structures, entites, params):
    for name, raw in params:
        if name == "_id":
            refs = [organization_reference(value, name) for value in values_of(raw, name)]
            structures = structures.filter(pk__in=[pk for kind, pk in refs if kind == "st"])
            entites = entites.filter(pk__in=[pk for kind, pk in refs if kind == "ej"])
        elif name == "_lastUpdated":
            condition = date_condition("updated_at", raw, name)
            structures, entites = structures.filter(condition), entites.filter(condition)
        elif name == "identifier":
            structures = structures.filter(identifier_condition(raw, name))
            codes = [value.rpartition("|")[2] for value in values_of(raw, name)]
            entites = entites.filter(Q(finess_ej__in=codes) | Q(siren__in=codes))
        elif name in ("name", "name:contains"):
            structure_names, entite_names = Q(), Q()
            for value in values_of(raw, name):
                structure_names |= contains_folded("name", value)
                entite_names |= contains_folded("raison_sociale", value)
            structures, entites = structures.filter(structure_names), entites.filter(entite_names)
        elif name == "type":
            systems = {SYSTEMS["categorie"]: "categorie_id", SYSTEMS["type_oi"]: "kind"}
            kinds = []
            for value in values_of(raw, name):
                system, _, code = value.rpartition("|") if "|" in value else (None, None, value)
                if system in (None, SYSTEMS["type_structure"]) and code in ("EJ", "EG"):
                    kinds.append(code)
            condition = token_condition(raw, name, systems)
            if "EG" in kinds:
                condition |= Q(kind=Structure.Kind.ETABLISSEMENT)
            structures = structures.filter(condition)
            entites = entites if "EJ" in kinds else entites.none()
        elif name == "partof":
            parents, owners = [], []
            for value in values_of(raw, name):
                kind, pk = organization_reference(value, name)
                (parents if kind == "st" else owners).append(pk)
            structures = structures.filter(Q(parent_id__in=parents) | Q(level=0, entite_juridique_id__in=owners))
            entites = entites.none()
        elif name == "period-end":
            structures, entites = structures.filter(date_condition("closed_on", raw, name, dates=True)), entites.none()
        elif name == "address-postalcode":
            condition = Q()
            for value in values_of(raw, name):
                condition |= Q(code_postal__startswith=value)
            structures, entites = structures.filter(condition), entites.none()
        else:
            raise SearchError(f"Le paramètre de recherche « {name} » n'est pas pris en charge par ce serveur.")
    return structures, entites


ORGANIZATION_PARAMETERS = {
    "_id": ("token", "http://hl7.org/fhir/SearchParameter/Resource-id"),
    "_lastUpdated": ("date", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"),
    "identifier": ("token", "http://hl7.org/fhir/SearchParameter/Organization-identifier"),
    "name": ("string", "http://hl7.org/fhir/SearchParameter/Organization-name"),
    "type": ("token", "http://hl7.org/fhir/SearchParameter/Organization-type"),
    "partof": ("reference", "http://hl7.org/fhir/SearchParameter/Organization-partof"),
    "address-postalcode": ("string", "http://hl7.org/fhir/SearchParameter/Organization-address-postalcode"),
    "period-end": ("date", "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/ror-sp-organization-period-end"),
}
