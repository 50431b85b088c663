"""What each user's lists contain, row by row and count by count, checked against a plain-Python oracle."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Habilitation
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.structures.factories import EtablissementFactory

pytestmark = pytest.mark.django_db


def expected_etablissements(user):
    """The EG a user may read, computed in Python from the habilitations (independent of the querysets)."""
    rows = list(user.habilitations.all())
    return {
        eg
        for eg in Structure.objects.filter(kind="EG")
        if any(
            h.etablissement_id == eg.pk
            or h.entite_juridique_id == eg.entite_juridique_id
            or h.departement == eg.departement
            for h in rows
        )
    }


@pytest.fixture
def several_roles(seed):
    """Responsable of the Guyane EHPAD, régulateur of the Tarn: two scopes from two roles."""
    user = UserFactory(username="plusieurs")
    HabilitationFactory(user=user, etablissement=Structure.objects.get(finess_et="970302287"))
    HabilitationFactory(user=user, role=Habilitation.Role.REGULATEUR, departement="81")
    return user


@pytest.mark.parametrize("username", ["gestionnaire", "autre", "referent", "regulateur", "plusieurs"])
def test_lists_and_counts_hold_exactly_the_users_scope(client, seed, several_roles, django_user_model, username):
    user = django_user_model.objects.get(username=username)
    expected = expected_etablissements(user)
    client.force_login(user)

    home = client.get(reverse("mes_etablissements")).context
    listed, query = set(), ""
    for _ in range(10):
        page = client.get(reverse("etablissement_list") + query).context["page"]
        listed |= set(page.object_list)
        if not page.has_next:
            break
        query = f"?apres={page.next_cursor}"
    ej_rows = {row.finess_ej: row.eg_count for row in client.get(reverse("entite_juridique_list")).context["page"]}

    assert expected  # every user here has something
    assert listed == expected
    assert (home["eg_count"].value, home["ej_count"].value) == (
        len(expected),
        len({eg.entite_juridique_id for eg in expected}),
    )
    per_ej = {}
    for eg in expected:
        per_ej[eg.entite_juridique.finess_ej] = per_ej.get(eg.entite_juridique.finess_ej, 0) + 1
    assert ej_rows == per_ej


@pytest.mark.parametrize("username", ["gestionnaire", "referent", "plusieurs"])
@pytest.mark.parametrize("sort", ["nom", "-nom"])
def test_a_name_search_lists_its_matches_in_order_page_after_page(
    client, several_roles, django_user_model, username, sort
):
    """A name search's pages are read in two steps (ids, then rows: ``CompiledKeyset``): every match of the scope,
    once, in the list's order, forwards from the first page and backwards from the last."""
    user = django_user_model.objects.get(username=username)
    for n in range(30):  # more pages in the Tarn, names repeated (the id breaks the tie) and in both cases
        EtablissementFactory(name=["Centre Saint-Jean", "centre de santé", f"Résidence Ventadour {n}"][n % 3])
    term = "ent"  # NAME_MIN_LENGTH characters
    matches = sorted(
        (eg for eg in expected_etablissements(user) if term in eg.name.lower()),
        key=lambda eg: (eg.name.lower(), eg.pk),
        reverse=sort == "-nom",
    )
    client.force_login(user)
    url = reverse("etablissement_list") + f"?q={term}&tri={sort}"

    forwards, query = [], ""
    for _ in range(20):
        page = client.get(url + query).context["page"]
        forwards += page.object_list
        if not page.has_next:
            break
        query = f"&apres={page.next_cursor}"
    backwards, query = [], "&fin=1"
    for _ in range(20):
        page = client.get(url + query).context["page"]
        backwards = page.object_list + backwards
        if not page.has_previous:
            break
        query = f"&avant={page.previous_cursor}"

    assert len(matches) > 25 or username != "referent", len(matches)  # the référent's search spans pages
    assert forwards == matches
    assert backwards == matches


@pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes are PostgreSQL's")
@pytest.mark.parametrize("username", ["gestionnaire", "referent", "regulateur", "plusieurs"])
@pytest.mark.parametrize("page", ["first", "next"])
def test_a_name_search_reads_its_pages_ids_from_the_index_alone(
    client, several_roles, django_user_model, username, page
):
    """The first step of a name search's page (``CompiledKeyset``: the first page's ids and count, or the ids after
    a cursor) needs no row of the table: the indexes on the names (all EG, or a département's) include the name and
    the columns of every scope. The second step reads the page's rows by primary key (``= ANY``)."""
    client.force_login(django_user_model.objects.get(username=username))
    url = reverse("etablissement_list") + "?q=ent"
    if page == "next":
        url += f"&apres={client.get(url).context['page'].object_list[0].pk}"
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).context["page"].object_list
    walks = [
        query["sql"]
        for query in captured
        if "LIKE" in query["sql"] and "ORDER BY LOWER" in query["sql"] and not query["sql"].startswith("SELECT COUNT")
    ]
    assert walks
    for walk_sql in walks:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables would be read whole anyway
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")  # nor sorted after reading a few rows
            cursor.execute(f"EXPLAIN {walk_sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert re.search(r"Index Only Scan using structures_eg_(name|dep)_cover_idx", plan), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes are PostgreSQL's")
@pytest.mark.parametrize("who", ["national", "superuser"])
def test_the_ej_list_tests_its_ej_against_the_eg_index_alone(client, seed, who):
    """Which EJ have an EG in a national scope (the EJ list's count) reads structures_eg_ej_idx alone: the EG of an
    EJ with their département, not the foreign key's index of every structure and the table's rows (5 to 7 ms on
    the benchmark's 50,000 EG, 1 ms). One département's référent reads structures_eg_dep_cover_idx."""
    if who == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
    else:
        user = UserFactory()
        for departement in ["09", "31", "81", "973"]:
            HabilitationFactory(user=user, referent=True, departement=departement)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("entite_juridique_list"))
    assert response.status_code == 200 and response.context["page"].object_list
    (count_sql,) = [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT(*)")]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables would be read whole anyway
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {count_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # A few départements may also be read from the départements' covering index (a plan the planner picks by the
    # statistics of the moment); the whole country only from structures_eg_ej_idx. Never the foreign key's index.
    covering = r"structures_eg_ej_idx" if who == "superuser" else r"structures_eg_(ej_idx|dep_cover_idx)"
    assert re.search(rf"Index Only Scan using {covering} on structures_structure", plan), plan
    assert "entite_juridique_id_585691f2" not in plan, plan
