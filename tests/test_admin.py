"""The Django admin for référents: territory scoping, lazy tree, read-only nomenclatures."""

from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Habilitation
from offers.models import Offer
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.page_forms import form_data
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def changelist(model, **params):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def referent(client_for):
    return client_for("referent")


@pytest.mark.parametrize("username", ["gestionnaire", "autre", "regulateur"])
def test_non_staff_users_cannot_enter_the_admin(client_for, username):
    response = client_for(username).get(reverse("admin:index"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_staff_user_without_referent_habilitation_sees_no_module(client, db):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_the_structure_tree_opens_on_the_etablissements_of_the_territory(referent):
    response = referent.get(changelist(Structure))

    names = {row.name for row in response.context["cl"].result_list}
    assert "CLINIQUE CLAUDE BERNARD - ALBI" in names
    assert "CH ALBI" in names
    assert "Pédiatrie - Obstétrique" not in names  # children wait for their level
    assert "E.H.P.A.D. EDMAR LAMA DE CAYENNE" not in names  # Guyane, not the Tarn
    assert response.context["cl"].result_count == 23


def test_the_tree_is_browsed_one_level_at_a_time(referent):
    eg = Structure.objects.get(finess_et="810000224")

    response = referent.get(changelist(Structure) + f"?parent={eg.pk}")

    assert [row.name for row in response.context["cl"].result_list] == ["Médecine", "Pédiatrie - Obstétrique"]
    assert "Sous-structures de « CLINIQUE CLAUDE BERNARD - ALBI »" in response.text


def test_a_search_looks_through_every_level(referent):
    response = referent.get(changelist(Structure) + "?q=HJ+Cardio")

    assert [row.name for row in response.context["cl"].result_list] == ["HJ Cardiologie"]


def test_the_tree_page_has_a_constant_number_of_queries(referent, django_assert_max_num_queries):
    for _ in range(60):
        EtablissementFactory(departement="81")

    with django_assert_max_num_queries(12):
        response = referent.get(changelist(Structure))

    assert response.status_code == 200


def test_a_structure_outside_the_territory_is_not_reachable(referent):
    ehpad = Structure.objects.get(finess_et="970302287")

    response = referent.get(change_url(ehpad))

    assert response.status_code == 302  # Django admin: "does not exist" and back to the index
    assert "E.H.P.A.D." not in referent.get(response["Location"]).text


def test_offers_outside_the_territory_are_hidden(referent):
    response = referent.get(changelist(Offer))

    names = {offer.nom for offer in response.context["cl"].result_list}
    assert "Unité de Soins Intensifs Cardiologie (USIC)" in names
    assert "Hébergement permanent" not in names


def test_offers_of_one_structure(referent):
    uf = Structure.objects.get(name="Cardiologie médicale - USIC")

    response = referent.get(changelist(Offer) + f"?structure__id__exact={uf.pk}")

    assert [offer.nom for offer in response.context["cl"].result_list] == [
        "Unité de Soins Intensifs Cardiologie (USIC)"
    ]


def test_a_referent_adds_an_internal_structure_in_the_territory(referent):
    eg = Structure.objects.get(finess_et="810000224")

    response = referent.post(
        reverse("admin:structures_structure_add"), {"kind": "1", "name": "Chirurgie", "parent": eg.pk}
    )

    assert response.status_code == 302
    pole = Structure.objects.get(name="Chirurgie")
    assert (pole.parent_id, pole.tree_id, pole.level) == (eg.pk, eg.tree_id, 1)


def test_a_forged_parent_outside_the_territory_is_refused(referent):
    ehpad = Structure.objects.get(finess_et="970302287")

    response = referent.post(
        reverse("admin:structures_structure_add"), {"kind": "1", "name": "Intrus", "parent": ehpad.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    assert not Structure.objects.filter(name="Intrus").exists()


@pytest.mark.parametrize("parent", ["Pédiatrie - Obstétrique", "CL DU REFUGE PROTESTANT"])
def test_the_admin_moves_no_internal_structure_its_portal_does(referent, parent):
    """A move takes the offers along with a history row each: the portal's "Déplacer la structure" does it. A
    forged parent in the admin's change form is ignored (the field is read-only), in the EG or outside it."""
    uf = Structure.objects.get(name="HJ Cardiologie")
    target = Structure.objects.get(name=parent)
    data = form_data(referent.get(change_url(uf)).text, "structure_form")
    assert "parent" not in data

    response = referent.post(change_url(uf), data | {"parent": [str(target.pk)], "name": ["HJ de cardiologie"]})

    assert response.status_code == 302
    uf = Structure.objects.get(pk=uf.pk)
    assert (uf.parent.name, uf.name, uf.version) == ("Cardiologie", "HJ de cardiologie", 2)
    (event,) = uf.events.all()
    assert event.changes == [["Nom", "HJ Cardiologie", "HJ de cardiologie"]] and event.author.username == "referent"


def test_an_addition_in_the_admin_is_the_first_row_of_the_history(referent):
    eg = Structure.objects.get(finess_et="810000224")

    referent.post(reverse("admin:structures_structure_add"), {"kind": "1", "name": "Chirurgie", "parent": eg.pk})

    (event,) = Structure.objects.get(name="Chirurgie").events.all()
    assert (event.kind, event.to_label) == ("creation", eg.name)


def test_finess_cells_of_an_etablissement_are_read_only(referent):
    eg = Structure.objects.get(finess_et="810000224")

    referent.post(
        change_url(eg),
        {
            "name": "CLINIQUE CLAUDE BERNARD",
            "finess_et": "999999999",
            "siret": "1",
            "opened_on": "",
            "closed_on": "",
        },
    )

    eg.refresh_from_db()
    assert (eg.name, eg.finess_et, eg.siret) == ("CLINIQUE CLAUDE BERNARD", "810000224", "08692039400011")


def test_nomenclatures_are_read_only(referent):
    assert referent.get(reverse("admin:nomenclatures_typeoffre_changelist")).status_code == 200
    assert referent.get(reverse("admin:nomenclatures_typeoffre_add")).status_code == 403
    response = referent.post(reverse("admin:nomenclatures_typeoffre_change", args=["262"]), {"label": "x"})
    assert response.status_code == 403


def test_the_referent_sees_the_accounts_of_the_territory_only(referent, db):
    outsider = HabilitationFactory(etablissement=Structure.objects.get(finess_et="970302287")).user

    response = referent.get(changelist(type(outsider)))

    usernames = {user.username for user in response.context["cl"].result_list}
    assert {"gestionnaire", "autre", "referent", "regulateur"} <= usernames
    assert outsider.username not in usernames


def test_the_referent_sees_only_the_habilitations_of_the_territory(referent, demo_user):
    gestionnaire = demo_user("gestionnaire")

    response = referent.get(change_url(gestionnaire))

    shown = {
        str(form.instance) for form in response.context["inline_admin_formsets"][0].formset.forms if form.instance.pk
    }
    assert any("CL DU REFUGE PROTESTANT" in label for label in shown)
    assert not any("EDMAR LAMA" in label for label in shown)


def test_a_referent_cannot_grant_a_habilitation_outside_the_territory(referent, demo_user):
    autre = demo_user("autre")
    ehpad = Structure.objects.get(finess_et="970302287")
    data = {
        "username": "autre", "first_name": "Dominique", "last_name": "Autre", "email": "", "is_active": "on",
        "habilitations-TOTAL_FORMS": "1", "habilitations-INITIAL_FORMS": "0",
        "habilitations-0-role": "responsable", "habilitations-0-etablissement": ehpad.pk,
        "habilitations-0-entite_juridique": "", "habilitations-0-departement": "",
    }  # fmt: skip

    response = referent.post(change_url(autre), data)

    assert response.status_code == 200
    assert not Habilitation.objects.filter(user=autre, etablissement=ehpad).exists()


def test_a_referent_cannot_make_anyone_superuser(referent, demo_user):
    autre = demo_user("autre")
    data = {
        "username": "autre", "first_name": "Dominique", "last_name": "Autre", "email": "", "is_active": "on",
        "is_superuser": "on", "habilitations-TOTAL_FORMS": "0", "habilitations-INITIAL_FORMS": "0",
    }  # fmt: skip

    referent.post(change_url(autre), data)

    autre.refresh_from_db()
    assert not autre.is_superuser


def test_a_superuser_sees_every_etablissement(client, seed, superuser):
    client.force_login(superuser)

    response = client.get(changelist(Structure))

    assert response.context["cl"].result_count == Structure.objects.filter(level=0).count() == 37


def test_the_offer_admin_shows_contacts_inline(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")

    response = referent.get(change_url(usic))

    assert response.status_code == 200
    assert "Cadre de santé de l&#x27;USIC" in response.text


def admin_offer_data(client, offer, **changes):
    """What the browser submits from the rendered change page (hidden version included), with ``changes``."""
    return form_data(client.get(change_url(offer)).text, "offer_form", **changes)


def test_saving_an_offer_in_the_admin_bumps_its_version_and_records_it(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")

    response = referent.post(change_url(usic), admin_offer_data(referent, usic, nom="USIC (renommée)"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    usic.refresh_from_db()
    assert (usic.nom, usic.version) == ("USIC (renommée)", 2)
    assert usic.events.get().fields == ["Nom de l'offre"]


def test_a_stale_admin_form_is_refused(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    data = admin_offer_data(referent, usic, nom="Écrasement")
    Offer.objects.filter(pk=usic.pk).update(version=2, nom="Publiée entre-temps")

    response = referent.post(change_url(usic), data)

    assert response.status_code == 200
    assert "Cette offre a été modifiée entre-temps" in response.text
    assert Offer.objects.get(pk=usic.pk).nom == "Publiée entre-temps"


def test_a_move_in_the_admin_goes_through_the_rules(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    pole = Structure.objects.get(name="Médecine", kind="1", tree_id=usic.structure.tree_id)
    cardiologie = Structure.objects.get(name="Cardiologie", kind="2")

    refused = referent.post(change_url(usic), admin_offer_data(referent, usic, structure=pole.pk))
    accepted = referent.post(change_url(usic), admin_offer_data(referent, usic, structure=cardiologie.pk))

    assert "Une offre sanitaire ne se rattache pas à un pôle" in refused.text
    assert accepted.status_code == 302
    event = usic.events.get()
    assert (event.kind, event.from_label, event.to_label) == (
        "deplacement",
        "Cardiologie médicale - USIC",
        "Cardiologie",
    )


def test_structure_factory_is_in_a_tree(db):
    uf = StructureFactory()

    assert uf.parent.is_etablissement and uf.tree_id == uf.parent.tree_id


def test_admin_edits_of_other_fields_and_contacts_are_recorded_too(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    data = admin_offer_data(referent, usic, age_min="16")

    referent.post(change_url(usic), data)

    usic.refresh_from_db()
    assert usic.version == 2
    assert usic.events.get().fields == ["Âge minimum (ans)"]


def test_saving_an_unchanged_offer_in_the_admin_publishes_nothing(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")

    response = referent.post(change_url(usic), admin_offer_data(referent, usic))

    assert response.status_code == 302
    usic.refresh_from_db()
    assert usic.version == 1 and not usic.events.exists()


def test_making_an_offer_sensitive_in_the_admin_restricts_its_contacts(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")

    referent.post(change_url(usic), admin_offer_data(referent, usic, unite_sensible="on"))

    assert set(usic.contacts.values_list("confidentialite_id", flat=True)) == {"3"}
    assert usic.events.get().fields == ["Unité sensible"]


def test_a_new_offer_in_the_admin_follows_the_placement_rules(referent):
    pole = Structure.objects.get(name="Pédiatrie - Obstétrique")
    uf = Structure.objects.get(name="Cardiologie médicale - USIC")
    data = {
        "nom": "Nouvelle offre", "champ_activite": "01", "modele_saisie": "260/01", "mode_prise_en_charge": "28",
        "activites": ["013"], "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
    }  # fmt: skip

    refused = referent.post(reverse("admin:offers_offer_add"), data | {"structure": pole.pk})
    accepted = referent.post(reverse("admin:offers_offer_add"), data | {"structure": uf.pk})

    assert "Une offre sanitaire ne se rattache pas à un pôle" in refused.text
    assert accepted.status_code == 302
    assert Offer.objects.get(nom="Nouvelle offre").structure == uf


def test_the_tree_can_be_filtered_by_departement(referent):
    tarn = referent.get(changelist(Structure) + "?departement=81")
    guyane = referent.get(changelist(Structure) + "?departement=9C")

    assert tarn.context["cl"].result_count == 23
    assert guyane.context["cl"].result_count == 0  # outside the territory, even when asked for


def test_the_departement_filter_offers_the_territory_only(referent, db):
    response = referent.get(changelist(Structure))

    spec = next(
        spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", None) == "departement"
    )
    assert [code for code, _label in spec.lookup_choices] == ["81"]


def test_the_departement_filter_of_an_eg_referent_comes_from_its_eg(client, db):
    eg = EtablissementFactory(departement="31")
    user = HabilitationFactory(user=UserFactory(is_staff=True), referent=True, etablissement=eg).user
    client.force_login(user)

    response = client.get(changelist(Structure))

    spec = next(
        spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", None) == "departement"
    )
    assert [code for code, _label in spec.lookup_choices] == ["31"]


# --- contacts and télécoms in the admin: publications of their offer -------------------------------------


def test_a_contact_changed_in_the_offer_inline_is_published_with_its_history(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    html = referent.get(change_url(usic)).text
    index = next(i for i in range(5) if f'name="contacts-{i}-nom" value="Secrétariat de cardiologie"' in html)
    data = form_data(html, "offer_form", **{f"contacts-{index}-nom": "Secrétariat (admin)"})

    response = referent.post(change_url(usic), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    usic.refresh_from_db()
    assert usic.version == 2
    assert usic.events.get().changes == [
        ["Contact « Secrétariat (admin) » : Nom", "Secrétariat de cardiologie", "Secrétariat (admin)"]
    ]


def test_a_telecom_changed_on_the_contact_page_is_published_and_normalised(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    contact = usic.contacts.get(nom="Cadre de santé de l'USIC")
    url = change_url(contact)
    data = form_data(referent.get(url).text, "contact_form", **{"telecoms-0-valeur": "05.63.77.00.02"})

    response = referent.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(contact.telecoms.values_list("valeur", flat=True)) == ["05 63 77 00 02"]
    usic.refresh_from_db()
    assert usic.version == 2
    assert usic.events.get().changes == [
        ["Télécom de « Cadre de santé de l'USIC » : Valeur", "05 63 77 00 01", "05 63 77 00 02"]
    ]


def test_a_stale_contact_page_is_refused_and_changes_nothing(referent, demo_user):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    contact = usic.contacts.get(nom="Cadre de santé de l'USIC")
    data = form_data(referent.get(change_url(contact)).text, "contact_form", nom="Écrasé")
    usic.publish(demo_user("gestionnaire"), {"nom": "Publiée entre-temps"}, base_version=1)

    response = referent.post(change_url(contact), data)

    assert response.status_code == 200 and "a été modifiée entre-temps" in response.text
    assert usic.contacts.filter(nom="Cadre de santé de l'USIC").exists()
    assert Offer.objects.get(pk=usic.pk).version == 2


def test_a_contact_deleted_in_the_admin_is_a_publication_of_its_offer(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    contact = usic.contacts.get(nom="Cadre de santé de l'USIC")
    url = reverse("admin:offers_contact_delete", args=[contact.pk])

    response = referent.post(url, form_data(referent.get(url).text, None, post=["yes"]))

    assert response.status_code == 302
    assert not usic.contacts.filter(pk=contact.pk).exists()
    usic.refresh_from_db()
    assert usic.version == 2
    assert usic.events.get().changes == [
        ["Contact « Cadre de santé de l'USIC »", "Cadre de santé de l'USIC", "supprimé"]
    ]


def test_a_new_offer_in_the_admin_takes_a_modele_of_its_categorie_and_champ_and_records_its_creation(referent):
    uf = Structure.objects.get(name="Cardiologie médicale - USIC")
    data = {
        "nom": "Nouvelle offre", "champ_activite": "01", "mode_prise_en_charge": "28", "activites": ["013"],
        "structure": uf.pk, "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
    }  # fmt: skip

    for modele in ("040/01", "020/01", "inventé"):
        refused = referent.post(reverse("admin:offers_offer_add"), data | {"modele_saisie": modele})
        assert f"Le modèle de saisie « {modele} » n'existe pas ou ne s'applique pas" in unescape(refused.text)
    referent.post(reverse("admin:offers_offer_add"), data | {"modele_saisie": "261/01"})

    offer = Offer.objects.get(nom="Nouvelle offre")
    assert (offer.published, offer.modele_saisie, offer.identifiant.split("/")[0]) == (True, "261/01", "76")
    assert list(offer.events.values_list("kind", flat=True)) == ["creation"]


def test_an_offer_never_published_is_read_only_in_the_admin(referent):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")
    draft = Offer.objects.create(
        structure=usic.structure, nom="Brouillon", champ_activite_id="01", modele_saisie="260/01", published=False
    )
    contact = draft.contacts.create(nom="Secrétariat", confidentialite_id="2")

    page = referent.get(change_url(draft))
    posted = referent.post(change_url(draft), {"nom": "Changé"})
    contact_post = referent.post(change_url(contact), {"nom": "Changé", "confidentialite": "2"})

    assert page.status_code == 200 and 'name="nom"' not in page.text
    assert posted.status_code == 403 and contact_post.status_code == 403
    draft.refresh_from_db()
    assert (draft.nom, draft.published, draft.contacts.get().nom) == ("Brouillon", False, "Secrétariat")


def test_a_referent_adds_and_changes_a_modele_de_saisie_as_the_pages_render_it(referent):
    add = referent.get(reverse("admin:offers_modelesaisie_add")).text
    data = form_data(add, "modelesaisie_form", identifiant=["270/01"], libelle=["Unité d'hospitalisation à domicile"])
    data |= {"champs": ["01"], "categories": ["365", "101"], "actif": ["on"]}

    assert referent.post(reverse("admin:offers_modelesaisie_add"), data).status_code == 302

    from nomenclatures.models import CategorieEtablissement
    from offers.models import ModeleSaisie

    modele = ModeleSaisie.objects.get(identifiant="270/01")
    assert set(modele.categories.values_list("pk", flat=True)) == {"365", "101"}
    change = referent.get(change_url(modele)).text
    data = form_data(change, "modelesaisie_form")
    data.pop("actif", None)  # unchecked: withdrawn from creation
    assert referent.post(change_url(modele), data).status_code == 302
    modele.refresh_from_db()
    assert (modele.identifiant, modele.actif) == ("270/01", False)
    assert not ModeleSaisie.objects.valid_for(CategorieEtablissement.objects.get(pk="365"), "01").filter(pk=modele.pk)
    assert (
        referent.post(reverse("admin:offers_modelesaisie_delete", args=[modele.pk]), {"post": "yes"}).status_code == 403
    )


# --- deleting a structure: only one created by mistake -------------------------------------------------------


def delete_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])


@pytest.mark.parametrize(
    ("case", "deletable"),
    [("leaf", True), ("with an offer", False), ("in an offer's history", False), ("with a sub-structure", False)],
)
def test_only_a_structure_created_by_mistake_is_deleted(referent, demo_user, case, deletable):
    from offers.models import OfferEvent

    user = demo_user("referent")
    service = Structure.objects.get(name="Cardiologie", kind=Structure.Kind.SERVICE)
    node = Structure.add_internal(user, service, Structure.Kind.UF, "Créée par erreur")
    if case == "with an offer":
        Offer.objects.filter(nom="Échographie cardiaque").update(structure=node)
    elif case == "in an offer's history":
        offer = Offer.objects.get(nom="Échographie cardiaque")
        OfferEvent.objects.create(offer=offer, kind="deplacement", from_structure=node, from_label=node.name,
                                  to_structure=offer.structure, to_label=offer.structure.name, version=1)  # fmt: skip
    elif case == "with a sub-structure":
        Structure.add_internal(user, node, Structure.Kind.UE, "Lits")

    page = referent.get(delete_url(node))
    response = referent.post(delete_url(node), {"post": "yes"})

    if deletable:
        assert (page.status_code, response.status_code) == (200, 302)
        assert not Structure.objects.filter(pk=node.pk).exists()
    else:
        assert (page.status_code, response.status_code) == (403, 403)
        assert Structure.objects.filter(pk=node.pk).exists()


def test_the_admin_closes_no_internal_structure_its_portal_does(referent):
    uf = Structure.objects.get(name="HJ Cardiologie")
    data = form_data(referent.get(change_url(uf)).text, "structure_form")
    assert "closed_on" not in data

    response = referent.post(change_url(uf), data | {"closed_on": ["2020-01-01"]})

    assert response.status_code == 302 and Structure.objects.get(pk=uf.pk).closed_on is None
