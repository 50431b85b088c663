"""The FHIR R4 API: ``/fhir/metadata`` (open), read and search of HealthcareService and Organization for client
systems holding a bearer token (OAuth2 client credentials, django-oauth-toolkit).

What a client sees is decided by the scoped querysets (``Offer.objects.for_client``, ``Contact.objects.for_client``,
``Structure.objects.for_client``…); this module reads the request, calls them, maps the rows (``mapping``) and
writes the journal. Paging is by keyset on the rows' ids: the cursor is signed, page 500 costs what page 1
does, and a client synchronising on ``_lastUpdated`` misses no row that changed meanwhile (``keyset_page``).
"""

import functools
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import get_usage
from oauth2_provider.oauth2_backends import get_oauthlib_core

from fhir_api import mapping
from fhir_api.capability import capability_statement
from fhir_api.models import ApiCall, ApiClient
from fhir_api.search import SearchError, healthcare_service_filters, organization_filters, values_of
from nomenclatures import cache
from offers.models import Contact, Offer, Telecom
from ror_portal.converters import parse_id
from structures.models import EntiteJuridique, Structure

FHIR_JSON = "application/fhir+json; charset=utf-8"
FORMATS = {"json", "application/json", "application/fhir+json", "fhir+json"}
CONTROL = {"_count", "_include", "_include:iterate", "_format", "_page", "_total"}
INCLUDES = {"HealthcareService:organization"}
ITERATES = {"Organization:partof"}
CURSOR_SALT = "fhir_api.page"


class FhirError(Exception):
    """An answer other than 200: its HTTP status, the OperationOutcome's issue code and a French diagnostic."""

    def __init__(self, status, code, diagnostics, headers=None):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.headers = status, code, diagnostics, headers or {}

    def response(self):
        severity = "error" if self.status < 500 else "fatal"
        body = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": self.code, "diagnostics": self.diagnostics}],
        }
        response = fhir_response(body, self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def fhir_response(resource, status=200):
    return HttpResponse(json.dumps(resource, ensure_ascii=False), status=status, content_type=FHIR_JSON)


def check_format(request):
    requested = request.GET.get("_format")
    if requested is not None and requested not in FORMATS:
        raise FhirError(406, "not-supported", f"Format « {requested} » non pris en charge : ce serveur répond en JSON.")


def authenticate(request):
    """The ApiClient of the request's bearer token; FhirError 401 without a valid one, 403 for a token of another
    OAuth2 application than an API client's."""
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=["fhir"])
    if valid:
        client = ApiClient.objects.filter(application=oauth_request.access_token.application).first()
        if client is None:
            raise FhirError(403, "forbidden", "Cette application OAuth2 n'est pas un client de l'API FHIR du ROR.")
        return client
    raise FhirError(
        401,
        "login",
        "Jeton d'accès absent, expiré ou invalide : obtenez-en un par POST /o/token/ (client credentials).",
        {"WWW-Authenticate": 'Bearer realm="ror-fhir"'},
    )


def throttle(request, client):
    usage = get_usage(
        request, group="fhir", key=lambda group, request: str(client.pk), rate=settings.FHIR_RATE_LIMIT, increment=True
    )
    if usage and usage["should_limit"]:
        raise FhirError(
            429,
            "throttled",
            f"Trop de requêtes : limite de {settings.FHIR_RATE_LIMIT} dépassée, réessayez dans {usage['time_left']} s.",
            {"Retry-After": str(max(1, usage["time_left"]))},
        )


def endpoint(view):
    """Open to no session: a bearer token (or nothing, for the metadata), GET only, always an answer in FHIR JSON,
    and one row of the journal per call."""

    @csrf_exempt
    @login_not_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        started = time.monotonic()
        client, count = None, 0
        try:
            if request.method not in ("GET", "HEAD"):
                raise FhirError(405, "not-supported", "Ce serveur propose la lecture et la recherche (GET) seulement.")
            check_format(request)
            client = authenticate(request)
            throttle(request, client)
            resource, count = view(request, client, *args, **kwargs)
            response = fhir_response(resource)
        except FhirError as error:
            response = error.response()
        except SearchError as error:
            response = FhirError(400, "invalid", str(error)).response()
        ApiCall.objects.create(
            client=client,
            method=request.method[:10],
            path=request.path[:255],
            query=request.META.get("QUERY_STRING", "")[:2000],
            status=response.status_code,
            count=count,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        return response

    return wrapper


@csrf_exempt
@login_not_required
def metadata(request):
    """The CapabilityStatement: what this server implements, exactly (no authentication)."""
    try:
        check_format(request)
    except FhirError as error:
        return error.response()
    return fhir_response(capability_statement(request.build_absolute_uri("/fhir")))


def not_found(kind, ident):
    return FhirError(404, "not-found", f"{kind}/{ident} n'existe pas, ou ce client n'y a pas accès.")


# --- HealthcareService ------------------------------------------------------------------------------------------


def offers_for(client):
    return (
        Offer.objects.for_client(client.niveau, client.departements)
        .only(*OFFER_FIELDS)
        .prefetch_related(contacts_prefetch(client.niveau))
    )


OFFER_FIELDS = (
    "pk", "nom", "identifiant", "structure_id", "champ_activite_id", "type_offre_id", "mode_prise_en_charge_id",
    "temporalite_accueil_id", "age_min", "age_max", "unite_sensible", "closed_on", "closing_type_id", "reopening_on",
    "modele_saisie", "created_at", "updated_at",
)  # fmt: skip


def contacts_prefetch(level):
    telecoms = Prefetch(
        "telecoms",
        queryset=Telecom.objects.for_client(level).only("pk", "contact_id", "canal", "valeur", "confidentialite_id"),
        to_attr="shown_telecoms",
    )
    contacts = Contact.objects.for_client(level).only(
        "pk", "offer_id", "nom", "fonction_id", "nature_id", "description", "confidentialite_id"
    )
    return Prefetch("contacts", queryset=contacts.prefetch_related(telecoms), to_attr="shown_contacts")


def healthcare_service_resources(offers):
    codes = Offer.codes_of([offer.pk for offer in offers])
    return [mapping.healthcare_service(offer, offer.shown_contacts, *codes.get(offer.pk, ([], []))) for offer in offers]


@endpoint
def healthcare_service_read(request, client, ident):
    pk = parse_id(ident)
    offer = offers_for(client).filter(pk=pk).first() if pk else None
    if offer is None:
        raise not_found("HealthcareService", ident)
    return healthcare_service_resources([offer])[0], 1


@endpoint
def healthcare_service_search(request, client):
    params, control = split_params(request)
    includes = includes_of(control)
    queryset = healthcare_service_filters(Offer.objects.for_client(client.niveau, client.departements), params)
    page = keyset_page(queryset, control)
    rows = list(offers_for(client).filter(pk__in=[pk for _, pk in page.keys]).order_by("pk"))
    entries = [entry(request, resource, "match") for resource in healthcare_service_resources(rows)]
    if "HealthcareService:organization" in includes:
        entries += included_organizations(request, client, {offer.structure_id for offer in rows}, includes)
    return bundle(request, control, entries, total_of(control, queryset), page), len(entries)


# --- Organization -----------------------------------------------------------------------------------------------


def structures_for(client):
    return Structure.objects.for_client(client.departements)


@endpoint
def organization_read(request, client, ident):
    kind, _, number = ident.partition("-")
    pk = parse_id(number)
    resource = None
    if kind == "st" and pk:
        node = structures_for(client).filter(pk=pk).first()
        resource = mapping.organization(cache.attach([node], "categorie")[0]) if node else None
    elif kind == "ej" and pk:
        ej = EntiteJuridique.objects.for_client(client.departements).filter(pk=pk).first()
        resource = mapping.entite_juridique(ej) if ej else None
    if resource is None:
        raise not_found("Organization", ident)
    return resource, 1


@endpoint
def organization_search(request, client):
    params, control = split_params(request)
    if includes_of(control):
        raise SearchError("_include n'est pas pris en charge sur Organization.")
    structures, entites = organization_filters(
        structures_for(client), EntiteJuridique.objects.for_client(client.departements), params
    )
    page = keyset_page(structures, control, second=entites)
    entries = [entry(request, resource, "match") for resource in organization_resources(page.keys)]
    return bundle(request, control, entries, total_of(control, structures, entites), page), len(entries)


def organization_resources(keys):
    """The resources of page keys [(kind, pk)], in their order."""
    structures = {node.pk: node for node in Structure.objects.filter(pk__in=[pk for kind, pk in keys if kind == "st"])}
    cache.attach(list(structures.values()), "categorie")
    entites = EntiteJuridique.objects.in_bulk([pk for kind, pk in keys if kind == "ej"])
    resources = []
    for kind, pk in keys:
        if kind == "st" and pk in structures:
            resources.append(mapping.organization(structures[pk]))
        elif kind == "ej" and pk in entites:
            resources.append(mapping.entite_juridique(entites[pk]))
    return resources


def included_organizations(request, client, structure_ids, includes):
    """The offers' structures (search mode "include"), and with ``Organization:partof`` every structure above them
    and the EJ of their EG."""
    nodes = list(structures_for(client).filter(pk__in=structure_ids))
    if "Organization:partof" in includes and nodes:
        nodes += list(Structure.objects.ancestors_of(nodes).exclude(pk__in=structure_ids))
    cache.attach(nodes, "categorie")
    resources = [mapping.organization(node) for node in sorted(nodes, key=lambda node: node.pk)]
    if "Organization:partof" in includes:
        owners = {node.entite_juridique_id for node in nodes if node.entite_juridique_id}
        resources += [
            mapping.entite_juridique(ej) for ej in EntiteJuridique.objects.filter(pk__in=owners).order_by("pk")
        ]
    return [entry(request, resource, "include") for resource in resources]


# --- search plumbing --------------------------------------------------------------------------------------------


def split_params(request):
    """([(name, value)] of the search parameters, {name: [values]} of the control parameters)."""
    params, control = [], {}
    for name, values in request.GET.lists():
        for value in values:
            if "\x00" in name or "\x00" in value:
                raise SearchError("Caractère NUL dans la requête.")
            if name in CONTROL:
                control.setdefault(name, []).append(value)
            else:
                params.append((name, value))
    return params, control


def includes_of(control):
    includes = set()
    for name, allowed in (("_include", INCLUDES), ("_include:iterate", ITERATES | INCLUDES)):
        for raw in control.get(name, []):
            for value in values_of(raw, name):
                if value not in allowed:
                    raise SearchError(
                        f"{name}={value} n'est pas pris en charge (possibles : {', '.join(sorted(allowed))})."
                    )
                includes.add(value)
    return includes


def page_size(control):
    raw = control.get("_count", [None])[-1]
    if raw is None:
        return settings.FHIR_PAGE_SIZE
    number = parse_id(raw)
    if number is None:
        raise SearchError(f"_count={raw} : indiquez un nombre de 1 à {settings.FHIR_MAX_PAGE_SIZE}.")
    return min(number, settings.FHIR_MAX_PAGE_SIZE)


@dataclass
class Page:
    keys: list  # [(kind, pk)] in the page's order
    next_cursor: str | None


def read_cursor(control):
    raw = control.get("_page", [None])[-1]
    if raw is None:
        return None
    try:
        kind, pk = signing.loads(raw, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        kind, pk = None, None
    if kind not in KIND_ORDER or not isinstance(pk, int):
        raise SearchError("_page : curseur de page invalide (reprenez la recherche depuis sa première page).")
    return kind, pk


KIND_ORDER = {"ej": 0, "st": 1, "hs": 1}  # an Organization search lists the EJ, then the structures


def after(cursor, kind):
    """Rows of ``kind`` after ``cursor`` in the order (kind, pk)."""
    if cursor is None:
        return Q()
    cursor_kind, pk = cursor
    if KIND_ORDER[kind] == KIND_ORDER[cursor_kind]:
        return Q(pk__gt=pk)
    return Q() if KIND_ORDER[kind] > KIND_ORDER[cursor_kind] else Q(pk__in=[])


def keyset_page(queryset, control, second=None):
    """The page's keys [(kind, pk)] and the next page's cursor. ``queryset`` holds offers ("hs") or structures
    ("st"); ``second``, entités juridiques ("ej"), listed first.

    The order is the rows' id, which never changes: a row changed (moved, closed) while a client pages keeps its
    place, so each row comes exactly once per pass, with its state when its page is read; a client that
    synchronises with ``_lastUpdated=ge<start of its previous pass>`` gets again whatever changed behind its
    cursor. (The order (lastUpdated, id) would send a row changed meanwhile twice, at its old and new places.)"""
    size = page_size(control)
    cursor = read_cursor(control)
    kind = "hs" if queryset.model is Offer else "st"
    rows = []
    if second is not None:
        rows += [("ej", pk) for pk in keyed(second, cursor, "ej", size)]
    if len(rows) <= size:
        rows += [(kind, pk) for pk in keyed(queryset, cursor, kind, size - len(rows))]
    keys = rows[:size]
    next_cursor = signing.dumps(list(keys[-1]), salt=CURSOR_SALT) if len(rows) > size else None
    return Page(keys, next_cursor)


def keyed(queryset, cursor, kind, size):
    return list(queryset.filter(after(cursor, kind)).order_by("pk").values_list("pk", flat=True)[: size + 1])


def entry(request, resource, mode):
    return {
        "fullUrl": request.build_absolute_uri(f"/fhir/{resource['resourceType']}/{resource['id']}"),
        "resource": resource,
        "search": {"mode": mode},
    }


def total_of(control, *querysets):
    """Bundle.total: counted on a search's first page (``_total=none`` skips it), not again on the next pages —
    counting 500,000 offers costs as much as the rest of a page, and the number is the first page's."""
    wanted = control.get("_total", ["accurate"])[-1]
    if wanted not in ("accurate", "estimate", "none"):
        raise SearchError("_total accepte « none », « estimate » ou « accurate ».")
    if wanted == "none" or "_page" in control:
        return None
    return sum(queryset.count() for queryset in querysets)


def bundle(request, control, entries, total, page):
    query = [(name, value) for name, values in request.GET.lists() for value in values if name != "_page"]
    base = request.build_absolute_uri(request.path)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if page.next_cursor:
        links.append({"relation": "next", "url": f"{base}?{urlencode([*query, ('_page', page.next_cursor)])}"})
    result = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": mapping.instant(timezone.now())},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }
    if total is None:
        del result["total"]
    return result
