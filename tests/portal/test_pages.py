"""The structure manager's portal: permissions, HTMX fragments, filters, pagination, query counts."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils.html import escape

from offers.models import Offer
from structures import departements
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import ContactFactory, OfferFactory
from tests.structures.builders import big_etablissement, many_etablissements
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db

CLAUDE_BERNARD, CH_ALBI, EHPAD = "810000224", "810000505", "970302287"


def eg(finess):
    return Structure.objects.get(finess_et=finess)


def url_of(target):
    """URL names resolved against the seed data."""
    static = {
        "accueil": reverse("home"),
        "mes établissements": reverse("mes_etablissements"),
        "liste EG": reverse("etablissement_list"),
        "liste EJ": reverse("entite_juridique_list"),
    }
    if target in static:
        return static[target]
    kind, name = target.split(":", 1)
    if kind == "eg":
        return reverse("structure_detail", args=[eg(name).pk])
    if kind == "structure":
        return reverse("structure_detail", args=[Structure.objects.get(name=name).pk])
    return reverse("offer_detail", args=[Offer.objects.get(nom=name).pk])


PAGES = [
    "accueil",
    "mes établissements",
    "liste EG",
    "liste EJ",
    f"eg:{CLAUDE_BERNARD}",
    "structure:Pédiatrie - Obstétrique",
    "structure:Cardiologie médicale - USIC",
    "offer:Unité de Soins Intensifs Cardiologie (USIC)",
    f"eg:{CH_ALBI}",
    f"eg:{EHPAD}",
    "offer:Hébergement permanent",
]
# Expected status per user, in the order of PAGES.
MATRIX = {
    "gestionnaire": [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 200],
    "autre": [200, 200, 200, 200, 404, 404, 404, 404, 200, 404, 404],
    "referent": [200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 404],
    "regulateur": [200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 404],
    None: [302] * len(PAGES),
}


@pytest.mark.parametrize(
    ("username", "target", "status"),
    [(user, page, statuses[i]) for user, statuses in MATRIX.items() for i, page in enumerate(PAGES)],
)
def test_permission_matrix(client, seed, demo_user, username, target, status):
    if username:
        client.force_login(demo_user(username))

    response = client.get(url_of(target))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


def test_guessing_ids_outside_the_scope_is_a_404(client_for):
    client = client_for("autre")
    pks = list(Structure.objects.exclude(tree_id=eg(CH_ALBI).tree_id).values_list("pk", flat=True))

    statuses = {client.get(reverse("structure_detail", args=[pk])).status_code for pk in pks}

    assert statuses == {404}
    assert client.get(reverse("structure_detail", args=[999_999])).status_code == 404


def test_an_htmx_navigation_gets_the_content_fragment_with_its_title(client_for):
    response = client_for("gestionnaire").get(url_of(f"eg:{CLAUDE_BERNARD}"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith("<title>CLINIQUE CLAUDE BERNARD - ALBI – Portail de l'offre ROR</title>")
    assert 'id="page-content"' in response.text
    assert "HX-Request" in response["Vary"]


def test_a_plain_request_gets_the_whole_page(client_for):
    response = client_for("gestionnaire").get(url_of(f"eg:{CLAUDE_BERNARD}"))

    assert "<html" in response.text and 'id="page-content"' in response.text
    assert "Pour toute difficulté, contactez-nous" in response.text


def test_a_history_restore_request_gets_the_whole_page(client_for):
    response = client_for("gestionnaire").get(
        url_of(f"eg:{CLAUDE_BERNARD}"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.text


def test_details_links_are_htmx_links_with_a_plain_href(client_for):
    uf = Structure.objects.get(name="Cardiologie médicale - USIC")
    offer_url = url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)")

    response = client_for("gestionnaire").get(reverse("structure_detail", args=[uf.pk]))

    assert f'href="{offer_url}" hx-get="{offer_url}"' in response.text


def test_the_uf_page_lists_its_offers_as_in_the_seed(client_for):
    response = client_for("gestionnaire").get(url_of("structure:Cardiologie médicale - USIC"))

    assert "Structure interne de l&#x27;unité fonctionnelle" in response.text
    rows = [(row[0], row[1]) for row in table_rows(response.text)]
    assert rows == [("Unité de Soins Intensifs Cardiologie (USIC)", "Offre")]


def test_the_eg_page_shows_its_identity_and_its_poles(client_for):
    response = client_for("gestionnaire").get(url_of(f"eg:{CLAUDE_BERNARD}"))

    text = response.text
    assert "Dans cet établissement" in text
    assert "810000224" in text and "FINESS EJ 810000471" in text
    assert "365 – Etablissement de soins pluridisciplinaire" in text
    assert "08692039400011" in text
    assert "1 R PERE COLOMBIER" in text and "81000 ALBI" in text
    assert [(row[0], row[1]) for row in table_rows(text)] == [
        ("Pédiatrie - Obstétrique", "Pôle"),
        ("Médecine", "Pôle"),
    ]


def test_a_medico_social_eg_lists_its_offers(client_for):
    response = client_for("gestionnaire").get(url_of(f"eg:{EHPAD}"))

    assert [(row[0], row[1]) for row in table_rows(response.text)] == [
        ("Accueil de jour", "Offre"),
        ("Hébergement permanent", "Offre"),
    ]


def test_the_breadcrumb_follows_the_tree(client_for):
    response = client_for("gestionnaire").get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)"))

    assert [label for label, _url in response.context["breadcrumb"]] == [
        "Accueil",
        "Mes établissements",
        "Mes établissements géographiques (EG)",
        "CLINIQUE CLAUDE BERNARD - ALBI",
        "Pédiatrie - Obstétrique",
        "Cardiologie médicale - USIC",
        "Unité de Soins Intensifs Cardiologie (USIC)",
    ]


def test_the_offer_page_shows_the_seed_labels(client_for):
    response = client_for("gestionnaire").get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)"))

    text = unescape(response.text)
    for label in (
        "Informations générales",
        "Nom de l'offre :",
        "Médecine, Chirurgie, Obstétrique (MCO)",
        "Rattachement organisationnel :",
        "Modèle de saisie :",
        "260/01",
        "Unité sensible :",
        "NON",
        "Informations complémentaires (identifiants techniques, dates, etc.)",
        "Soins intensifs spécialisés cardiologie (USIC) (354)",
        "Hospitalisation complète (HC)",
        "Unité de soins intensifs spécialisés cardiologie (USIC)",
        "À partir de 18 ans",
    ):
        assert label in text, label
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    assert usic.identifiant in text
    link = reverse("structure_detail", args=[usic.structure_id])
    assert f'<a href="{link}" hx-get="{link}">Cardiologie médicale - USIC</a>' in text


@pytest.mark.parametrize("username", ["gestionnaire", "referent", "regulateur"])
def test_regulation_contacts_are_shown_to_the_eg_managers_and_to_regulateurs(client_for, username):
    response = client_for(username).get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)"))

    assert "Cadre de santé de l&#x27;USIC" in response.text
    assert "Visible régulation et gestion de crise" in response.text


@pytest.mark.parametrize("username", ["gestionnaire", "referent", "regulateur"])
def test_a_sensitive_unit_shows_its_details_to_the_entitled_profiles(client_for, username):
    Offer.objects.filter(nom="Unité de Soins Intensifs Cardiologie (USIC)").update(unite_sensible=True)

    response = client_for(username).get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)"))

    assert "Unité sensible" in response.text and "OUI" in response.text
    assert "Cadre de santé de l&#x27;USIC" in response.text
    assert "Soins intensifs spécialisés cardiologie (USIC) (354)" in response.text


@pytest.mark.parametrize(
    ("username", "status"),
    [("gestionnaire", 200), ("autre", 404), ("referent", 200), ("regulateur", 200), ("ailleurs", 404)],
)
def test_whoever_opens_an_offer_reads_its_restricted_contacts(client, seed, demo_user, username, status):
    """Level 3 ("Visible régulation et gestion de crise") is for the régulateurs and the EG's responsables and
    référents: the portal's only roles. A user outside the EG's scope gets no page at all."""
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    assert usic.contacts.filter(confidentialite_id=Offer.RESTRICTED_LEVEL).exists()
    user = (
        HabilitationFactory(regulateur=True, departement="31").user if username == "ailleurs" else demo_user(username)
    )
    client.force_login(user)

    response = client.get(reverse("offer_detail", args=[usic.pk]))

    assert response.status_code == status
    if status == 200:
        restricted = usic.contacts.get(confidentialite_id=Offer.RESTRICTED_LEVEL)
        assert escape(restricted.nom) in response.text


def test_the_regulation_level_is_not_shown_with_the_red_error_badge(client_for):
    text = unescape(client_for("gestionnaire").get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)")).text)

    badge = (
        '<span class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--warning">'
        "Visible régulation et gestion de crise</span>"
    )
    assert badge in text
    assert 'fr-badge--error">Visible régulation' not in text


def test_the_contacts_table_scroller_is_reachable_with_the_keyboard(client_for):
    text = unescape(client_for("gestionnaire").get(url_of("offer:Unité de Soins Intensifs Cardiologie (USIC)")).text)

    scroller = '<div class="fr-table__container" tabindex="0" role="region"'
    assert f'{scroller} aria-label="Contacts de l\'offre, tableau défilant">' in text


def test_closed_structures_and_offers_are_shown_with_a_badge(client_for):
    uf = Structure.objects.get(name="HJ Cardiologie")
    uf.closed_on = datetime.date(2024, 1, 1)
    uf.save()
    Offer.objects.filter(structure=uf).update(closed_on=datetime.date(2024, 1, 1))
    client = client_for("gestionnaire")

    service_page = client.get(reverse("structure_detail", args=[uf.parent_id]))
    uf_page = client.get(reverse("structure_detail", args=[uf.pk]))

    assert ("HJ Cardiologie", "Unité fonctionnelle") in {(row[0], row[1]) for row in table_rows(service_page.text)}
    assert "HJ CardiologieFermée depuis le 01/01/2024" in [
        row[0] for row in table_rows(service_page.text, keep_badges=True)
    ]
    assert "Fermée" in uf_page.text and "Hôpital de jour de cardiologie" in uf_page.text


def test_what_sits_below_a_closed_structure_is_shown_closed(client_for):
    service = Structure.objects.get(name="Cardiologie", kind=Structure.Kind.SERVICE)
    Structure.objects.filter(pk=service.pk).update(closed_on=datetime.date(2024, 1, 1))

    response = client_for("gestionnaire").get(reverse("structure_detail", args=[service.pk]))
    uf_page = client_for("gestionnaire").get(reverse("structure_detail", args=[service.get_children()[0].pk]))

    assert all(row[0].endswith("Fermée") for row in table_rows(response.text, keep_badges=True))
    assert [row[0] for row in table_rows(uf_page.text, keep_badges=True)] == ["Consultations de cardiologieFermée"]


# --- "Mes établissements géographiques (EG)": filters, sorting, pagination --------------------------------


def listed(response):
    return [row.name for row in response.context["page"]]


def test_the_eg_list_shows_each_egs_published_offers_and_finalised_share(client, superuser):
    """Published offers counted (closed ones too), the share of the open ones that are "Finalisé"; drafts and
    the offers of the other EG of the page counted apart."""
    finalise, en_cours = Offer.Completeness.FINALISE, Offer.Completeness.EN_COURS
    first = EtablissementFactory(name="AAA partage", departement="81")
    second = EtablissementFactory(name="AAB partage", departement="81")
    EtablissementFactory(name="AAC partage", departement="81")
    uf = StructureFactory(parent=first)
    for completeness in [finalise, en_cours, en_cours, en_cours]:
        OfferFactory(structure=uf, completeness=completeness)
    OfferFactory(structure=uf, completeness=finalise, closed_on=datetime.date(2020, 1, 1))  # closed: not in the share
    OfferFactory(structure=uf, completeness=finalise, published=False, identifiant=None)  # a draft
    OfferFactory(structure=StructureFactory(parent=second), completeness=finalise)
    client.force_login(superuser)

    response = client.get(reverse("etablissement_list"), {"q": "partage"})

    rows = {row.name: (row.offer_count, row.finalised_share) for row in response.context["page"]}
    assert rows == {"AAA partage": (5, "25 %"), "AAB partage": (1, "100 %"), "AAC partage": (0, "—")}


def test_the_eg_list_counts_the_offers_of_each_eg(client_for):
    response = client_for("gestionnaire").get(reverse("etablissement_list"))

    counts = {row.finess_et: row.offer_count for row in response.context["page"]}
    assert counts[CLAUDE_BERNARD] == 5
    assert counts[EHPAD] == 2
    assert counts["810000158"] == 2
    assert counts["810003368"] == 0


def test_the_eg_list_shows_catégorie_and_commune(client_for):
    response = client_for("gestionnaire").get(reverse("etablissement_list"))

    assert "365 – Etablissement de soins pluridisciplinaire" in response.text
    assert "ALBI (81)" in response.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "claude bernard - albi"}, ["CLINIQUE CLAUDE BERNARD - ALBI"]),
        ({"q": "810000158"}, ["CL DU REFUGE PROTESTANT"]),
        ({"departement": "9C"}, ["E.H.P.A.D. EDMAR LAMA DE CAYENNE"]),
        ({"categorie": "109"}, ["CENTRE CMRF ALBI"]),
        ({"ej": "810099903"}, ["CENTRE CMRF ALBI"]),
        (
            {"q": "UAD", "departement": "81", "categorie": "146", "tri": "-nom"},
            [
                "CL CLAUDE BERNARD UAD LESCURE",
                "CL CLAUDE BERNARD UAD LAVAUR",
                "CL CLAUDE BERNARD UAD GRAULHET",
                "CL CLAUDE BERNARD UAD CASTRES",
            ],
        ),
        ({"q": "introuvable"}, []),
    ],
)
def test_eg_list_filters(client_for, params, expected):
    response = client_for("gestionnaire").get(reverse("etablissement_list"), params)

    assert listed(response) == expected


def test_the_departement_and_categorie_choices_come_from_the_user_eg(client_for):
    response = client_for("gestionnaire").get(reverse("etablissement_list"))

    form = response.context["form"]
    assert [code for code, _ in form.fields["departement"].choices] == ["", "81", "9C"]
    assert [code for code, _ in form.fields["categorie"].choices] == ["", "109", "146", "365", "500"]


def test_the_categorie_choices_are_kept_per_scope_and_follow_a_new_habilitation_at_once(client, db):
    ssr, ehpad = EtablissementFactory(ssr=True), EtablissementFactory(medico_social=True)
    user = HabilitationFactory(etablissement=ssr).user
    client.force_login(user)

    def choices():
        form = client.get(reverse("etablissement_list")).context["form"]
        return [code for code, _ in form.fields["categorie"].choices]

    first = choices()
    ssr.categorie_id = "500"
    ssr.save()  # a FINESS import's change: shown once the kept choices expire (10 minutes)
    kept = choices()
    HabilitationFactory(user=user, etablissement=ehpad)
    widened = choices()

    assert first == kept == ["", "109"]
    assert widened == ["", "500"]


@pytest.mark.parametrize(
    ("habilitations", "expected"),
    [
        ([{"departement": "9C", "role": "referent"}, {"departement": "81", "role": "referent"}], ["", "81", "9C"]),
        ([{"departement": "31", "role": "regulateur"}], ["", "31"]),
        ([{"etablissement": EHPAD}], ["", "9C"]),
        ([], [""]),
    ],
)
def test_departement_choices_follow_the_habilitations(client, seed, habilitations, expected):
    """A département habilitation gives its département without reading its EG (50,000 for a national scope)."""
    user = UserFactory()
    for fields in habilitations:
        if "etablissement" in fields:
            fields = {**fields, "etablissement": eg(fields["etablissement"])}
        HabilitationFactory(user=user, **fields)
    client.force_login(user)

    form = client.get(reverse("etablissement_list")).context["form"]

    assert [code for code, _ in form.fields["departement"].choices] == expected


def test_a_superuser_chooses_among_every_departement_and_the_categories_in_use(client, seed):
    client.force_login(UserFactory(is_superuser=True))

    form = client.get(reverse("etablissement_list")).context["form"]

    codes = [code for code, _ in form.fields["departement"].choices]
    assert len(codes) == 1 + len(departements.DEPARTEMENTS) and {"2A", "81", "9C"} <= set(codes)
    in_use = sorted(set(Structure.objects.etablissements().values_list("categorie_id", flat=True)))
    assert [code for code, _ in form.fields["categorie"].choices] == ["", *in_use]


def test_the_ej_list_pages_by_finess_ej(client, db):
    ejs = [EtablissementFactory().entite_juridique for _ in range(30)]
    user = UserFactory()
    for ej in ejs:
        HabilitationFactory(user=user, entite_juridique=ej)
    client.force_login(user)
    by_finess = sorted(ej.finess_ej for ej in ejs)

    first = client.get(reverse("entite_juridique_list"))
    second = client.get(reverse("entite_juridique_list") + pagination_links(first)["Page suivante"])
    last = client.get(reverse("entite_juridique_list") + pagination_links(first)["Dernière page"])

    assert [row.finess_ej for row in first.context["page"]] == by_finess[:25]
    assert [row.finess_ej for row in second.context["page"]] == by_finess[25:]
    assert [row.finess_ej for row in last.context["page"]] == by_finess[5:]
    assert "30 entités juridiques" in first.text


@pytest.mark.parametrize("term", ["ab", " a ", "é"])
def test_a_name_search_needs_three_characters(client_for, term):
    response = client_for("gestionnaire").get(reverse("etablissement_list"), {"q": term})

    assert listed(response) == []
    assert "Saisissez au moins 3 caractères du nom, ou un numéro FINESS à 9 caractères." in unescape(response.text)


def test_a_filter_outside_the_choices_is_refused_in_french(client_for):
    response = client_for("gestionnaire").get(reverse("etablissement_list"), {"departement": "31"})

    assert listed(response) == []
    assert "Sélectionnez un choix valide" in response.text
    assert "Aucun établissement ne correspond à votre recherche" in response.text


def pagination_links(response):
    """The pagination links of the rendered page, by label: what a person can click."""
    nav = re.search(r'<nav role="navigation" class="fr-pagination.*?</nav>', response.text, re.S)
    if nav is None:
        return {}
    return {
        unescape(label): unescape(href)
        for href, label in re.findall(
            r'<a class="fr-pagination__link[^"]*"(?: rel="\w+")? href="([^"]+)"[^>]*>([^<]+)</a>', nav[0]
        )
    }


def follow(client, response, label):
    return client.get(reverse("etablissement_list") + pagination_links(response)[label])


def numbered(*numbers):
    return [f"ÉTABLISSEMENT EN NOMBRE {n:04d}" for n in numbers]


@pytest.fixture
def sixty(client, db):
    ej = many_etablissements(60)
    client.force_login(HabilitationFactory(entite_juridique=ej).user)
    return ej


def test_the_eg_list_pages_by_the_links_of_the_page(client, sixty):
    first = client.get(reverse("etablissement_list"))
    second = follow(client, first, "Page suivante")
    third = follow(client, second, "Page suivante")
    back = follow(client, third, "Page précédente")

    assert listed(first) == numbered(*range(25)) and listed(second) == numbered(*range(25, 50))
    assert listed(third) == numbered(*range(50, 60))
    assert listed(back) == listed(second)
    assert set(pagination_links(first)) == {"Page suivante", "Dernière page"}
    assert set(pagination_links(third)) == {"Première page", "Page précédente"}
    assert "60 établissements géographiques" in first.text


def test_the_last_page_holds_the_last_rows_and_leads_back(client, sixty):
    last = follow(client, client.get(reverse("etablissement_list")), "Dernière page")
    before = follow(client, last, "Page précédente")
    first = follow(client, before, "Page précédente")

    assert listed(last) == numbered(*range(35, 60))
    assert listed(before) == numbered(*range(10, 35))
    assert listed(first) == numbered(*range(10))
    assert set(pagination_links(first)) == {"Page suivante", "Dernière page"}  # the beginning is reached
    assert listed(follow(client, last, "Première page")) == numbered(*range(25))


def test_pages_keep_the_filters_and_the_descending_sort(client, sixty):
    Structure.objects.filter(name__in=numbered(*range(0, 60, 2))).update(departement="31")
    first = client.get(reverse("etablissement_list"), {"departement": "81", "tri": "-nom"})
    second = follow(client, first, "Page suivante")

    assert listed(first) == numbered(*range(59, 9, -2)) and listed(second) == numbered(*range(9, 0, -2))
    assert "30 établissements géographiques correspondants aux filtres" in first.text


def test_equal_names_are_each_listed_once(client, db):
    """Ties on the sort key (the lowercased name) are broken by id: no row is skipped or repeated."""
    ej = many_etablissements(55)
    Structure.objects.filter(entite_juridique=ej).update(name="Même nom")
    Structure.objects.filter(entite_juridique=ej, finess_et__endswith="7").update(name="MÊME NOM")
    client.force_login(HabilitationFactory(entite_juridique=ej).user)
    seen, response = [], client.get(reverse("etablissement_list"), {"tri": "-nom"})
    while True:
        seen += [row.pk for row in response.context["page"]]
        if "Page suivante" not in pagination_links(response):
            break
        response = follow(client, response, "Page suivante")

    assert sorted(seen) == sorted(Structure.objects.filter(entite_juridique=ej).values_list("pk", flat=True))
    assert len(seen) == 55


@pytest.mark.parametrize("cursor", ["٣", "1e3", "-4", "99999999999999999999999", "\u200b12", "0", "outside"])
@pytest.mark.parametrize("param", ["apres", "avant"])
def test_a_cursor_that_is_not_a_row_of_the_list_shows_the_first_page(client, sixty, seed, param, cursor):
    """Hostile values, and the id of an EG outside the user's scope (it must not tell where its name sorts)."""
    if cursor == "outside":
        # Sorts in the middle of the user's list, were it one of its rows.
        cursor = str(EtablissementFactory(name="ÉTABLISSEMENT EN NOMBRE 0030 BIS").pk)

    response = client.get(reverse("etablissement_list"), {param: cursor})

    assert response.status_code == 200
    assert listed(response) == numbered(*range(25))


def test_counts_stop_at_the_bound(client, sixty, monkeypatch):
    monkeypatch.setattr("ror_portal.pagination.COUNT_LIMIT", 40)

    response = client.get(reverse("etablissement_list"))
    tiles = client.get(reverse("mes_etablissements"))

    assert "Plus de 40 établissements géographiques" in response.text
    assert "Plus de 40 établissements géographiques" in tiles.text
    assert listed(follow(client, response, "Dernière page")) == numbered(*range(35, 60))


def test_a_name_search_counts_to_its_own_bound_and_pages_beyond_it(client, sixty, monkeypatch):
    """A search counts up to SEARCH_COUNT_LIMIT (250) matches, the plain list up to COUNT_LIMIT (1,000); the pages go
    on past either."""
    monkeypatch.setattr("ror_portal.pagination.SEARCH_COUNT_LIMIT", 30)

    searched = client.get(reverse("etablissement_list"), {"q": "nombre"})
    plain = client.get(reverse("etablissement_list"))

    assert "Plus de 30 établissements géographiques" in searched.text
    assert "60 établissements géographiques" in plain.text
    assert listed(follow(client, searched, "Dernière page")) == numbered(*range(35, 60))


def test_an_empty_eg_list_says_what_to_do(client, db):
    client.force_login(UserFactory())

    response = client.get(reverse("etablissement_list"))

    assert "Aucun établissement" in response.text
    assert "Demandez une habilitation au référent ROR" in response.text


def test_the_ej_list_counts_only_the_eg_in_scope(client, seed):
    user = HabilitationFactory(etablissement=eg(CLAUDE_BERNARD)).user
    client.force_login(user)

    response = client.get(reverse("entite_juridique_list"))

    assert [(row.finess_ej, row.eg_count) for row in response.context["page"]] == [("810000471", 1)]


# --- Query counts: constant whatever the amount of data -----------------------------------------------


SIZES = {
    # (pôles, UF per pôle, offers per UF, other EG, contacts on the offer). A structure's table reads its offers
    # unless its sub-structures fill the page (25 rows): both sizes stay below, so their counts compare.
    "petit": (2, 2, 2, 3, 1),
    "grand": (20, 25, 5, 300, 5),
}


@pytest.fixture(params=list(SIZES))
def sized(request, db):
    poles, ufs, offers, others, contacts = SIZES[request.param]
    eg = big_etablissement(poles=poles, ufs_per_pole=ufs, offers_per_uf=offers)
    user = HabilitationFactory(entite_juridique=eg.entite_juridique).user
    HabilitationFactory(user=user, entite_juridique=many_etablissements(others))
    pole = Structure.objects.filter(parent=eg).order_by("lft").first()
    uf = Structure.objects.filter(parent=pole).order_by("lft").first()
    ContactFactory.create_batch(contacts, offer=uf.offers.first())
    return eg, pole, uf, user


def test_big_tree_is_well_formed(db):
    eg = big_etablissement(poles=50, ufs_per_pole=10, offers_per_uf=5)

    assert Structure.objects.filter(tree_id=eg.tree_id).count() == 1 + 50 + 500
    assert eg.rght == 2 * 551
    assert Offer.objects.filter(structure__tree_id=eg.tree_id).count() == 2500


# Exact totals, session, user and habilitations included; the same at both sizes (asserted at each).
PAGE_QUERIES = {
    "home": 2,
    "mes établissements": 5,
    "liste EG": 7,  # the page's offer counts: one query grouped by tree; the catégories kept per scope (cached)
    "liste EG, page suivante": 7,
    "liste EG, dernière page": 7,
    "liste EG, recherche": 7,
    "liste EJ": 5,
    "liste EJ, dernière page": 5,
    # The node, its path and whether the user manages its EG in one query; its offers' completeness counts
    # (the EG); its history.
    "eg": 8,
    "pole": 7,
    "uf": 7,
    "offer": 9,  # its drafts read only when it has some (offers/views.py, has_drafts)
    "offer, caractéristiques": 8,  # its two many-to-many included
    # The general block's form is counted with the picker (tests/portal/test_edit.py, PICKER_QUERIES).
    "offer, fermeture": 6,
    "offer, ajouter un contact": 6,  # its lists of choices come from nomenclatures.cache, as every block's
    "créer une offre": 5,  # the node, its path and whether the user manages its EG: one; the modèles and champs: one
}


@pytest.mark.parametrize("page", list(PAGE_QUERIES))
def test_pages_run_the_same_number_of_queries_at_every_size(client, sized, django_assert_num_queries, page):
    eg, pole, uf, user = sized
    urls = {
        "home": reverse("home"),
        "mes établissements": reverse("mes_etablissements"),
        "liste EG": reverse("etablissement_list"),
        "liste EG, page suivante": reverse("etablissement_list") + f"?apres={eg.pk}",
        "liste EG, dernière page": reverse("etablissement_list") + "?fin=1",
        "liste EG, recherche": reverse("etablissement_list") + "?q=nombre&tri=-nom",
        "liste EJ": reverse("entite_juridique_list"),
        "liste EJ, dernière page": reverse("entite_juridique_list") + "?fin=1",
        "eg": reverse("structure_detail", args=[eg.pk]),
        "pole": reverse("structure_detail", args=[pole.pk]),
        "uf": reverse("structure_detail", args=[uf.pk]),
        "offer": reverse("offer_detail", args=[uf.offers.first().pk]),
        "offer, caractéristiques": reverse("offer_block_edit", args=[uf.offers.first().pk, "caracteristiques"]),
        "offer, fermeture": reverse("offer_block_edit", args=[uf.offers.first().pk, "fermeture"]),
        "offer, ajouter un contact": reverse("contact_add", args=[uf.offers.first().pk]),
        "créer une offre": reverse("offer_create", args=[uf.pk]),
    }
    client.force_login(user)
    client.get(urls[page])  # the session's first request of the minute records its activity

    with django_assert_num_queries(PAGE_QUERIES[page]):
        response = client.get(urls[page])

    assert response.status_code == 200


def table_rows(html, keep_badges=False):
    """Cell texts of the first table's body rows."""
    import re
    from html import unescape

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = []
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S):
            if not keep_badges:
                cell = re.sub(r'<span class="fr-badge.*?</span>', "", cell, flags=re.S)
            cell = re.sub(r'<span class="fr-sr-only">.*?</span>', "", cell, flags=re.S)
            cells.append(" ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split()))
        rows.append(cells)
    return rows


def test_offers_of_other_structures_do_not_leak_into_a_uf_page(client, db):
    uf = StructureFactory()
    other = StructureFactory(parent=uf.parent)
    OfferFactory(structure=other, nom="Ailleurs")
    user = HabilitationFactory(etablissement=uf.parent).user
    client.force_login(user)

    response = client.get(reverse("structure_detail", args=[uf.pk]))

    assert "Ailleurs" not in response.text
    assert "Aucune structure interne ni offre" in response.text


def test_a_404_is_a_french_page_and_an_htmx_fragment(client_for):
    client = client_for("autre")
    url = reverse("structure_detail", args=[Structure.objects.get(finess_et=CLAUDE_BERNARD).pk])

    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 404
    assert "Page non trouvée" in page.text and "<html" in page.text
    assert fragment.text.lstrip().startswith("<title>Page non trouvée") and "<html" not in fragment.text


def test_breadcrumbs_name_each_page_once_and_link_it_the_same_way(client_for):
    client = client_for("gestionnaire")
    pages = [
        reverse("etablissement_list"),
        url_of(f"eg:{CLAUDE_BERNARD}"),
        url_of(f"offer:{'Unité de Soins Intensifs Cardiologie (USIC)'}"),
    ]

    links = {}
    for url in pages:
        for label, link in client.get(url).context["breadcrumb"]:
            if link:
                links.setdefault(label, set()).add(link)

    assert all(len(targets) == 1 for targets in links.values()), links
    assert links["Mes établissements"] == {reverse("mes_etablissements")}
    assert links["Mes établissements géographiques (EG)"] == {reverse("etablissement_list")}
