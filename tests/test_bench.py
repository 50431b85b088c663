"""The benchmark (bench/): the generated data set is a valid tree under the model's rules, its accounts log in,
the bare view exists only when asked for, and the in-process query counts run on it."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max
from django.test import override_settings
from django.urls import reverse

from bench import generate, pages, queries, report, views
from offers.models import Contact, Offer, OfferIdentifierSequence
from structures import departements
from structures.models import EntiteJuridique, Structure
from tests.structures.test_etablissement_categorie import wrong_etablissement_categories

pytestmark = pytest.mark.django_db

SCALE = 0.001  # 50 EG, a CHU of 6 pôles × 15 UF, 500 offers


@pytest.fixture
def bench_data():
    out = StringIO()
    call_command("bench_data", scale=SCALE, stdout=out)
    return out.getvalue()


def positions():
    return list(Structure.objects.order_by("pk").values_list("pk", "parent_id", "tree_id", "lft", "rght", "level"))


def test_the_generated_trees_are_the_ones_django_mptt_would_build(bench_data):
    generated = positions()

    Structure.objects.rebuild()

    assert positions() == generated
    assert Structure.objects.etablissements().count() == 50
    # One tree per EG.
    assert Structure.objects.values("tree_id").distinct().count() == 50


def test_the_chu_has_its_poles_and_ufs(bench_data):
    chu = Structure.objects.get(finess_et=generate.CHU_FINESS)

    poles = chu.get_children()

    assert poles.count() == 6 and {p.kind for p in poles} == {Structure.Kind.POLE}
    assert {pole.get_children().count() for pole in poles} == {15}
    assert chu.get_descendant_count() == 6 * 16
    assert chu.categorie.code == "101" and chu.departement == generate.CHU_DEPARTEMENT
    assert chu.entite_juridique.etablissements.count() == 4


def test_every_row_passes_the_models_validation(bench_data):
    nodes = Structure.objects.select_related("parent", "categorie", "entite_juridique")
    # Every EG and the internal structures of a few trees: fields, clean() (which kind under which), constraints.
    for node in [*nodes.filter(kind="EG"), *nodes.exclude(kind="EG").filter(tree_id__in=[1, 5, 9, 13])]:
        node.full_clean()
    for offer in Offer.objects.select_related("structure")[:100]:
        offer.full_clean()
    for contact in Contact.objects.select_related("offer")[:50]:
        contact.full_clean()
    assert not Structure.objects.exclude(kind="EG").exclude(level=F("parent__level") + 1).exists()
    assert not Structure.objects.exclude(kind="EG").exclude(tree_id=F("parent__tree_id")).exists()
    assert EntiteJuridique.objects.annotate(n=Count("etablissements")).filter(n=0).count() == 0
    assert wrong_etablissement_categories() == []


def test_offers_follow_the_rules_and_number_like_the_model(bench_data):
    assert Offer.objects.count() == 500
    # Sanitaire offers go to a service or a unit; médico-social ones to their EG.
    assert (
        not Offer.objects.filter(champ_activite_id__in=["01", "02", "03"])
        .exclude(structure__kind__in=[Structure.Kind.SERVICE, Structure.Kind.UF])
        .exists()
    )
    identifiants = list(Offer.objects.values_list("identifiant", "structure__tree_id"))
    assert len({i for i, _ in identifiants}) == 500
    sequences = dict(OfferIdentifierSequence.objects.values_list("region", "last_value"))
    roots = dict(Structure.objects.etablissements().values_list("tree_id", "departement"))
    for identifiant, tree_id in identifiants:
        region, number = identifiant.split("/")
        assert region == departements.region(roots[tree_id])
        assert 1 <= int(number) <= sequences[region]
    # The model's own numbering goes on after the generated ones.
    uf = Structure.objects.filter(kind=Structure.Kind.UF).first()
    offer = Offer.objects.create(
        structure=uf, nom="Nouvelle offre", champ_activite_id="01", modele_saisie="260/01", mode_prise_en_charge_id="28"
    )
    region = offer.identifiant.split("/")[0]
    assert int(offer.identifiant.split("/")[1]) == sequences[region] + 1
    assert (
        Structure.objects.aggregate(m=Max("pk"))["m"]
        < Structure.objects.create(kind=Structure.Kind.UF, name="Nouvelle UF", parent=uf.parent).pk
    )


def test_a_second_run_refuses_until_reset(bench_data):
    with pytest.raises(CommandError, match="--reset"):
        call_command("bench_data", scale=SCALE, stdout=StringIO())
    call_command("bench_data", scale=SCALE, if_empty=True, stdout=StringIO())

    call_command("bench_data", scale=SCALE, reset=True, stdout=StringIO())

    assert Structure.objects.etablissements().count() == 50


@pytest.mark.parametrize("username", list(generate.ACCOUNTS))
def test_the_accounts_log_in_through_the_login_form(client, bench_data, username):
    response = client.post(reverse("login"), {"username": username, "password": generate.PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_accounts_have_their_roles(bench_data):
    national = generate.get_user_model().objects.get(username="bench-national")
    referent = generate.get_user_model().objects.get(username="bench-referent")

    assert Structure.objects.etablissements_administered_by(national).count() == 50
    assert set(Structure.objects.etablissements_administered_by(referent).values_list("departement", flat=True)) == {
        generate.CHU_DEPARTEMENT
    }
    assert national.is_staff and referent.is_staff


def test_the_bare_view_is_not_routed_without_the_setting(client, superuser):
    client.force_login(superuser)

    assert client.get(pages.BARE).status_code == 404


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_bare_view_goes_through_the_login_requirement(client, superuser):
    assert client.get(pages.BARE).status_code == 302

    client.force_login(superuser)

    assert client.get(pages.BARE).status_code == 200


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_calibration_pages_run_the_layout_and_their_queries(client, superuser, django_assert_num_queries):
    client.force_login(superuser)
    assert client.get("/bench/etalon/5/").status_code == 200
    for n in views.ETALON_QUERIES:
        with django_assert_num_queries(2 + n):  # session and user, then the calibration's own
            response = client.get(f"/bench/etalon/{n}/")
        assert response.status_code == 200 and response.content.decode().count("<li>" + superuser.username) == n
    for other in (0, 2, 11, 10**6):  # no query count chosen in the URL
        assert client.get(f"/bench/etalon/{other}/").status_code == 404
    client.logout()
    assert client.get("/bench/etalon/5/").status_code == 302


def test_the_calibration_rows_have_no_target():
    assert report.verdict({"kind": "reference", "p50": 100.0, "p95": 100.0}, {"p50": 1.0, "rps": 1}) == ""
    assert report.verdict({"kind": "portal", "p50": 100.0, "p95": 1.0}, {"p50": 1.0, "rps": 1}).startswith("✗")


def test_a_page_is_compared_with_the_bare_view_measured_beside_it():
    run_bare = {"p50": 2.0, "rps": 800}
    slow_minute = {"kind": "portal", "p50": 12.0, "p95": 20.0, "rps": 200, "bare_p50": 4.0, "bare_rps": 600}
    older = {"kind": "portal", "p50": 12.0, "p95": 20.0, "rps": 200}

    assert report.verdict(slow_minute, run_bare) == "✓"  # 3× and 33 % of the bare view of the same seconds
    assert report.verdict(older, run_bare) == "✗ p50 > 4×"  # no bare view beside it: the run's, 6×
    results = {"queries": {}, "run": {"meta": {}, "pages": [{"kind": "bare", **run_bare}, slow_minute]}}
    results["run"]["meta"] = {"date": "d", "commit": "c", "database": "x", "size": "s", "server": "g", "method": "m"}
    for row in results["run"]["pages"]:
        row |= {"id": "r", "role": "bench-national", "label": "p", "n": 200, "p95": row.get("p95", 3.0)}
    assert "| 12.0 | 20.0 | 4.0 | 3.0× | 200 | 33% | 200 | ✓ |" in report.markdown(results)


def test_a_repeated_page_keeps_the_run_with_the_median_ratio():
    def run(p50, bare_p50):
        return {"kind": "portal", "p50": p50, "p95": p50 * 1.5, "bare_p50": bare_p50, "rps": 100, "n": 200}

    noisy_second, usual, quiet = run(30.0, 3.0), run(12.0, 3.0), run(10.0, 4.0)  # 10×, 4×, 2.5×

    assert report.median_run([noisy_second, usual, quiet]) == {**usual, "runs": 3, "ratio_range": [2.5, 10.0]}
    assert report.median_run([noisy_second, quiet]) == {**quiet, "runs": 2, "ratio_range": [2.5, 10.0]}  # lower
    assert report.median_run([usual]) == usual  # one run: the row as measured
    bare_rows = [{"kind": "bare", "p50": 3.0}, {"kind": "bare", "p50": 2.0}, {"kind": "bare", "p50": 9.0}]
    assert report.median_run(bare_rows)["p50"] == 3.0  # the bare view itself: by its p50


def test_the_bench_needs_one_run_per_page_at_least():
    with pytest.raises(CommandError, match="au moins une mesure"):
        call_command("bench", repeat=0, stdout=StringIO())


def test_the_setting_comes_from_the_environment():
    from tests.test_settings import run_python

    code = "from django.conf import settings; print(settings.BENCH_VIEW, settings.ROOT_URLCONF)"

    assert run_python(code, DEBUG="true").stdout.split() == ["False", "ror_portal.urls"]
    assert run_python(code, DEBUG="true", BENCH_VIEW="true").stdout.split() == ["True", "bench.urls"]


def test_query_counts_run_on_every_page_with_discovered_pagination(bench_data):
    page_list = pages.build(roles=["bench-national", "bench-regulateur"])

    counted = queries.count_queries(page_list)

    keys = {page.key for page in page_list}
    assert {"bare", "eg-list", "eg-list-last", "chu", "pole", "uf", "offer", "picker-level", "admin-offers"} <= keys
    last = next(page for page in page_list if page.key == "eg-list-last")
    assert last.path != reverse("etablissement_list")  # found by following the "Dernière page" link
    assert {status for status, _n in counted.values()} == {200}
    assert all(n > 0 for _status, n in counted.values())
    assert not any(page.key == "offer-edit" for page in page_list if page.role == "bench-regulateur")


@pytest.mark.parametrize(
    "html",
    [
        '<a class="fr-pagination__link fr-pagination__link--last" href="?page=7&amp;q=x">Dernière page</a>',
        '<nav><a rel="last" href="?apres=abc%3D&amp;q=x">Fin</a></nav>',
    ],
)
def test_the_last_page_link_is_found_whatever_the_scheme(html):
    assert pages.pagination_link(html, "last") in ("?page=7&q=x", "?apres=abc%3D&q=x")
    assert pages.pagination_link(html, "next") is None


def test_the_results_table_merges_two_sizes_into_the_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Portail\n\n## Benchmark\n\n{report.START}\nold\n{report.END}\n\n## Layout\n")
    results = {"queries": {}, "run": None}
    for size, n in (("500", 7), ("50000", 7)):
        results["queries"][size] = {
            "pages": {
                "x eg-list": {
                    "role": "bench-national",
                    "label": "EG list",
                    "kind": "portal",
                    "status": 200,
                    "queries": n,
                }
            }  # fmt: skip
        }

    assert report.write(results, tmp_path / "results.md", readme)

    text = readme.read_text()
    assert "old" not in text and text.endswith(f"{report.END}\n\n## Layout\n")
    assert "| national | EG list | 200 | 7 | 7 |" in text
    assert "queries (500 EG) | queries (50\u202f000 EG)" in text


def test_the_unit_move_measure_moves_an_uf_with_its_offers_and_leaves_the_data_as_it_was(bench_data):
    before = positions(), sorted(Offer.objects.values_list("pk", "structure_id", "version"))
    out = StringIO()

    call_command("bench_move", offers=10, repetitions=3, stdout=out)

    assert re.fullmatch(
        r"Déplacement d'une UF et de ses 1[0-9] offres dans un EG de 97 structures : p50 [0-9.]+ ms, "
        r"p95 [0-9.]+ ms, [0-9/]+ requêtes SQL par déplacement \(3 mesures\)\.\n",
        out.getvalue(),
    )
    assert (positions(), sorted(Offer.objects.values_list("pk", "structure_id", "version"))) == before


def test_the_fhir_measure_runs_every_search_and_pages_an_export(bench_data):
    out = StringIO()

    call_command("bench_fhir", requests=2, export_pages=2, stdout=out)

    lines = out.getvalue().splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| recherche")]
    assert len(rows) == 6 and all(re.search(r"\| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \|$", row) for row in rows)
    assert re.fullmatch(
        r"Export : [0-9]+ offres en [12] pages de 1 000, [0-9]+ s, mémoire de pointe d'une page [0-9.]+ Mo\.", lines[-1]
    )
    from fhir_api.models import ApiClient

    assert not ApiClient.objects.exists()  # the measuring client is removed
