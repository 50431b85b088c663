"""The internal organisation in the portal: who sees the buttons and the pages, what the pages submit, forged
submissions refused with nothing changed, the history, query counts. The rules are tested on the models
(tests/structures/test_organisation.py, tests/offers/test_organisation.py)."""

import datetime
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from offers import organisation
from offers.models import Offer, OfferEvent
from structures.models import Structure, StructureEvent
from tests.page_forms import form_data, post_forms
from tests.structures.builders import assert_tree_exact

pytestmark = pytest.mark.django_db

CLAUDE_BERNARD = "810000224"
SALLE = "Salle d'échographie cardiaque"
ACTIONS = ["structure_add", "structure_edit", "structure_close", "structure_reopen", "structure_move"]
BUTTONS = ["structure_add", "structure_edit", "structure_move", "structure_close"]


def node(name):
    return Structure.objects.get(name=name, tree_id=Structure.objects.get(finess_et=CLAUDE_BERNARD).tree_id)


def url(action, name, **params):
    address = reverse(action, args=[node(name).pk])
    return address + ("?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else "")


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def tree_state():
    return (
        sorted(Structure.objects.values_list("pk", "name", "parent_id", "lft", "rght", "closed_on", "version", "code")),
        sorted(Offer.objects.values_list("pk", "structure_id", "closed_on", "version")),
        StructureEvent.objects.count(),
        OfferEvent.objects.count(),
    )


# --- who: a permission matrix over every new URL ---------------------------------------------------------------

MANAGERS = {"gestionnaire", "referent"}


@pytest.mark.parametrize("username", ["gestionnaire", "referent", "regulateur", "autre", None])
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix_of_the_organisation_pages(client, demo_user, username, action):
    if username:
        client.force_login(demo_user(username))
    before = tree_state()

    got = client.get(url(action, "Cardiologie"))
    posted = client.post(url(action, "Cardiologie"), {"name": "Forcée", "kind": "3", "closed_on": "2026-01-01",
                                                      "version": "1", "cible": str(node("Médecine").pk),
                                                      "action": "confirmer", "with_contents": "on"})  # fmt: skip

    if username is None:
        assert (got.status_code, posted.status_code) == (302, 302)
        assert got["Location"].startswith(reverse("login"))
    elif username in MANAGERS:
        assert got.status_code == 200
    else:
        assert (got.status_code, posted.status_code) == (404, 404)
    if username not in MANAGERS:
        assert tree_state() == before


@pytest.mark.parametrize("username", ["gestionnaire", "referent", "regulateur"])
def test_only_managers_see_the_buttons(client_for, username):
    page = client_for(username).get(reverse("structure_detail", args=[node("Cardiologie").pk])).content.decode()

    for action in BUTTONS:
        assert (f'href="{url(action, "Cardiologie")}"' in page) == (username in MANAGERS), action


def test_an_eg_offers_only_adding(client_for):
    page = text(
        client_for("gestionnaire").get(reverse("structure_detail", args=[node("CLINIQUE CLAUDE BERNARD - ALBI").pk]))
    )

    assert "Ajouter une structure interne" in page
    assert "Déplacer la structure" not in page and "Fermer la structure" not in page
    for action in ("structure_edit", "structure_close", "structure_reopen", "structure_move"):
        assert client_for("gestionnaire").get(url(action, "CLINIQUE CLAUDE BERNARD - ALBI")).status_code == 404


# --- adding ----------------------------------------------------------------------------------------------------


def kind_options(response):
    return re.findall(r'<option value="([0-9])"', response.content.decode())


@pytest.mark.parametrize(
    ("parent", "kinds"),
    [
        ("CLINIQUE CLAUDE BERNARD - ALBI", ["1", "2", "3"]),
        ("Médecine", ["2", "3"]),
        ("Cardiologie", ["3"]),
        ("HC Cardiologie", ["4"]),
    ],
)
def test_the_types_offered_depend_on_the_level(client_for, parent, kinds):
    assert kind_options(client_for("gestionnaire").get(url("structure_add", parent))) == kinds


def test_nothing_is_added_under_an_unite_elementaire(client_for):
    client = client_for("gestionnaire")
    page = client.get(url("structure_add", "HC Cardiologie")).text
    client.post(
        url("structure_add", "HC Cardiologie"), form_data(page, "formulaire-structure", kind=["4"], name=["Lits"])
    )
    lits = node("Lits")

    page = text(client.get(reverse("structure_add", args=[lits.pk])))

    assert "Rien ne se place sous une unité élémentaire" in page
    assert not [form for form in post_forms(client.get(reverse("structure_add", args=[lits.pk])).text)
                if form.attrs.get("id") == "formulaire-structure"]  # fmt: skip
    assert "Ajouter une structure interne" not in text(client.get(reverse("structure_detail", args=[lits.pk])))


def test_adding_submits_what_the_page_shows_and_records_it(client_for):
    client = client_for("gestionnaire")
    data = form_data(client.get(url("structure_add", "Cardiologie")).text, "formulaire-structure")
    assert set(data) == {"csrfmiddlewaretoken", "kind", "name", "opened_on", "code"}

    response = client.post(url("structure_add", "Cardiologie"), data | {"kind": ["3"], "name": ["Rythmologie"],
                                                                        "code": ["4012"]})  # fmt: skip

    added = node("Rythmologie")
    assert response.status_code == 302 and response["Location"] == reverse("structure_detail", args=[added.pk])
    assert (added.kind, added.parent_id, added.code) == ("3", node("Cardiologie").pk, "4012")
    page = text(client.get(response["Location"]))
    assert "« Rythmologie » a été ajouté(e) dans « Cardiologie »" in page
    assert "Créée dans « Cardiologie » par Camille Gestionnaire" in page
    assert "Code dans l'établissement 4012" in page
    assert_tree_exact(added.tree_id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": ["1"]}, "Ce type de structure ne peut pas être ajouté ici."),
        ({"kind": ["4"]}, "Ce type de structure ne peut pas être ajouté ici."),
        ({"kind": ["EG"]}, "Ce type de structure ne peut pas être ajouté ici."),
        ({"kind": [""]}, "Sélectionnez le type de la structure."),
        ({"name": ["   "]}, "Saisissez le nom de la structure."),
        ({"name": ["\u200b\u200b"]}, "aucun caractère visible"),
        ({"name": ["x" * 256]}, "ne dépasse pas 255"),
        ({"code": ["٤٠١٢"]}, "Le code s'écrit"),
        ({"code": ["HC-1"], "name": ["Doublon"]}, None),
        ({"opened_on": ["31/02/2026"]}, "Saisissez la date d'ouverture au format JJ/MM/AAAA."),
        ({"opened_on": ["99999-01-01"]}, "Saisissez la date d'ouverture au format JJ/MM/AAAA."),
    ],
)
def test_bad_submissions_are_refused_in_french_with_nothing_changed(client_for, changes, message):
    client = client_for("gestionnaire")
    Structure.objects.filter(pk=node("HC Cardiologie").pk).update(code="HC-1")
    if message is None:
        message = "Ce code est déjà celui d'une autre structure de l'établissement."
    data = form_data(client.get(url("structure_add", "Cardiologie")).text, "formulaire-structure")
    data |= {"kind": ["3"], "name": ["Rythmologie"]}
    before = tree_state()

    response = client.post(url("structure_add", "Cardiologie"), data | changes)

    assert response.status_code == 200 and message in text(response)
    assert tree_state() == before


def test_adding_under_a_closed_structure_is_refused(client_for):
    Structure.objects.filter(pk=node("Cardiologie").pk).update(closed_on=datetime.date(2020, 1, 1))
    client = client_for("gestionnaire")
    before = tree_state()

    response = client.post(url("structure_add", "HC Cardiologie"), {"kind": "4", "name": "Lits"})

    assert "« HC Cardiologie » est dans « Cardiologie », fermé(e) depuis le 01/01/2020." in text(response)
    assert tree_state() == before


# --- changing --------------------------------------------------------------------------------------------------


def test_a_change_submits_what_the_page_shows(client_for):
    client = client_for("gestionnaire")
    data = form_data(client.get(url("structure_edit", "HC Cardiologie")).text, "formulaire-structure")
    assert data["name"] == ["HC Cardiologie"] and data["version"] == ["1"]

    response = client.post(url("structure_edit", "HC Cardiologie"), data | {"name": ["Hospitalisation de cardiologie"]})

    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Nom : « HC Cardiologie » → « Hospitalisation de cardiologie »" in page


def test_a_change_based_on_an_outdated_page_is_refused(client_for, demo_user):
    client = client_for("gestionnaire")
    stale = form_data(client.get(url("structure_edit", "HC Cardiologie")).text, "formulaire-structure")
    other = Client()
    other.force_login(demo_user("referent"))
    fresh = form_data(other.get(url("structure_edit", "HC Cardiologie")).text, "formulaire-structure")
    other.post(url("structure_edit", "HC Cardiologie"), fresh | {"name": ["HC Cardio"]})

    response = client.post(url("structure_edit", "HC Cardio"), stale | {"name": ["Autre nom"]})

    assert response.status_code == 200 and "modifié(e) entre-temps" in text(response)
    assert node("HC Cardio").version == 2


@pytest.mark.parametrize("version", ["0", "-1", "abc", "2147483648", "9" * 40, "١", ""])
def test_hostile_versions_are_refused(client_for, version):
    client = client_for("gestionnaire")
    before = tree_state()

    response = client.post(url("structure_edit", "HC Cardiologie"), {"name": "X", "version": version})

    assert response.status_code == 200 and "La demande est incomplète" in text(response)
    assert tree_state() == before


# --- closing and reopening ---------------------------------------------------------------------------------------


def test_closing_asks_for_a_date_then_lists_what_closes_and_closes_it(client_for):
    client = client_for("gestionnaire")
    today = timezone.localdate()
    data = form_data(client.get(url("structure_close", "Cardiologie")).text, "formulaire-fermeture")
    assert data["closed_on"] == [today.isoformat()]

    confirmation = client.post(url("structure_close", "Cardiologie"), data)

    page = text(confirmation)
    assert "4 sous-structures" in page and "4 offres" in page
    for name in ("Consultation Cardiologie", "Salle d'échographie cardiaque", "Échographie cardiaque"):
        assert name in page
    assert node("Cardiologie").closed_on is None  # nothing closed before the confirmation
    done = client.post(url("structure_close", "Cardiologie"), form_data(confirmation.text, "formulaire-confirmation"))
    assert done.status_code == 302
    assert Offer.objects.filter(structure__parent=node("Cardiologie"), closed_on=today).count() == 4
    page = text(client.get(done["Location"]))
    assert f"Fermée depuis le {today:%d/%m/%Y}" in page and "Rouvrir la structure" in page
    assert "Fermer la structure" not in page and "Déplacer la structure" not in page


def test_a_closing_date_before_the_opening_is_refused(client_for):
    Structure.objects.filter(pk=node("Cardiologie").pk).update(opened_on=datetime.date(2020, 1, 1))
    client = client_for("gestionnaire")
    data = form_data(client.get(url("structure_close", "Cardiologie")).text, "formulaire-fermeture")
    before = tree_state()

    response = client.post(url("structure_close", "Cardiologie"), data | {"closed_on": ["2019-12-31"],
                                                                          "action": ["confirmer"]})  # fmt: skip

    assert "La date de fermeture précède la date d'ouverture (01/01/2020)." in text(response)
    assert tree_state() == before


def test_reopening_with_what_was_closed_with_it(client_for):
    client = client_for("gestionnaire")
    data = form_data(client.get(url("structure_close", "Cardiologie")).text, "formulaire-fermeture")
    confirmation = client.post(url("structure_close", "Cardiologie"), data)
    client.post(url("structure_close", "Cardiologie"), form_data(confirmation.text, "formulaire-confirmation"))

    page = client.get(url("structure_reopen", "Cardiologie"))
    data = form_data(page.text, "formulaire-reouverture")
    assert data["with_contents"] == ["on"] and "4 sous-structures et 4 offres" in text(page)
    response = client.post(url("structure_reopen", "Cardiologie"), data)

    assert response.status_code == 302
    assert not Structure.objects.filter(closed_on__isnull=False).exists()
    assert not Offer.objects.filter(closed_on__isnull=False).exists()
    assert "Rouverte par Camille Gestionnaire" in text(client.get(response["Location"]))


def test_reopening_alone_when_the_box_is_unticked(client_for):
    client = client_for("gestionnaire")
    data = form_data(client.get(url("structure_close", "Cardiologie")).text, "formulaire-fermeture")
    confirmation = client.post(url("structure_close", "Cardiologie"), data)
    client.post(url("structure_close", "Cardiologie"), form_data(confirmation.text, "formulaire-confirmation"))
    data = form_data(client.get(url("structure_reopen", "Cardiologie")).text, "formulaire-reouverture")
    del data["with_contents"]

    client.post(url("structure_reopen", "Cardiologie"), data)

    assert node("Cardiologie").closed_on is None and node("HC Cardiologie").closed_on is not None


def test_an_open_structure_has_nothing_to_reopen(client_for):
    page = text(client_for("gestionnaire").get(url("structure_reopen", "Cardiologie")))

    assert "« Cardiologie » n'est pas fermé(e)." in page


# --- moving ----------------------------------------------------------------------------------------------------


def test_the_move_picker_shows_the_current_level_with_a_reason_for_each_refusal(client_for):
    client = client_for("gestionnaire")

    page = text(client.get(url("structure_move", "Salle d'échographie cardiaque")))

    assert "Emplacement affiché : CLINIQUE CLAUDE BERNARD - ALBI › Médecine › Cardiologie" in page
    assert f"C'est le rattachement actuel de « {SALLE} » : choisissez un autre emplacement." in page
    assert "Une unité fonctionnelle ne se place pas sous une unité fonctionnelle" in page  # its sibling UF
    assert "la structure à déplacer" in page


def test_moving_a_unit_with_its_offer_through_the_picker_pages(client_for):
    client = client_for("gestionnaire")
    target = node("Médecine")
    page = client.get(url("structure_move", "Salle d'échographie cardiaque", noeud=target.pk))
    shown = text(page)
    assert "Nouvel emplacement Médecine" in shown and 'id="picker-refusal"' not in page.content.decode()
    assert "Cardiologie · Service · rattachement actuel" in shown
    offer = Offer.objects.get(nom="Échographie cardiaque")

    response = client.post(url("structure_move", "Salle d'échographie cardiaque"),
                           form_data(page.text, "formulaire-deplacement"))  # fmt: skip

    assert response.status_code == 302
    moved = node("Salle d'échographie cardiaque")
    assert moved.parent_id == target.pk
    assert Offer.objects.get(pk=offer.pk).structure_id == moved.pk
    assert "Déplacée de « Cardiologie » vers « Médecine »" in text(client.get(response["Location"]))
    offer_page = text(client.get(reverse("offer_detail", args=[offer.pk])))
    assert "Déplacée avec « Salle d'échographie cardiaque » de « Cardiologie » vers « Médecine »" in offer_page
    assert_tree_exact(moved.tree_id)


def test_the_picker_navigates_with_htmx_fragments(client_for):
    client = client_for("gestionnaire")

    response = client.get(
        url("structure_move", "Salle d'échographie cardiaque", noeud=node("Médecine").pk),
        headers={"HX-Request": "true", "HX-Target": "picker-body"},
    )

    body = response.content.decode()
    assert "<html" not in body and 'data-picker-location="Emplacement affiché : Médecine"' in body


@pytest.mark.parametrize(
    ("mover", "target", "message"),
    [
        ("Médecine", "Cardiologie", "Un pôle ne se déplace pas"),  # a pôle under its own service
        ("Cardiologie", "HC Cardiologie", "sous elle-même"),
        ("HC Cardiologie", "HJ Cardiologie", "ne se place pas sous une unité fonctionnelle"),
        ("HC Cardiologie", "Cardiologie", "déjà rattaché"),
        ("Cardiologie", "Pédiatrie - Obstétrique", None),  # closed meanwhile (below)
    ],
)
def test_forged_moves_are_refused_with_nothing_changed(client_for, mover, target, message):
    client = client_for("gestionnaire")
    if message is None:
        Structure.objects.filter(pk=node(target).pk).update(closed_on=datetime.date(2020, 1, 1))
        message = "« Pédiatrie - Obstétrique » est fermé(e) depuis le 01/01/2020."
    before = tree_state()

    response = client.post(url("structure_move", mover), {"cible": node(target).pk, "version": "1"})

    assert response.status_code == 200 and message in text(response)
    assert tree_state() == before


def test_a_move_into_another_eg_is_a_404(client_for):
    client = client_for("gestionnaire")
    elsewhere = Structure.objects.get(name="Médecine polyvalente")  # the Refuge protestant, also managed
    before = tree_state()

    response = client.post(url("structure_move", "HC Cardiologie"), {"cible": elsewhere.pk, "version": "1"})

    assert response.status_code == 404 and tree_state() == before


# --- query counts: the same whatever the size of the EG -----------------------------------------------------------

ORGANISATION_QUERIES = {
    "ajouter": 5,  # session, user, habilitations; the structure, its ancestors
    "modifier": 5,
    "fermer": 5,
    "fermer, confirmation": 9,  # the counts and the first names of what closes: four
    "rouvrir": 10,  # what was closed with it: its latest closing, then the counts and names (four)
    "déplacer": 8,
    "déplacer, un niveau plus haut": 8,
}


@pytest.fixture(params=[(2, 3), (30, 40)])
def sized_tree(request, db):
    from tests.accounts.factories import HabilitationFactory
    from tests.structures.builders import big_etablissement

    poles, ufs = request.param
    eg = big_etablissement(poles=poles, ufs_per_pole=ufs, offers_per_uf=3)
    user = HabilitationFactory(etablissement=eg).user
    pole = Structure.objects.filter(parent=eg).order_by("lft").first()
    uf = Structure.objects.filter(parent=pole).order_by("lft").first()
    closed = Structure.objects.filter(parent=pole).order_by("-lft").first()
    organisation.close(user, closed, datetime.date(2999, 1, 1))  # planned: its three offers with it
    return eg, pole, uf, user, closed


@pytest.mark.parametrize("page", list(ORGANISATION_QUERIES))
def test_organisation_pages_run_the_same_number_of_queries_at_every_size(
    client, sized_tree, django_assert_num_queries, page
):
    eg, pole, uf, user, closed = sized_tree
    requests = {
        "ajouter": ("get", reverse("structure_add", args=[pole.pk]), None),
        "modifier": ("get", reverse("structure_edit", args=[uf.pk]), None),
        "fermer": ("get", reverse("structure_close", args=[uf.pk]), None),
        "fermer, confirmation": (
            "post", reverse("structure_close", args=[eg.get_children().last().pk]),
            {"closed_on": "2030-01-01", "version": "1", "action": "apercu"},
        ),
        "rouvrir": ("get", reverse("structure_reopen", args=[closed.pk]), None),
        "déplacer": ("get", reverse("structure_move", args=[uf.pk]), None),
        "déplacer, un niveau plus haut": ("get", reverse("structure_move", args=[uf.pk]) + f"?noeud={eg.pk}", None),
    }  # fmt: skip
    method, address, data = requests[page]
    client.force_login(user)
    client.get(reverse("home"))  # the session's first request of the minute records its activity

    with django_assert_num_queries(ORGANISATION_QUERIES[page]):
        response = getattr(client, method)(address, data) if data else client.get(address)

    assert response.status_code == 200


@pytest.mark.parametrize("action", ["structure_close", "structure_reopen", "structure_move"])
def test_a_write_based_on_an_outdated_page_is_refused_on_every_page(client_for, action):
    """The page was read at version 1; someone renamed the structure meanwhile (version 2)."""
    client = client_for("gestionnaire")
    uf = node("HC Cardiologie")
    if action == "structure_reopen":
        Structure.objects.filter(pk=uf.pk).update(closed_on=datetime.date(2020, 1, 1))
    Structure.objects.filter(pk=uf.pk).update(version=2, name="HC Cardio")
    data = {"closed_on": "2026-01-01", "version": "1", "action": "confirmer", "cible": str(node("Médecine").pk)}
    before = tree_state()

    response = client.post(url(action, "HC Cardio"), data)

    assert response.status_code == 200 and "a été modifié(e) entre-temps" in text(response)
    assert tree_state() == before


def test_reopening_inside_a_closed_structure_is_refused_on_the_page(client_for):
    for name in ("Cardiologie", "HC Cardiologie"):
        Structure.objects.filter(pk=node(name).pk).update(closed_on=datetime.date(2020, 1, 1))
    client = client_for("gestionnaire")
    before = tree_state()

    page = client.get(url("structure_reopen", "HC Cardiologie"))
    response = client.post(url("structure_reopen", "HC Cardiologie"), {"version": "1", "with_contents": "on"})

    assert "rouvrez d'abord « Cardiologie »" in text(page) and "rouvrez d'abord « Cardiologie »" in text(response)
    assert tree_state() == before
    assert (
        'href="' + url("structure_reopen", "HC Cardiologie") + '"'
        not in client.get(reverse("structure_detail", args=[node("HC Cardiologie").pk])).content.decode()
    )
