"""Edit, picker, drafts, history and undo: the wiring of the views (the rules are tested on the model)."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.models import Offer, OfferDraft, OfferEvent
from offers.values import display
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import OfferFactory
from tests.page_forms import form_data as page_form_data
from tests.structures.builders import big_etablissement, many_etablissements
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


def node(name, finess="810000224"):
    tree = Structure.objects.get(finess_et=finess).tree_id
    return Structure.objects.get(name=name, tree_id=tree)


def form_data(offer, **changes):
    data = {
        "nom": offer.nom,
        "champ_activite": offer.champ_activite_id,
        "structure": offer.structure_id,
        "version": offer.version,
        "action": "publier",
    }
    if offer.unite_sensible:
        data["unite_sensible"] = "on"
    return data | changes


def unchanged(offer):
    fresh = Offer.objects.get(pk=offer.pk)
    return (fresh.nom, fresh.structure_id, fresh.version, fresh.events.count()) == (
        offer.nom,
        offer.structure_id,
        offer.version,
        0,
    )


# --- permissions ----------------------------------------------------------------------------------------


def urls(offer):
    return {
        "modifier": ("get", reverse("offer_edit", args=[offer.pk])),
        "rattachement": ("get", reverse("offer_picker", args=[offer.pk])),
        "publier brouillon": ("post", reverse("draft_publish", args=[offer.pk])),
        "supprimer brouillon": ("post", reverse("draft_delete", args=[offer.pk])),
    }


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("gestionnaire", {"modifier": 200, "rattachement": 200, "publier brouillon": 404, "supprimer brouillon": 302}),
        ("referent", {"modifier": 200, "rattachement": 200, "publier brouillon": 404, "supprimer brouillon": 302}),
        ("autre", {"modifier": 404, "rattachement": 404, "publier brouillon": 404, "supprimer brouillon": 404}),
        # Read-only on the offer: a 403 page that says so, not a 404.
        ("regulateur", {"modifier": 403, "rattachement": 403, "publier brouillon": 403, "supprimer brouillon": 403}),
        (None, {"modifier": 302, "rattachement": 302, "publier brouillon": 302, "supprimer brouillon": 302}),
    ],
)
def test_permission_matrix_of_the_edit_urls(client, usic, demo_user, username, expected):
    if username:
        client.force_login(demo_user(username))

    statuses = {name: getattr(client, method)(url).status_code for name, (method, url) in urls(usic).items()}

    assert statuses == expected  # no draft yet: publishing one is a 404 even for its managers
    assert unchanged(usic)


def test_the_regulateur_sees_the_offer_without_modifier(client_for, usic):
    response = client_for("regulateur").get(reverse("offer_detail", args=[usic.pk]))

    assert response.status_code == 200
    assert reverse("offer_edit", args=[usic.pk]) not in response.text


def test_a_regulateur_opening_the_edit_url_is_told_the_offer_is_read_only(client_for, usic):
    response = client_for("regulateur").get(reverse("offer_edit", args=[usic.pk]))

    text = unescape(response.content.decode())
    assert response.status_code == 403
    assert "<h1>Modification non autorisée</h1>" in text
    assert f"Vous pouvez consulter l'offre « {usic.nom} », mais pas la modifier" in text
    assert f'href="{reverse("offer_detail", args=[usic.pk])}">Consulter l\'offre</a>' in text


def test_an_offer_outside_what_the_user_sees_is_still_a_404_on_the_edit_url(client_for, usic):
    assert client_for("autre").get(reverse("offer_edit", args=[usic.pk])).status_code == 404
    assert client_for("regulateur").get(reverse("offer_edit", args=[999_999])).status_code == 404


# --- the form ---------------------------------------------------------------------------------------------


def test_the_form_has_the_seed_labels(client_for, usic):
    response = client_for("gestionnaire").get(reverse("offer_edit", args=[usic.pk]))

    text = unescape(response.text)
    for label in (
        "Les champs marqués d'un astérisque (*) sont obligatoires.",
        "Nom de l'offre *",
        "Champ d'activité *",
        "Rattachement organisationnel *",
        "Modèle de saisie *",
        "Cette offre est à caractère sensible",
        "Les informations que je vais saisir présentent des risques d'utilisation à des fins malveillantes. "
        "Elles ne seront présentées qu'aux régulateurs et gestionnaires de crise. Le niveau de confidentialité "
        'des contacts sera automatiquement "très restreint".',
        "Annuler",
        "Enregistrer le brouillon",
        "Publier",
        "Rattachement organisationnel de l'offre",
        "Fermer",
    ):
        assert label in text, label
    assert 'value="260/01" readonly' in text


def test_publishing_a_move_from_the_form(client_for, usic):
    cardiologie = node("Cardiologie")

    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=cardiologie.pk)
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("offer_detail", args=[usic.pk])
    usic.refresh_from_db()
    assert (usic.structure_id, usic.version) == (cardiologie.pk, 2)
    page = client_for("gestionnaire").get(response["Location"])
    assert "Offre publiée." in page.text
    assert "Déplacée de « Cardiologie médicale - USIC » vers « Cardiologie » par Camille Gestionnaire le " in unescape(
        page.text
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("unmanaged", "Ce rattachement n'existe pas ou ne vous est pas accessible."),
        ("nonexistent", "Ce rattachement n'existe pas ou ne vous est pas accessible."),
        ("other categorie", "Ce rattachement n'existe pas ou ne vous est pas accessible."),
        ("pole", "Une offre sanitaire ne se rattache pas à un pôle : choisissez un service ou une unité de ce pôle."),
        ("eg", "Une offre sanitaire ne se rattache pas directement à l'établissement"),
        ("garbage", "Ce rattachement n'existe pas ou ne vous est pas accessible."),
    ],
)
def test_forged_rattachements_are_refused_and_change_nothing(client_for, usic, target, message):
    ids = {
        "unmanaged": Structure.objects.get(finess_et="810000505").pk,  # CH ALBI, same catégorie? no: 355
        "nonexistent": 999_999,
        "other categorie": node("SMR cardio-vasculaire", "810000232").pk,  # CMRF ALBI (109), managed
        "pole": node("Médecine").pk,
        "eg": Structure.objects.get(finess_et="810000224").pk,
        "garbage": "abc",
    }

    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=ids[target])
    )

    assert response.status_code == 200
    assert message in unescape(response.text)
    assert unchanged(usic)


def test_a_post_without_csrf_token_is_refused(demo_user, usic):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_user("gestionnaire"))

    response = client.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=node("Cardiologie").pk))

    assert response.status_code == 403
    assert "Formulaire expiré" in response.text
    assert unchanged(usic)


def test_errors_are_shown_next_to_their_fields_and_the_form_keeps_what_was_typed(client_for, usic):
    cardiologie = node("Cardiologie")

    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="  ", champ_activite="99", structure=cardiologie.pk)
    )

    text = unescape(response.text)
    assert "Saisissez le nom de l'offre." in text
    assert "Ce champ d'activité n'existe pas dans la nomenclature du ROR." in text
    assert "fr-input-group--error" in text
    assert f'name="structure" value="{cardiologie.pk}"' in text  # the new rattachement is kept
    assert "Nouveau rattachement" in text
    assert unchanged(usic)


def test_a_failed_submit_starts_with_an_error_summary_linking_to_the_fields(client_for, usic):
    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="  ", structure=node("Médecine").pk)
    )

    text = " ".join(unescape(response.text).split())
    assert "<title>Erreur : Modifier l'offre" in text
    summary = text[text.index('id="resume-erreurs"') : text.index("</ul>", text.index('id="resume-erreurs"'))]
    assert 'role="alert"' in text[text.index('<div class="fr-alert fr-alert--error fr-mb-3w"') :][:200]
    assert "<a href=\"#id_nom\">Nom de l'offre : Saisissez le nom de l'offre.</a>" in summary
    assert '<a href="#bouton-rattachement">Rattachement organisationnel : Une offre sanitaire' in summary
    assert text.index('id="resume-erreurs"') < text.index("Les champs marqués d'un astérisque")


def test_a_form_without_errors_has_no_summary_nor_error_title(client_for, usic):
    text = unescape(client_for("gestionnaire").get(reverse("offer_edit", args=[usic.pk])).text)

    assert "resume-erreurs" not in text and "Erreur :" not in text


def test_errors_of_the_whole_form_are_in_the_summary(client_for, usic):
    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, action="tout-casser")
    )

    text = unescape(response.text)
    assert '<li><a href="#id_nom">Choisissez « Enregistrer le brouillon » ou « Publier ».</a></li>' in text


def test_an_unknown_action_changes_nothing(client_for, usic):
    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, action="tout-casser")
    )

    assert "Choisissez « Enregistrer le brouillon » ou « Publier »." in unescape(response.text)
    assert unchanged(usic)


def test_a_stale_form_is_refused_and_kept_as_a_draft(client_for, usic, demo_user):
    data = form_data(usic, nom="Ma version", structure=node("Cardiologie").pk)
    usic.publish(demo_user("referent"), {"nom": "Version du référent"}, base_version=1)

    response = client_for("gestionnaire").post(reverse("offer_edit", args=[usic.pk]), data)

    text = unescape(response.text)
    assert "Cette offre a été modifiée entre-temps" in text
    assert "Elles sont conservées dans votre brouillon." in text
    usic.refresh_from_db()
    assert (usic.nom, usic.structure.name) == ("Version du référent", "Cardiologie médicale - USIC")
    draft = OfferDraft.objects.get(offer=usic, author=demo_user("gestionnaire"))
    general = draft.data["general"]
    assert (general["nom"], general["structure"], draft.is_stale) == ("Ma version", node("Cardiologie").pk, True)


def test_checking_unite_sensible_restricts_the_contacts(client_for, usic):
    response = client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, unite_sensible="on")
    )

    assert response.status_code == 302
    assert set(usic.contacts.values_list("confidentialite_id", flat=True)) == {"3"}


# --- drafts ---------------------------------------------------------------------------------------------


def test_saving_a_draft_keeps_the_published_offer(client_for, usic, demo_user):
    client = client_for("gestionnaire")
    data = form_data(usic, nom="USIC – brouillon", structure=node("Cardiologie").pk, action="brouillon")

    response = client.post(reverse("offer_edit", args=[usic.pk]), data)

    assert response.status_code == 302
    assert unchanged(usic)
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Brouillon enregistré : l'offre publiée reste inchangée." in page
    assert "Vous avez un brouillon" in page
    assert "Nom de l'offre : « Unité de Soins Intensifs Cardiologie (USIC) » → « USIC – brouillon »" in page
    assert "Rattachement organisationnel : « Cardiologie médicale - USIC » → « Cardiologie »" in page
    for action in ("Reprendre le brouillon", "Publier", "Supprimer le brouillon"):
        assert action in page
    other = unescape(client_for("referent").get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Brouillon de Camille Gestionnaire" in other and "Reprendre le brouillon" not in other


def test_resuming_a_draft_fills_the_form(client_for, usic):
    client = client_for("gestionnaire")
    client.post(
        reverse("offer_edit", args=[usic.pk]),
        form_data(usic, nom="Repris", structure=node("Cardiologie").pk, action="brouillon"),
    )

    response = client.get(reverse("offer_edit", args=[usic.pk]))

    assert 'value="Repris"' in response.text
    assert f'name="structure" value="{node("Cardiologie").pk}"' in response.text


def test_publishing_a_draft(client_for, usic):
    client = client_for("gestionnaire")
    client.post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=node("Cardiologie").pk, action="brouillon")
    )

    response = client.post(reverse("draft_publish", args=[usic.pk]))

    assert response.status_code == 302
    usic.refresh_from_db()
    assert usic.structure.name == "Cardiologie" and usic.version == 2
    assert not usic.drafts.exists()
    page = unescape(client.get(response["Location"]).text)
    main = page[page.index("<main") : page.index("</main>")]
    assert "Brouillon publié : l'offre est rattachée à « Cardiologie »." in main  # the message is inside <main>


def test_publishing_a_stale_draft_is_refused_and_keeps_it(client_for, usic, demo_user):
    client = client_for("gestionnaire")
    client.post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=node("Cardiologie").pk, action="brouillon")
    )
    usic.publish(demo_user("referent"), {"nom": "Entre-temps"}, base_version=1)

    response = client.post(reverse("draft_publish", args=[usic.pk]), follow=True)

    assert "Cette offre a été modifiée entre-temps" in unescape(response.text)
    usic.refresh_from_db()
    assert usic.structure.name == "Cardiologie médicale - USIC"
    assert usic.drafts.count() == 1


def test_deleting_a_draft(client_for, usic):
    client = client_for("gestionnaire")
    client.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, action="brouillon", nom="Jeté"))

    client.post(reverse("draft_delete", args=[usic.pk]))

    assert not usic.drafts.exists()
    assert unchanged(usic)


def test_draft_urls_refuse_get(client_for, usic):
    assert client_for("gestionnaire").get(reverse("draft_delete", args=[usic.pk])).status_code == 405


# --- the picker -----------------------------------------------------------------------------------------


def picker(client, offer, **params):
    return client.get(reverse("offer_picker", args=[offer.pk]), params)


def test_the_picker_opens_on_the_current_structure(client_for, usic):
    response = picker(client_for("gestionnaire"), usic)

    text = unescape(response.text)
    assert "Emplacement actuel : Cardiologie médicale - USIC" in " ".join(
        text.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert "Revenir à Pédiatrie - Obstétrique" in text
    assert "<strong>Nouvel emplacement</strong><br>Cardiologie médicale - USIC" in text
    assert 'disabled aria-describedby="picker-refusal">Rattacher ici' in text
    # The current location is stated, not refused in red.
    assert (
        '<p class="fr-message fr-message--info" id="picker-refusal">C\'est le rattachement actuel de l\'offre.</p>'
        in text
    )
    assert "déjà rattachée" not in text and "fr-error-text" not in text


def test_a_level_to_go_through_says_so_once_and_not_as_an_error(client_for, usic):
    client = client_for("gestionnaire")

    top = unescape(picker(client, usic, noeud="racine").text)
    eg = unescape(picker(client, usic, noeud=Structure.objects.get(finess_et="810000224").pk).text)
    pole = unescape(picker(client, usic, noeud=node("Médecine").pk).text)

    for text in (top, eg, pole):
        assert text.count("Choisissez un service ou une unité.") == 1
        assert "fr-error-text" not in text and "portal-picker__refusal" not in text
        assert 'disabled aria-describedby="picker-refusal">Rattacher ici' in text
    assert "ne se rattache pas" not in top + eg + pole


def test_a_closed_offer_is_refused_in_red_even_at_its_current_location(client_for, usic):
    Offer.objects.filter(pk=usic.pk).update(closed_on=datetime.date(2020, 1, 1))

    text = unescape(picker(client_for("gestionnaire"), usic).text)

    assert (
        '<p class="fr-error-text" id="picker-refusal">Cette offre est fermée : elle ne peut pas être déplacée.</p>'
        in text
    )
    assert "C'est le rattachement actuel" not in text


def test_real_refusals_are_still_shown_in_red_in_the_picker(client_for, usic):
    closed = StructureFactory(
        name="Unité fermée", parent=node("Cardiologie"), kind=Structure.Kind.UF, closed_on=datetime.date(2020, 1, 1)
    )

    text = unescape(picker(client_for("gestionnaire"), usic, noeud=node("Cardiologie").pk).text)
    shown = unescape(picker(client_for("gestionnaire"), usic, noeud=closed.pk).text)

    assert (
        '<span class="fr-text--xs portal-picker__refusal">« Unité fermée » est fermé(e) depuis le 01/01/2020.' in text
    )
    assert (
        '<p class="fr-error-text" id="picker-refusal">« Unité fermée » est fermé(e) depuis le 01/01/2020.</p>' in shown
    )


def test_the_picker_lists_the_children_with_their_eligibility(client_for, usic):
    response = picker(client_for("gestionnaire"), usic, noeud=Structure.objects.get(finess_et="810000224").pk)

    entries = {entry["node"].name: entry for entry in response.context["entries"]}
    assert list(entries) == ["Pédiatrie - Obstétrique", "Médecine"]
    assert entries["Médecine"]["refusal"].startswith("Une offre sanitaire ne se rattache pas à un pôle")
    assert entries["Médecine"]["navigable"]
    assert "Revenir à Mes établissements de catégorie 365" in unescape(response.text)


def test_the_picker_goes_down_to_cardiologie_and_allows_it(client_for, usic):
    cardiologie = node("Cardiologie")

    response = picker(client_for("gestionnaire"), usic, noeud=cardiologie.pk)

    names = [entry["node"].name for entry in response.context["entries"]]
    assert names == ["Consultation Cardiologie", "HC Cardiologie", "HJ Cardiologie", "Salle d'échographie cardiaque"]
    assert response.context["refusal"] is None
    assert (
        f'href="{reverse("offer_edit", args=[usic.pk])}?reprise=1&amp;rattachement={cardiologie.pk}">Rattacher ici'
        in response.text
    )


def test_the_picker_top_level_lists_the_managed_eg_of_the_same_categorie(client_for, usic):
    response = picker(client_for("gestionnaire"), usic, noeud="racine")

    assert [entry["node"].finess_et for entry in response.context["entries"]] == ["810000158", "810000224"]


def test_the_picker_refuses_nodes_outside_its_scope(client_for, usic):
    client = client_for("gestionnaire")

    assert picker(client, usic, noeud=Structure.objects.get(finess_et="810000232").pk).status_code == 404  # 109
    assert picker(client, usic, noeud=Structure.objects.get(finess_et="810000505").pk).status_code == 404  # unmanaged
    assert picker(client, usic, noeud="n'importe quoi").status_code == 404


def test_the_picker_search_finds_eligible_structures_with_their_path(client_for, usic):
    response = picker(client_for("gestionnaire"), usic, q="cardio")

    results = {result["node"].name: result["path"] for result in response.context["results"]}
    assert results["Cardiologie"] == "CLINIQUE CLAUDE BERNARD - ALBI › Médecine › Cardiologie"
    assert (
        results["Consultations de cardiologie"]
        == "CL DU REFUGE PROTESTANT › Cardiologie › Consultations de cardiologie"
    )
    assert "Cardiologie médicale - USIC" not in results  # current attachment: not eligible
    assert not any(name == "Cardiologie" and path.count("›") == 1 for name, path in results.items())  # pôle


@pytest.mark.parametrize("who", ["superuser", "referent du Tarn", "gestionnaire des deux EHPAD du Tarn"])
def test_the_picker_search_finds_the_structures_of_the_offers_catégorie_in_the_users_scope(client, db, who):
    """Who sees which « Unité Alzheimer »: the EG of the offer's catégorie that the user manages, every one for a
    superuser (who reads no set of trees: the catégorie carried by each structure says it)."""
    ehpads = {
        name: EtablissementFactory(name=name, medico_social=True, departement=dep)
        for name, dep in [("EHPAD d'Albi", "81"), ("EHPAD de Castres", "81"), ("EHPAD de Cayenne", "973")]
    }
    clinique = EtablissementFactory(name="Clinique d'Albi", departement="81")  # 365
    for eg in [*ehpads.values(), clinique]:
        StructureFactory(parent=eg, pole=True, name=f"Unité Alzheimer ({eg.name})")
    offer = OfferFactory(structure=ehpads["EHPAD d'Albi"], nom="Hébergement permanent")
    if who == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
    elif who == "referent du Tarn":
        user = HabilitationFactory(referent=True, departement="81").user
    else:
        user = HabilitationFactory(etablissement=ehpads["EHPAD d'Albi"]).user
        HabilitationFactory(user=user, etablissement=ehpads["EHPAD de Castres"])
    client.force_login(user)

    found = [result["node"].name for result in picker(client, offer, q="alzheimer").context["results"]]

    assert found == {
        "superuser": [
            "Unité Alzheimer (EHPAD d'Albi)", "Unité Alzheimer (EHPAD de Castres)",
            "Unité Alzheimer (EHPAD de Cayenne)",
        ],
        "referent du Tarn": ["Unité Alzheimer (EHPAD d'Albi)", "Unité Alzheimer (EHPAD de Castres)"],
        "gestionnaire des deux EHPAD du Tarn": ["Unité Alzheimer (EHPAD d'Albi)", "Unité Alzheimer (EHPAD de Castres)"],
    }[who]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
@pytest.mark.parametrize("offer_of", ["970302287", "810000224"], ids=["medico-social", "sanitaire"])
def test_the_picker_search_tests_the_offers_catégorie_that_one_index_serves_with_the_term(
    client, seed, superuser, offer_of
):
    """The search tests each name's EG catégorie (``etablissement_categorie``) with the term, and one trigram index
    leads with that catégorie: a national search reads the names of one catégorie's trees, not every name that
    contains the term (« cardio »: 29,000 sanitaire names on the benchmark's data, none médico-social, 340 ms of
    SQL for a superuser; 3.3 ms from this index). On these few rows PostgreSQL may as well read another index: the
    benchmark measures the plan on national data, this test that the index serves the pair of conditions."""
    offer = Offer.objects.filter(etablissement__finess_et=offer_of).first()
    categorie = offer.etablissement.categorie_id
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as captured:
        assert picker(client, offer, q="cardio").status_code == 200
    (search_sql,) = [query["sql"] for query in captured if "LIKE" in query["sql"]]
    assert f"\"etablissement_categorie_id\" = '{categorie}'" in search_sql
    names = Structure.objects.filter(etablissement_categorie=categorie, name__icontains="cardio").order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables would be read whole anyway
        # On a few rows the name's own trigram index, then a filter, costs the same: without it (dropped inside the
        # test's transaction, rolled back with it) the plan says whether this index serves both conditions.
        cursor.execute("DROP INDEX structures_structure_name_trgm")
    plan = names.explain()
    assert re.search(
        r"Bitmap Index Scan on structures_etablissement_categorie_name_trgm[^\n]*\s+"
        rf"Index Cond: \(\(\(etablissement_categorie_id\)::text = '?{categorie}'?(::text)?\) AND "
        r"\(upper\(\(name\)::text\) ~~ '%CARDIO%'::text\)\)",
        plan,
    ), plan


def test_the_picker_search_needs_three_characters(client_for, usic):
    response = client_for("gestionnaire").get(reverse("offer_picker", args=[usic.pk]), {"q": "ca"})

    assert response.context["results"] is None
    assert "Saisissez au moins 3 caractères du nom de la structure." in unescape(response.text)
    assert 'aria-describedby="picker-q-erreur"' in response.text


@pytest.mark.parametrize(("window", "too_many"), [(5, True), (40, False)])
def test_a_frequent_term_sorts_a_bounded_window_and_asks_for_more_precision(client, db, monkeypatch, window, too_many):
    monkeypatch.setattr("offers.views.SEARCH_WINDOW", window)
    eg = big_etablissement(poles=1, ufs_per_pole=30, offers_per_uf=0)
    home = big_etablissement(poles=1, ufs_per_pole=1, offers_per_uf=1)  # the offer's EG, same catégorie
    offer = Offer.objects.get(structure__tree_id=home.tree_id)
    user = HabilitationFactory(etablissement=eg).user
    HabilitationFactory(user=user, etablissement=home)
    client.force_login(user)

    response = client.get(reverse("offer_picker", args=[offer.pk]), {"q": "UF 000-0"})

    names = [result["node"].name for result in response.context["results"]]
    # The 30 UF of the EG match, and the offer's own UF 000-000 in its EG (never a result).
    if too_many:
        assert 0 < len(names) <= window and names == sorted(names)
        assert set(names) <= {f"UF 000-{n:03d}" for n in range(30)}
    else:
        # 20 rows sorted, the offer's own UF among them then left out.
        assert names == [f"UF 000-{n:03d}" for n in range(19)]
    assert ("précisez votre recherche" in response.text) is too_many


def test_the_picker_in_the_modal_gets_its_fragment_only(client_for, usic):
    response = client_for("gestionnaire").get(
        reverse("offer_picker", args=[usic.pk]), {"noeud": node("Cardiologie").pk, "modale": "1"},
        headers={"HX-Request": "true", "HX-Target": "picker-body"},
    )  # fmt: skip

    assert "<html" not in response.text and "<h1" not in response.text
    assert 'data-picker-location="Emplacement actuel : Cardiologie"' in response.text
    assert 'aria-controls="picker-modal">Annuler' in response.text
    assert 'hx-target="#rattachement-field"' in response.text


def test_rattacher_ici_puts_the_structure_into_the_form_without_saving(client_for, usic):
    cardiologie = node("Cardiologie")

    response = client_for("gestionnaire").get(
        reverse("offer_edit", args=[usic.pk]), {"rattachement": cardiologie.pk},
        headers={"HX-Request": "true", "HX-Target": "rattachement-field"},
    )  # fmt: skip

    assert response["HX-Trigger-After-Settle"] == "rattachement-choisi"
    assert response.text.strip().startswith('<div id="rattachement-field"')
    assert f'name="structure" value="{cardiologie.pk}"' in response.text
    assert "CLINIQUE CLAUDE BERNARD - ALBI › Médecine › Cardiologie" in unescape(response.text)
    assert unchanged(usic)


def test_rattacher_ici_on_an_ineligible_structure_says_why(client_for, usic):
    response = client_for("gestionnaire").get(
        reverse("offer_edit", args=[usic.pk]), {"rattachement": node("Médecine").pk},
        headers={"HX-Request": "true", "HX-Target": "rattachement-field"},
    )  # fmt: skip

    assert "HX-Trigger-After-Settle" not in response
    assert "ne se rattache pas à un pôle" in unescape(response.text)
    assert f'name="structure" value="{usic.structure_id}"' in response.text


def test_rattacher_ici_outside_the_scope_is_a_404(client_for, usic):
    outside = Structure.objects.get(finess_et="810000505")

    response = client_for("gestionnaire").get(reverse("offer_edit", args=[usic.pk]), {"rattachement": outside.pk})

    assert response.status_code == 404


def test_without_javascript_the_picker_is_a_page_and_the_form_keeps_what_was_typed(client_for, usic):
    client = client_for("gestionnaire")
    cardiologie = node("Cardiologie")

    to_picker = client.post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="Tapé avant", action="rattachement")
    )
    assert to_picker.status_code == 302
    assert to_picker["Location"] == f"{reverse('offer_picker', args=[usic.pk])}?noeud={usic.structure_id}"
    page = client.get(to_picker["Location"])
    assert "<h1" in page.text and "Rattachement organisationnel de l&#x27;offre" in page.text

    back = client.get(reverse("offer_edit", args=[usic.pk]), {"reprise": "1", "rattachement": cardiologie.pk})

    assert 'value="Tapé avant"' in back.text
    assert f'name="structure" value="{cardiologie.pk}"' in back.text
    assert unchanged(usic)


def test_a_level_of_hundreds_of_units_lists_the_first_hundred_and_points_to_the_search(client, db):
    eg = big_etablissement(poles=1, ufs_per_pole=150, offers_per_uf=1)
    pole = Structure.objects.get(parent=eg)
    offer = Offer.objects.filter(structure__tree_id=eg.tree_id).first()
    user = HabilitationFactory(etablissement=eg).user
    client.force_login(user)

    response = client.get(reverse("offer_picker", args=[offer.pk]), {"noeud": pole.pk})

    names = [entry["node"].name for entry in response.context["entries"]]
    assert names == list(pole.children.order_by("lft").values_list("name", flat=True)[:100])
    assert "Seules les premières structures sont listées : utilisez la recherche" in unescape(response.text)


PICKER_SIZES = {"petit": (2, 3, 2), "grand": (20, 30, 40)}  # pôles, UF per pôle, other EG of the user


@pytest.fixture(params=list(PICKER_SIZES))
def picker_world(request, db):
    poles, ufs, others = PICKER_SIZES[request.param]
    eg = big_etablissement(poles=poles, ufs_per_pole=ufs, offers_per_uf=1)
    user = HabilitationFactory(etablissement=eg).user
    for _ in range(others):
        HabilitationFactory(user=user, etablissement=big_etablissement(poles=1, ufs_per_pole=1, offers_per_uf=0))
    return eg, user, Offer.objects.filter(structure__tree_id=eg.tree_id).first()


# Exact totals, session, user and habilitations included, the same at both sizes: the picker opened on the
# offer's own structure (read with the offer, as its EG: no query for them), a level of UF, the EG at the top, a
# search over every UF, the edit form.
PICKER_QUERIES = {"ouverture": 6, "niveau": 8, "racine": 6, "recherche": 10, "formulaire": 7}


@pytest.mark.parametrize("case", list(PICKER_QUERIES))
def test_the_picker_and_the_form_run_the_same_number_of_queries_at_every_size(
    client, picker_world, django_assert_num_queries, case
):
    eg, user, offer = picker_world
    pole = Structure.objects.filter(parent=eg).order_by("lft").first()
    picker = reverse("offer_picker", args=[offer.pk])
    url, params = {
        "ouverture": (picker, {}),
        "niveau": (picker, {"noeud": pole.pk}),
        "racine": (picker, {"noeud": "racine"}),
        "recherche": (picker, {"noeud": pole.pk, "q": "UF 00"}),
        "formulaire": (reverse("offer_edit", args=[offer.pk]), {}),
    }[case]
    client.force_login(user)
    client.get(url, params)  # the session's first request of the minute records its activity

    with django_assert_num_queries(PICKER_QUERIES[case]):
        response = client.get(url, params)

    assert response.status_code == 200


@pytest.mark.parametrize("others", [2, 120])
def test_the_picker_top_costs_the_same_when_the_offers_eg_is_not_listed(client, db, django_assert_num_queries, others):
    """With more than 100 EG, the offer's own EG may sort after the rows shown: it is read all the same."""
    eg = big_etablissement(poles=1, ufs_per_pole=1, offers_per_uf=1, name="ÉTABLISSEMENT EN NOMBRE ZZZZ")
    offer = Offer.objects.get(structure__tree_id=eg.tree_id)
    user = HabilitationFactory(etablissement=eg).user
    HabilitationFactory(user=user, entite_juridique=many_etablissements(others))
    client.force_login(user)
    url = reverse("offer_picker", args=[offer.pk])
    client.get(url, {"noeud": "racine"})

    with django_assert_num_queries(PICKER_QUERIES["racine"]):
        response = client.get(url, {"noeud": "racine"})

    listed = {entry["node"].pk for entry in response.context["entries"]}
    assert (eg.pk in listed) is (others < 100)


# --- history and undo -----------------------------------------------------------------------------------


def test_undoing_the_latest_move(client_for, usic, demo_user):
    usic.move(demo_user("gestionnaire"), node("Cardiologie"))
    event = usic.latest_move()
    client = client_for("gestionnaire")
    page = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Annuler le déplacement" in page

    assert f'href="{reverse("move_undo", args=[usic.pk, event.pk])}"' in page  # a link to the confirmation

    response = client.post(reverse("move_undo", args=[usic.pk, event.pk]), follow=True)

    assert "Déplacement annulé : l'offre est de nouveau rattachée à « Cardiologie médicale - USIC »." in unescape(
        response.text
    )
    assert Offer.objects.get(pk=usic.pk).structure.name == "Cardiologie médicale - USIC"
    assert OfferEvent.objects.filter(offer=usic, kind="annulation").count() == 1


def test_annuler_le_deplacement_asks_for_confirmation_first(client_for, usic, demo_user):
    usic.move(demo_user("gestionnaire"), node("Cardiologie"))
    event = usic.latest_move()

    response = client_for("gestionnaire").get(reverse("move_undo", args=[usic.pk, event.pk]))

    text = " ".join(unescape(response.text).split())
    assert response.status_code == 200
    assert "<dt>Rattachement actuel :</dt><dd>Cardiologie</dd>" in text
    assert "<dt>Rattachement après l'annulation :</dt><dd>Cardiologie médicale - USIC</dd>" in text
    assert f'<form method="post" action="{reverse("move_undo", args=[usic.pk, event.pk])}">' in text
    assert "Confirmer l'annulation du déplacement" in text
    assert Offer.objects.get(pk=usic.pk).structure.name == "Cardiologie"  # nothing done yet


def test_the_confirmation_of_an_older_move_says_it_cannot_be_undone(client_for, usic, demo_user):
    usic.move(demo_user("gestionnaire"), node("Cardiologie"))
    first = usic.latest_move()
    usic.move(demo_user("gestionnaire"), node("HC Cardiologie"))

    text = unescape(client_for("gestionnaire").get(reverse("move_undo", args=[usic.pk, first.pk])).text)

    assert "Annulation impossible : Seul le dernier déplacement de l'offre peut être annulé." in text
    assert "Confirmer l'annulation" not in text


def test_an_undo_the_rules_refuse_says_why(client_for, usic, demo_user):
    usic.move(demo_user("gestionnaire"), node("Cardiologie"))
    Structure.objects.filter(pk=node("Cardiologie médicale - USIC").pk).update(closed_on="2024-01-01")

    page = unescape(client_for("gestionnaire").get(reverse("offer_detail", args=[usic.pk])).text)
    response = client_for("gestionnaire").post(reverse("move_undo", args=[usic.pk, usic.latest_move().pk]), follow=True)

    assert "Annulation impossible : « Cardiologie médicale - USIC » est fermé(e) depuis le 01/01/2024." in page
    assert "Le déplacement n'a pas été annulé" in unescape(response.text)
    assert Offer.objects.get(pk=usic.pk).structure.name == "Cardiologie"


def test_undo_by_someone_outside_the_scope_is_a_404(client_for, usic, demo_user):
    usic.move(demo_user("gestionnaire"), node("Cardiologie"))

    response = client_for("autre").post(reverse("move_undo", args=[usic.pk, usic.latest_move().pk]))

    assert response.status_code == 404
    assert Offer.objects.get(pk=usic.pk).structure.name == "Cardiologie"


def test_someone_elses_draft_cannot_be_published_or_deleted(client_for, usic):
    client_for("gestionnaire").post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=node("Cardiologie").pk, action="brouillon")
    )
    referent = client_for("referent")

    published = referent.post(reverse("draft_publish", args=[usic.pk]))
    referent.post(reverse("draft_delete", args=[usic.pk]))

    assert published.status_code == 404
    assert unchanged(usic)
    assert usic.drafts.count() == 1


def test_an_event_of_another_offer_cannot_be_undone_through_this_one(client_for, usic, demo_user):
    other = Offer.objects.get(nom="Hôpital de jour de cardiologie")
    other.move(demo_user("gestionnaire"), node("HC Cardiologie"))

    response = client_for("gestionnaire").post(reverse("move_undo", args=[usic.pk, other.latest_move().pk]))

    assert response.status_code == 404
    assert Offer.objects.get(pk=other.pk).structure.name == "HC Cardiologie"


# --- drafts hold every block; "Modifier" resumes them ---------------------------------------------------


def edit_page_data(client, offer, **changes):
    """What the edit page's form submits, as rendered (``tests.page_forms``), with ``changes``."""
    html = client.get(reverse("offer_edit", args=[offer.pk])).text
    return page_form_data(html, "formulaire-offre", **{name: [value] for name, value in changes.items()})


def test_modifier_with_a_pending_move_resumes_the_draft_and_saving_it_again_keeps_the_move(client_for, usic):
    """Regression: "Modifier" started from the published values, so saving the draft again dropped its move."""
    client = client_for("gestionnaire")
    cardiologie = node("Cardiologie")
    client.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=cardiologie.pk, action="brouillon"))

    # "Modifier" (not "Reprendre le brouillon"): the form says it resumes the draft, with its pending move.
    page = unescape(client.get(reverse("offer_edit", args=[usic.pk])).text)
    assert "Vous reprenez votre brouillon du " in page
    assert "Rattachement organisationnel : « Cardiologie médicale - USIC » → « Cardiologie »" in page
    response = client.post(
        reverse("offer_edit", args=[usic.pk]), edit_page_data(client, usic, nom="USIC repris", action="brouillon")
    )

    assert response.status_code == 302
    general = OfferDraft.objects.get(offer=usic).data["general"]
    assert (general["nom"], general["structure"]) == ("USIC repris", cardiologie.pk)
    assert unchanged(usic)


def test_publishing_from_modifier_publishes_the_whole_draft(client_for, usic):
    client = client_for("gestionnaire")
    client.post(
        reverse("offer_edit", args=[usic.pk]), form_data(usic, structure=node("Cardiologie").pk, action="brouillon")
    )
    draft = OfferDraft.objects.get(offer=usic)
    draft.data["characteristics"] = {"age_min": 16, "age_max": 99}
    draft.save()
    old_age = display(usic.age_min)

    response = client.post(
        reverse("offer_edit", args=[usic.pk]), edit_page_data(client, usic, nom="USIC publiée", action="publier")
    )

    assert response.status_code == 302
    usic = Offer.objects.get(pk=usic.pk)
    assert (usic.nom, usic.structure.name, usic.age_min, usic.version) == ("USIC publiée", "Cardiologie", 16, 2)
    assert not OfferDraft.objects.exists()
    history = unescape(client.get(reverse("offer_detail", args=[usic.pk])).text)
    assert "Nom de l'offre : « Unité de Soins Intensifs Cardiologie (USIC) » → « USIC publiée »" in history
    assert f"Âge minimum (ans) : « {old_age} » → « 16 »" in history
    assert "Déplacée de « Cardiologie médicale - USIC » vers « Cardiologie »" in history


def test_an_invalid_block_of_the_draft_is_not_published_and_says_why(client_for, usic):
    client = client_for("gestionnaire")
    client.post(reverse("offer_edit", args=[usic.pk]), form_data(usic, nom="Brouillon", action="brouillon"))
    draft = OfferDraft.objects.get(offer=usic)
    draft.data["characteristics"] = {"age_min": 50, "age_max": 10}
    draft.save()

    response = client.post(reverse("draft_publish", args=[usic.pk]), follow=True)

    assert "Le brouillon n'a pas été publié : Âge maximum (ans) : L'âge maximum doit être" in unescape(response.text)
    assert unchanged(usic) and OfferDraft.objects.exists()


def test_the_admin_and_the_portal_publish_the_same_change_the_same_way(client, usic, demo_user):
    """The same change (name and rattachement) by the same référent, once in the portal, once in the admin
    (each form submitted as its page renders it): the same version and the same history."""
    referent = demo_user("referent")
    client.force_login(referent)
    cardiologie = node("Cardiologie")

    def result():
        offer = Offer.objects.get(pk=usic.pk)
        events = offer.events.order_by("kind").values_list("kind", "fields", "changes", "from_label", "to_label")
        return offer.version, offer.nom, offer.structure_id, list(events), offer.events.filter(author=referent).count()

    with transaction.atomic():
        data = edit_page_data(client, usic, nom="USIC (nouveau nom)", structure=cardiologie.pk, action="publier")
        assert client.post(reverse("offer_edit", args=[usic.pk]), data).status_code == 302
        portal = result()
        transaction.set_rollback(True)
    assert unchanged(usic)

    url = reverse("admin:offers_offer_change", args=[usic.pk])
    data = page_form_data(client.get(url).text, "offer_form", nom=["USIC (nouveau nom)"], structure=[cardiologie.pk])
    assert client.post(url, data).status_code == 302
    admin = result()

    assert admin == portal
    assert portal[0] == 2 and len(portal[3]) == 2 and portal[4] == 2
