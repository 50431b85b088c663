"""Hostile input never makes a 500: ids are ASCII digits in the database's range, NUL never reaches the
database, and a row read twice may have disappeared in between (another tab, another user)."""

from contextlib import contextmanager
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from offers.models import Offer, OfferDraft, OfferEvent
from ror_portal.converters import MAX_ID, IdConverter, parse_id
from structures.models import Structure
from tests.offers.factories import general_draft
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


@pytest.fixture
def gestionnaire(demo_user):
    client = Client(raise_request_exception=False)
    client.force_login(demo_user("gestionnaire"))
    return client


@pytest.fixture
def admin_client_(superuser):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    return client


def form_data(offer, **changes):
    data = {
        "nom": offer.nom,
        "champ_activite": offer.champ_activite_id,
        "structure": offer.structure_id,
        "version": offer.version,
        "action": "publier",
    }
    return data | changes


# --- ids: ASCII digits, bounded ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (str(10**30), None),
        ("0", None),
        ("-1", None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # int() reads 3
        ("𝟙", None),  # int() reads 1
        (" 1", None),
        ("1\n", None),
        ("1_0", None),  # int() reads 10
        ("+1", None),
        ("", None),
        (None, None),
        (["1"], None),
    ],
)
def test_parse_id_reads_ascii_digits_in_the_bigint_range_only(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("value", ["0", str(MAX_ID + 1), "9" * 19])
def test_the_id_path_converter_refuses_ids_out_of_range(value):
    with pytest.raises(ValueError):
        IdConverter().to_python(value)


@pytest.mark.parametrize("pk", ["0", str(2**63), str(10**30), "٣"])
def test_an_offer_url_with_an_impossible_id_is_a_404(gestionnaire, usic, pk):
    assert gestionnaire.get(f"/offres/{pk}/").status_code == 404


@pytest.mark.parametrize("value", ["²", "٣", "𝟙", str(2**63), str(10**30), "-1", "abc"])
def test_the_picker_refuses_a_noeud_that_is_not_an_id(gestionnaire, usic, value):
    response = gestionnaire.get(reverse("offer_picker", args=[usic.pk]), {"noeud": value})

    assert response.status_code == 404


@pytest.mark.parametrize("value", ["²", "٣", "𝟙", str(2**63), str(10**30), "-1"])
def test_the_form_refuses_a_rattachement_that_is_not_an_id(gestionnaire, usic, value):
    response = gestionnaire.get(reverse("offer_edit", args=[usic.pk]), {"rattachement": value})

    assert response.status_code == 404


@pytest.mark.parametrize("value", ["²", "٣x", str(2**63), str(10**30)])
def test_a_posted_structure_that_is_not_an_id_is_a_form_error(gestionnaire, usic, value):
    response = gestionnaire.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=value))

    assert response.status_code == 200
    assert "Ce rattachement n'existe pas ou ne vous est pas accessible." in unescape(response.text)
    assert response.context["chosen"] == usic.structure


@pytest.mark.parametrize("name", ["structure", "version"])
@pytest.mark.parametrize("value", ["²", str(10**30)])
def test_what_was_typed_before_the_picker_page_is_read_back_safely(gestionnaire, usic, name, value):
    edit = reverse("offer_edit", args=[usic.pk])
    gestionnaire.post(edit, form_data(usic, action="rattachement", **{name: value}))

    response = gestionnaire.get(edit, {"reprise": 1})

    assert response.status_code == 200
    assert response.context["form"].initial[name] == getattr(usic, f"{name}_id" if name == "structure" else name)


@pytest.mark.parametrize("action", ["publier", "brouillon"])
@pytest.mark.parametrize("version", [2**31, 2**63, 10**30])
def test_a_version_beyond_the_column_is_a_form_error(gestionnaire, usic, action, version):
    response = gestionnaire.post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="Autre nom", version=version, action=action)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["version"]
    assert not OfferDraft.objects.exists()
    assert Offer.objects.get(pk=usic.pk).nom == USIC


@pytest.mark.parametrize("value", ["²", "٣", "𝟙", str(2**63), str(10**30), "-1"])
def test_the_admin_tree_filter_ignores_a_parent_that_is_not_an_id(admin_client_, seed, value):
    response = admin_client_.get(reverse("admin:structures_structure_changelist"), {"parent": value})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


# --- NUL characters -----------------------------------------------------------------------------------------


def test_a_nul_in_the_picker_search_is_a_french_400(gestionnaire, usic):
    response = gestionnaire.get(reverse("offer_picker", args=[usic.pk]), {"q": "CH\x00"})

    assert response.status_code == 400
    assert "Requête invalide" in unescape(response.text)
    assert "<html" in response.text  # the portal's page, not Django's plain one


def test_a_nul_in_an_htmx_request_gets_the_400_fragment(gestionnaire, usic):
    response = gestionnaire.get(reverse("offer_picker", args=[usic.pk]), {"q": "\x00"}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert "Requête invalide" in unescape(response.text)
    assert "<html" not in response.text


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("admin:structures_structure_changelist", {"q": "\x00"}),
        ("admin:structures_structure_changelist", {"departement": "\x00"}),
        ("admin:offers_offer_changelist", {"champ_activite__code__exact": "\x00"}),
        ("admin:offers_offer_changelist", {"q\x00": "1"}),
        (
            "admin:autocomplete",
            {"term": "\x00", "app_label": "offers", "model_name": "offer", "field_name": "structure"},
        ),
    ],
)
def test_a_nul_in_an_admin_parameter_is_a_400(admin_client_, seed, url, params):
    assert admin_client_.get(reverse(url), params).status_code == 400


def test_a_nul_in_an_admin_change_url_is_a_400(admin_client_, seed):
    assert admin_client_.get("/admin/nomenclatures/champactivite/%00/change/").status_code == 400


def test_a_nul_in_a_posted_value_is_a_400_and_changes_nothing(gestionnaire, usic):
    response = gestionnaire.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="USIC\x00"))

    assert response.status_code == 400
    assert Offer.objects.get(pk=usic.pk).nom == USIC


def test_a_nul_in_the_session_cookie_is_a_400(usic, settings):
    cookie = f'{settings.SESSION_COOKIE_NAME}="abcdefgh\\000ijkl"'  # Django's cookie parser decodes \000

    response = Client(raise_request_exception=False).get(reverse("home"), headers={"Cookie": cookie})

    assert response.status_code == 400


def test_a_nul_in_a_header_is_a_400(gestionnaire, usic):
    assert gestionnaire.get(reverse("home"), headers={"User-Agent": "x\x00"}).status_code == 400


# --- rows that disappear between two reads ----------------------------------------------------------------------


@contextmanager
def after_first_read_of(table, action):
    """Run ``action`` (another tab, another user) right after the request's first SELECT on ``table``."""
    state = {"done": False}

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["done"] and sql.lstrip().upper().startswith("SELECT") and f'"{table}"' in sql:
            state["done"] = True
            action()
        return result

    with connection.execute_wrapper(wrapper):
        yield


def make_draft(offer, user, **values):
    return general_draft(offer, user, nom="Brouillon", **values)


@pytest.mark.parametrize("page", ["offer_edit", "caracteristiques", "fermeture"])
def test_the_form_opens_while_the_draft_is_deleted_in_another_tab(gestionnaire, usic, demo_user, page):
    make_draft(usic, demo_user("gestionnaire"))
    url = (
        reverse("offer_edit", args=[usic.pk])
        if page == "offer_edit"
        else reverse("offer_block_edit", args=[usic.pk, page])
    )

    with after_first_read_of("offers_offerdraft", lambda: OfferDraft.objects.all().delete()):
        response = gestionnaire.get(url)

    assert response.status_code == 200


def test_a_draft_whose_rattachement_disappears_meanwhile_is_not_published(gestionnaire, usic, demo_user):
    target = StructureFactory(parent=Structure.objects.get(pk=usic.structure.parent_id), name="UF éphémère")
    make_draft(usic, demo_user("gestionnaire"), structure=target.pk)

    with after_first_read_of("offers_offerdraft", lambda: Structure.objects.filter(pk=target.pk).delete()):
        response = gestionnaire.post(reverse("draft_publish", args=[usic.pk]), follow=True)

    assert response.status_code == 200
    assert "Le brouillon n'a pas été publié : Rattachement organisationnel : Ce rattachement n'existe pas" in unescape(
        response.text
    )
    assert Offer.objects.get(pk=usic.pk).structure_id == usic.structure_id


def test_an_undo_whose_origin_disappears_meanwhile_is_refused(gestionnaire, usic, demo_user):
    origin = StructureFactory(parent=Structure.objects.get(pk=usic.structure.parent_id), name="UF éphémère")
    event = OfferEvent.objects.create(
        offer=usic,
        author=demo_user("gestionnaire"),
        kind=OfferEvent.Kind.MOVE,
        from_structure=origin,
        to_structure=usic.structure,
        from_label=origin.name,
        to_label=usic.structure.name,
        version=usic.version,
    )

    with after_first_read_of("offers_offerevent", lambda: Structure.objects.filter(pk=origin.pk).delete()):
        response = gestionnaire.post(reverse("move_undo", args=[usic.pk, event.pk]), follow=True)

    assert response.status_code == 200
    assert "Le déplacement n'a pas été annulé : Ce rattachement n'existe plus" in unescape(response.text)
    assert Offer.objects.get(pk=usic.pk).structure_id == usic.structure_id


@pytest.mark.parametrize("view", ["offer_edit", "draft_publish"])
def test_an_offer_deleted_while_it_is_published_is_a_404(gestionnaire, usic, demo_user, view):
    make_draft(usic, demo_user("gestionnaire"))
    data = form_data(usic, nom="Nouveau nom") if view == "offer_edit" else {}

    with after_first_read_of("offers_offerdraft", lambda: Offer.objects.filter(pk=usic.pk).delete()):
        response = gestionnaire.post(reverse(view, args=[usic.pk]), data)

    assert response.status_code == 404
