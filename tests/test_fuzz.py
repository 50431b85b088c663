"""No input makes a 500: every URL of the portal and the admin, with hostile values in its path parameters,
its query parameters and the fields of its POST forms, as a superuser and as a responsable.

The URLs come from the resolver; their parameters from the pages themselves (links, HTMX attributes, GET
forms), from the names the views' modules read in ``request.GET``, and for POST from the forms each page
shows (CSRF token included). Each POST runs in a transaction rolled back afterwards, so that a successful
save or delete does not change what the next request sees.
"""

import functools
import inspect
import logging
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from offers.models import Offer, OfferEvent
from tests.offers.factories import general_draft
from tests.page_forms import post_forms

pytestmark = pytest.mark.django_db

HOSTILE = {
    "exposant ²": "²",
    "chiffre arabe ٣": "٣",
    "chiffre mathématique 𝟙": "𝟙",
    "NUL": "\x00",
    "2**31": str(2**31),
    "2**63": str(2**63),
    "10**30": str(10**30),
    "négatif": "-1",
    "vide": "",
    "10 000 caractères": "x" * 10_000,
    "RTL override": "\u202eabc",
    "espace sans chasse": "\u200b",
    "BOM": "\ufeff",
}
# The admin's views are Django's own, tried here for our ModelAdmin code: the values that broke it stand for the rest.
ADMIN_HOSTILE = {label: HOSTILE[label] for label in ("exposant ²", "NUL", "2**63", "10**30", "10 000 caractères")}
USIC = "Unité de Soins Intensifs Cardiologie (USIC)"
SKIPPED_ROUTES = {"admin/logout/", "deconnexion/"}  # the client would be logged out midway
PARAMETER_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
READ_RE = re.compile(r"request\.GET(?:\.get\(|\[)\s*\"(\w+)\"")
ADMIN_MODEL_RE = re.compile(r"^admin/(\w+)/(\w+)/<(?:path:object_id|id)>/")
# Fields that Django's own code reads (CSRF token, submit buttons, formset management forms and the empty
# "__prefix__" template), and the repeated inline forms, for which the first inline form stands.
DJANGO_OWN_FIELD_RE = re.compile(
    r"^(csrfmiddlewaretoken|_save|_continue|_addanother|[\w-]+-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS"
    r"|[\w-]+-__prefix__-.*|[\w-]+-[1-9][0-9]*-.*)$"
)
ADMIN_BASE_QUERIES = {
    "admin/autocomplete/": {"app_label": "offers", "model_name": "offer", "field_name": "structure", "term": "a"},
}


def routes(resolver=None, prefix=""):
    """Every URL pattern as its full route string (``offres/<id:pk>/``, ``admin/^(?P<app_label>…)/$``)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def build(route, values):
    """The URL path of ``route`` with ``values`` (already quoted) in its parameters."""

    def fill(match):
        return values.get(match.group(1) or match.group(2), "inconnu")  # e.g. a password reset token

    return "/" + PARAMETER_RE.sub(fill, route).replace("^", "").replace("$", "")


class World:
    """Real ids from the seed: an offer with a draft and a move, its structure, one row of every admin model."""

    def __init__(self, users):
        self.offer = Offer.objects.get(nom=USIC)
        for user in users:
            general_draft(self.offer, user, nom="Brouillon")
        self.event = OfferEvent.objects.create(
            offer=self.offer,
            author=users[0],
            kind=OfferEvent.Kind.MOVE,
            from_structure=self.offer.structure.parent,
            to_structure=self.offer.structure,
            from_label="Avant",
            to_label="Après",
            version=self.offer.version,
        )
        # An offer created as a draft (its creation page, "Supprimer le brouillon"), with a contact.
        self.new_offer = Offer.objects.create(
            structure=self.offer.structure, nom="Nouvelle offre", champ_activite_id="01", modele_saisie="260/01",
            published=False,
        )  # fmt: skip
        self.new_offer.contacts.create(nom="Secrétariat", confidentialite_id="2")

    def real_values(self, route):
        pk = self.offer.structure_id if route.startswith("structures/") else self.offer.pk
        pk = self.new_offer.pk if "/saisie/" in route else pk
        values = {
            "pk": str(pk),
            "event_pk": str(self.event.pk),
            "contact_pk": str(self.offer.contacts.order_by("pk").values_list("pk", flat=True).first()),
            "slug": "caracteristiques",
            "app_label": "offers",
            "url": "inconnue/",
            "content_type_id": str(ContentType.objects.get_for_model(Offer).pk),
            "object_id": str(self.offer.pk),
        }
        match = ADMIN_MODEL_RE.match(route)
        if match:
            model = ContentType.objects.get_by_natural_key(*match.groups()).model_class()
            obj = self.offer if model is Offer else model._default_manager.order_by("pk").first()
            if obj is None:
                return None
            values["object_id"] = values["id"] = quote(str(obj.pk), safe="")
        return values


class LinkParser(HTMLParser):
    """Query parameter names per path, read from links, HTMX attributes and GET forms."""

    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path, self.found, self.get_form = page_path, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get", "action"):
            url = attrs.get(name)
            if url and "?" in url and not url.startswith(("http:", "https:", "mailto:", "#")):
                split = urlsplit(url)
                self.found.append((split.path or self.page_path, [key for key, _ in parse_qsl(split.query, True)]))
        if tag == "form" and attrs.get("method", "get").lower() == "get":
            self.get_form = urlsplit(attrs.get("action") or self.page_path).path or self.page_path
        elif tag in ("input", "select", "textarea") and self.get_form and attrs.get("name"):
            self.found.append((self.get_form, [attrs["name"]]))

    def handle_endtag(self, tag):
        if tag == "form":
            self.get_form = None


@functools.cache
def admin_classes():
    """The first model of each ModelAdmin class, as "app_label/model_name"."""
    first = {}
    for model, model_admin in admin.site._registry.items():
        first.setdefault(type(model_admin), f"{model._meta.app_label}/{model._meta.model_name}")
    return set(first.values())


def represents(route):
    match = re.match(r"^admin/(\w+)/(\w+)/", route)
    return match is None or f"{match.group(1)}/{match.group(2)}" in admin_classes() or match.group(1) == "r"


def hostile_for(route):
    return ADMIN_HOSTILE if route.startswith("admin/") else HOSTILE


def route_of(path):
    try:
        return resolve(path).route
    except Resolver404:
        return None


class Fuzzer:
    def __init__(self, user, world):
        self.user, self.world = user, world
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        self.client.force_login(user)
        self.errors = []
        self.count = 0
        self.logged_in_again = False

    def request(self, method, path, data=None, label=""):
        self.count += 1
        with transaction.atomic():
            response = getattr(self.client, method)(path, data or {})
            transaction.set_rollback(True)
        if response.status_code >= 500:
            self.errors.append(f"{response.status_code} {method.upper()} {path[:120]} {label}")
        if method == "post" and "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)  # a POST that logged out
            self.logged_in_again = True
        return response

    def pages(self):
        """(route, real path) of every URL, its path parameters filled with real ids.

        Models that share a ModelAdmin class (the seven read-only nomenclatures) run the same code: the first one
        stands for the others. A responsable cannot enter the admin: their admin URLs are only redirects.
        """
        for route in dict.fromkeys(routes()):
            values = self.world.real_values(route)
            if values is None or route in SKIPPED_ROUTES or not represents(route):
                continue
            if route.startswith("admin/") and not self.user.is_staff:
                continue
            yield route, build(route, values)

    def fuzz_paths(self):
        for route, _ in self.pages():
            values = self.world.real_values(route)
            for name in {m.group(1) or m.group(2) for m in PARAMETER_RE.finditer(route)}:
                for label, value in HOSTILE.items():
                    self.request("get", build(route, values | {name: quote(value, safe="")}), label=f"[{name}={label}]")

    def discover(self):
        """Real pages (route → path, response) and the query parameter names of each route."""
        pages, parameters = {}, {}
        for route, path in self.pages():
            response = self.request("get", path + "?" + urlencode(ADMIN_BASE_QUERIES.get(route, {})))
            pages[route] = (path, response)
            names = parameters.setdefault(route, set(ADMIN_BASE_QUERIES.get(route, {})))
            callback = resolve(path).func
            module = inspect.getmodule(getattr(callback, "view_class", callback))
            if module is not None and module.__name__.split(".")[0] in ("offers", "structures", "accounts"):
                names |= set(READ_RE.findall(inspect.getsource(module)))
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                parser = LinkParser(path)
                parser.feed(response.content.decode())
                for found_path, keys in parser.found:
                    parameters.setdefault(route_of(found_path), set()).update(keys)
        parameters.pop(None, None)
        return pages, parameters

    def fuzz_queries(self, pages, parameters):
        for route, names in parameters.items():
            if route not in pages:
                continue
            path, response = pages[route]
            if response.status_code == 405:
                continue  # POST only: its forms are fuzzed by test_hostile_form_fields_never_make_a_500
            base = ADMIN_BASE_QUERIES.get(route, {})
            for name in sorted(names):
                for label, value in hostile_for(route).items():
                    query = urlencode(base | {name: value})
                    self.request("get", f"{path}?{query}", label=f"[{name}={label}]")
            if route.startswith("admin/") and route.endswith("/") and route.count("/") == 3:
                for label, value in HOSTILE.items():  # changelists read unknown names as lookups
                    self.request("get", f"{path}?{urlencode({value: '1'})}", label=f"[nom {label}]")

    def fuzz_forms(self, pages):
        seen = set()
        for path, response in pages.values():
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for index, form in enumerate(post_forms(response.content.decode())):
                action = urlsplit(form.action).path or path
                key = (route_of(action), tuple(sorted(form.names)))
                if key in seen or key[0] in SKIPPED_ROUTES or key[0] is None:
                    continue
                seen.add(key)
                self.fuzz_form(path, index, action + ("?" + urlsplit(form.action).query if "?" in form.action else ""))

    def fuzz_form(self, path, index, action):
        def fresh_form():
            return post_forms(self.client.get(path).content.decode())[index]

        form = fresh_form()
        values = hostile_for(route_of(urlsplit(action).path) or "")
        for name in [name for name in form.names if not DJANGO_OWN_FIELD_RE.match(name)]:
            for label, value in values.items():
                self.request("post", action, form.data() | {name: [value]}, label=f"[{name}={label}]")
                if self.logged_in_again:
                    form, self.logged_in_again = fresh_form(), False  # login rotated the CSRF token


@pytest.fixture(autouse=True)
def quiet_request_logs():
    """Thousands of 4xx would be logged (and kept by pytest): 500s are read from the status codes."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def world(seed, superuser, demo_user):
    return World([superuser, demo_user("gestionnaire")])


@pytest.fixture(params=["admin", "gestionnaire"])
def fuzzer(request, world, superuser, demo_user):
    user = superuser if request.param == "admin" else demo_user(request.param)
    return Fuzzer(user, world)


def test_hostile_path_parameters_never_make_a_500(fuzzer):
    fuzzer.fuzz_paths()

    assert fuzzer.errors == [], "\n".join(fuzzer.errors)
    assert fuzzer.count > 100


def test_hostile_query_parameters_never_make_a_500(fuzzer):
    pages, parameters = fuzzer.discover()

    fuzzer.fuzz_queries(pages, parameters)

    assert fuzzer.errors == [], "\n".join(fuzzer.errors)
    assert {"noeud", "q", "rattachement", "reprise"} <= set().union(
        *(names for route, names in parameters.items() if route.startswith("offres/"))
    )


def test_hostile_form_fields_never_make_a_500(fuzzer):
    pages, _ = fuzzer.discover()

    fuzzer.fuzz_forms(pages)

    assert fuzzer.errors == [], "\n".join(fuzzer.errors)
