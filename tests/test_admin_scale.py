"""The admin at national scale: bounded counts, a fixed number of queries per changelist, one territory check per
object and request, trigram indexes for the searches."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import User
from nomenclatures.models import CategorieEtablissement
from offers.models import Contact, Offer
from ror_portal import admin_lists
from ror_portal.admin_lists import BoundedPaginator, sorted_window, unindexed
from structures import admin_scope
from structures.models import EntiteJuridique, Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import ContactFactory
from tests.structures.builders import big_etablissement, many_etablissements
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


def changelist(model, query=""):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") + query


def text(response):
    return " ".join(unescape(response.content.decode()).split())


# --- Bounded counts ----------------------------------------------------------------------------------------------


@pytest.fixture
def bound_of_60(monkeypatch):
    monkeypatch.setattr(BoundedPaginator, "bound", 60)
    monkeypatch.setattr(admin_lists.BoundedChangeListMixin, "search_bound", 60)


def test_a_count_above_the_bound_says_plus_de_and_offers_the_pages_up_to_it(client, superuser, bound_of_60):
    many_etablissements(70)
    client.force_login(superuser)

    first = client.get(changelist(Structure))
    third = client.get(changelist(Structure, "?p=3"))
    beyond = client.get(changelist(Structure, "?p=4"))

    assert "plus de 60 structures" in text(first)
    assert "Sélectionner" not in text(first)  # no bulk action on structures: each deletion is checked on its own
    assert first.context["cl"].result_count == 60
    assert len(first.context["cl"].result_list) == 25  # the portal's page size (ror_portal.pagination)
    assert len(third.context["cl"].result_list) == 10  # rows 51–60: the window stops at the bound
    assert beyond.status_code == 302 and beyond["Location"].endswith("?e=1")  # Django's "bad lookup" redirect


def test_selecting_every_row_above_the_bound_says_plus_de(client, superuser, bound_of_60):
    big_etablissement(poles=2, ufs_per_pole=7, offers_per_uf=5)  # 70 offers
    client.force_login(superuser)

    response = client.get(changelist(Offer))

    assert "Sélectionner les plus de 60 offres" in text(response)


def test_a_search_above_the_bound_says_plus_de_n_resultats(client, superuser, bound_of_60):
    many_etablissements(70)
    client.force_login(superuser)

    response = client.get(changelist(Structure, "?q=NOMBRE"))

    assert 'plus de 60 résultats (<a href="?">Tout afficher</a>)' in text(response)


def test_a_search_lists_at_most_its_own_bound(client, superuser, monkeypatch):
    """A search stops at ``search_bound`` (250 matches: 10 pages), the plain list at the count's bound (1,000)."""
    monkeypatch.setattr(BoundedPaginator, "bound", 60)
    monkeypatch.setattr(admin_lists.BoundedChangeListMixin, "search_bound", 30)
    many_etablissements(70)
    client.force_login(superuser)

    listed = client.get(changelist(Structure))
    searched = client.get(changelist(Structure, "?q=NOMBRE"))
    second = client.get(changelist(Structure, "?q=NOMBRE&p=2"))
    beyond = client.get(changelist(Structure, "?q=NOMBRE&p=3"))

    assert "plus de 60 structures" in text(listed)
    assert 'plus de 30 résultats (<a href="?">Tout afficher</a>)' in text(searched)
    assert searched.context["cl"].result_count == 30
    assert len(second.context["cl"].result_list) == 5  # rows 26–30
    assert beyond.status_code == 302


def test_a_frequent_search_term_sorts_the_first_matches_found(
    client, superuser, bound_of_60, django_assert_num_queries
):
    """Above the bound, the search lists bound + 1 matches (those first by id), sorted: a more precise term finds
    the others."""
    many_etablissements(70)
    client.force_login(superuser)
    url = changelist(Structure, "?q=NOMBRE&p=3")  # rows 51–60
    client.get(url)

    with django_assert_num_queries(4) as captured:
        response = client.get(url)

    searches = [query["sql"] for query in captured.captured_queries if "LIKE" in query["sql"]]
    # The matches are read once, bounded, found in id order and sorted after the LIMIT; their number is the count
    # (no COUNT query) and the page looks up its own ids, without the search's condition again.
    assert len(searches) == 1
    found, _, sort = searches[0].partition("LIMIT 61")
    assert re.search(r'ORDER BY (1|"structures_structure"\."id") ASC\s*$', found), found
    assert "ORDER BY" in sort
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)
    page = captured.captured_queries[-1]["sql"]
    by_id = '"id" = ANY(' if connection.vendor == "postgresql" else '"id" IN ('  # one array: ror_portal.lookups
    assert page.count(by_id) == 1 and "ORDER BY" in page and "LIKE" not in page
    if connection.vendor == "sqlite":  # one placeholder per id: the page's 10, not the window's 61
        assert page.count("%s") - page.count("LIKE") < 20
    names = [row.name for row in response.context["cl"].result_list]
    assert len(names) == 10 and names == sorted(names)
    assert 'plus de 60 résultats (<a href="?">Tout afficher</a>)' in text(response)


def test_the_pages_of_a_search_list_its_window_in_order(client, superuser, bound_of_60):
    """Each page reads its own ids of the sorted window: together the pages list the 60 reachable matches,
    each once, in the list's order."""
    many_etablissements(70)
    client.force_login(superuser)

    pages = [client.get(changelist(Structure, f"?q=NOMBRE&p={number}")) for number in range(1, 4)]  # 25, 25 and 10 rows

    names = [row.name.lower() for page in pages for row in page.context["cl"].result_list]
    assert len(names) == 60 and len(set(names)) == 60
    first_by_id = Structure.objects.filter(name__icontains="NOMBRE").order_by("pk")[:60]
    assert names == sorted(structure.name.lower() for structure in first_by_id)  # the same window at each page
    assert client.get(changelist(Structure, "?q=NOMBRE&p=4")).status_code == 302  # beyond the bound: page 1


def test_a_count_below_the_bound_is_exact(client, superuser, bound_of_60):
    many_etablissements(7)
    client.force_login(superuser)

    response = client.get(changelist(Structure, "?q=NOMBRE"))

    assert '7 résultats (<a href="?">Tout afficher</a>)' in text(response)
    assert "7 structures" in text(response)


def test_the_count_reads_at_most_the_bound_plus_one_row(client, superuser, bound_of_60, django_assert_num_queries):
    many_etablissements(70)
    client.force_login(superuser)
    client.get(changelist(Structure))

    with django_assert_num_queries(4) as captured:
        client.get(changelist(Structure))

    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1  # no count of the unfiltered table (show_full_result_count = False)
    assert "LIMIT 61" in counts[0]


# --- Queries per changelist: the same at two data sizes ------------------------------------------------------


SIZES = {"petit": (2, 2, 2, 3), "grand": (20, 10, 5, 200)}  # pôles, UF per pôle, offers per UF, other EG

CHANGELISTS = {
    # page: (query string, queries for a référent, queries for a superuser); session, user and habilitations
    # included. A référent reads one more (their habilitations), never Django's permission tables
    # (ror_portal/admin_site.py).
    "structures": (changelist(Structure), 5, 4),
    "structures, a level": (None, 6, 5),
    "structures, search": (changelist(Structure, "?q=UF"), 5, 4),  # the matches' ids read once are the count
    "offres": (changelist(Offer), 5, 4),  # the champs d'activité of the filter from nomenclatures.cache
    "offres, search": (changelist(Offer, "?q=Offre"), 5, 4),
    "entités juridiques": (changelist(EntiteJuridique), 5, 4),
    "contacts": (changelist(Contact), 5, 4),
    "utilisateurs": (changelist(User), 5, 4),  # no filter by group (UserAdmin.list_filter)
    "catégories": (changelist(CategorieEtablissement), 5, 4),
}


@pytest.fixture(params=list(SIZES))
def national_data(request, db):
    poles, ufs, offers, others = SIZES[request.param]
    eg = big_etablissement(poles=poles, ufs_per_pole=ufs, offers_per_uf=offers, departement="81")
    many_etablissements(others, departement="81")
    for offer in Offer.objects.order_by("pk")[:others]:
        ContactFactory(offer=offer)
    for n in range(others):
        HabilitationFactory(etablissement=eg, user__username=f"compte{n:04d}")
    return eg


@pytest.mark.parametrize("role", ["référent", "superuser"])
@pytest.mark.parametrize("page", list(CHANGELISTS))
def test_changelists_run_the_same_number_of_queries_at_every_size(
    client, national_data, django_assert_num_queries, role, page
):
    url, referent_queries, superuser_queries = CHANGELISTS[page]
    url = url or changelist(Structure, f"?parent={national_data.pk}")
    if role == "superuser":
        user, expected = UserFactory(is_superuser=True, is_staff=True), superuser_queries
    else:
        user, expected = (
            HabilitationFactory(referent=True, departement="81", user__is_staff=True).user,
            referent_queries,
        )
    client.force_login(user)
    client.get(url)  # the session's first request of the minute records its activity

    with django_assert_num_queries(expected):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) > 0


# --- One territory check per object and request --------------------------------------------------------------


def test_a_change_page_checks_the_territory_once_per_object(client, monkeypatch):
    offer_owner = HabilitationFactory(referent=True, departement="81", user__is_staff=True).user
    eg = big_etablissement(poles=1, ufs_per_pole=1, offers_per_uf=1, departement="81")
    offer = Offer.objects.get(structure__tree_id=eg.tree_id)
    ContactFactory.create_batch(3, offer=offer)
    calls = []
    real = admin_scope.administered
    monkeypatch.setattr(admin_scope, "administered", lambda model, user: calls.append(model) or real(model, user))
    client.force_login(offer_owner)

    response = client.get(reverse("admin:offers_offer_change", args=[offer.pk]))

    assert response.status_code == 200
    assert calls == [Offer]  # the offer's and its inline's permissions ask it many times: computed once


# --- Trigram indexes (PostgreSQL) ----------------------------------------------------------------------------


TRIGRAM_SEARCHES = [
    (Structure, "name", "structures_structure_name_trgm"),
    (Structure, "finess_et", "structures_structure_finess_et_trgm"),
    (EntiteJuridique, "raison_sociale", "structures_entitejuridique_raison_sociale_trgm"),
    (Offer, "nom", "offers_offer_nom_trgm"),
    (Offer, "identifiant", "offers_offer_identifiant_trgm"),
    (Contact, "nom", "offers_contact_nom_trgm"),
    (User, "last_name", "accounts_user_last_name_trgm"),
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
@pytest.mark.parametrize(("model", "field", "index"), TRIGRAM_SEARCHES)
def test_icontains_searches_use_the_trigram_index(model, field, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty test table would be scanned anyway

        plan = model.objects.filter(**{f"{field}__icontains": "saint"}).order_by().explain()

    assert index in plan


@pytest.mark.parametrize("key", ["name", "-name", "pk", "-pk", Lower("name"), Lower("name").desc()])
def test_an_unindexed_ordering_key_gives_the_same_order(key):
    many_etablissements(12)
    StructureFactory(name="éclair")  # accents and case: the database's own comparison either way
    StructureFactory(name="Zèbre")

    fenced = list(Structure.objects.order_by(unindexed(key), "pk").values_list("pk", flat=True))

    assert fenced == list(Structure.objects.order_by(key, "pk").values_list("pk", flat=True))
    assert "COALESCE" in str(Structure.objects.order_by(unindexed(key)).query)


@pytest.mark.parametrize(
    "ordering",
    [
        ["name", "pk"],
        ["-name", "-pk"],
        [Lower("name"), "pk", Lower("name"), "-pk"],  # repeated keys, as the admin's tie-breaker adds
        [F("closed_on").desc(nulls_last=True), "pk"],
        [F("closed_on").asc(nulls_first=True), "-pk"],
        [F("entite_juridique__raison_sociale").desc(), "pk"],  # a key across a join
    ],
)
def test_a_search_window_is_sorted_as_the_list(ordering):
    many_etablissements(12)
    StructureFactory(name="éclair")  # accents and case: the database's own comparison either way
    StructureFactory(name="Zèbre", closed_on=datetime.date(2026, 1, 1))
    queryset = Structure.objects.order_by(*ordering)

    assert sorted_window(queryset, 100) == list(queryset.values_list("pk", flat=True))
    assert len(sorted_window(queryset, 5)) == 5  # the first 5 found, whichever
