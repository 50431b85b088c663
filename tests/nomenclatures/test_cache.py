"""The per-process nomenclature cache: what ``attach`` gives equals what a join gives, and it never hides a code."""

import pytest
from django.contrib import admin

from nomenclatures import cache
from nomenclatures.admin import NomenclatureListFilter
from nomenclatures.loading import load_all
from nomenclatures.models import ActiviteOperationnelle, ChampActivite, FonctionContact, TypeOffre
from offers.models import Contact, ModeleSaisie, Offer
from tests.offers.factories import ContactFactory, OfferFactory

pytestmark = pytest.mark.django_db


def test_attach_sets_what_select_related_would_without_a_query(django_assert_num_queries):
    offer = OfferFactory(type_offre=TypeOffre.objects.order_by("code").first())
    joined = Offer.objects.select_related("champ_activite", "type_offre", "mode_prise_en_charge").get(pk=offer.pk)
    plain = Offer.objects.get(pk=offer.pk)
    cache.table(ChampActivite), cache.table(TypeOffre), cache.table(type(offer.mode_prise_en_charge))

    with django_assert_num_queries(0):
        cache.attach([plain], "champ_activite", "type_offre", "mode_prise_en_charge")
        values = [(plain.champ_activite.label, plain.type_offre.label, plain.mode_prise_en_charge.label)]

    assert values == [(joined.champ_activite.label, joined.type_offre.label, joined.mode_prise_en_charge.label)]


def test_a_null_code_attaches_none(django_assert_num_queries):
    offer = Offer.objects.get(pk=OfferFactory(type_offre=None).pk)
    cache.table(TypeOffre)

    with django_assert_num_queries(0):
        cache.attach([offer], "type_offre")
        assert offer.type_offre is None


def test_a_path_through_a_loaded_relation():
    offer = OfferFactory()
    contact = Contact.objects.select_related("offer").get(pk=ContactFactory(offer=offer).pk)

    cache.attach([contact], "offer__champ_activite")

    assert contact.offer.champ_activite == offer.champ_activite


def test_one_read_per_table_then_none(django_assert_num_queries):
    with django_assert_num_queries(1):
        first = cache.get(ChampActivite, "01")
    with django_assert_num_queries(0):
        assert cache.get(ChampActivite, "01") is first


def test_a_code_missing_from_the_cache_is_read_again_not_reported_absent():
    cache.table(FonctionContact)
    # Written behind the cache's back, as another process's load would (bulk writes send no signal).
    FonctionContact.objects.bulk_create([FonctionContact(code="ZZ9", label="Fonction ajoutée")])

    assert cache.get(FonctionContact, "ZZ9").label == "Fonction ajoutée"
    assert cache.get(FonctionContact, "inconnu") is None


def test_a_row_saved_in_this_process_is_read_again_at_once():
    assert cache.get(ChampActivite, "01").label != "Libellé corrigé"
    row = ChampActivite.objects.get(pk="01")
    row.label = "Libellé corrigé"
    row.save()

    assert cache.get(ChampActivite, "01").label == "Libellé corrigé"


def test_a_load_of_the_nomenclatures_is_read_again_at_once():
    code = ActiviteOperationnelle.objects.order_by("code").first().code
    official = ActiviteOperationnelle.objects.get(pk=code).label
    ActiviteOperationnelle.objects.filter(pk=code).update(label="Libellé modifié")
    assert cache.get(ActiviteOperationnelle, code).label == "Libellé modifié"

    load_all()  # restores the NOS label, with bulk writes (no signal)

    assert cache.get(ActiviteOperationnelle, code).label == official


def test_a_label_changed_by_another_process_shows_after_max_age(monkeypatch):
    cache.get(ChampActivite, "01")
    ChampActivite.objects.filter(pk="01").update(label="Changé ailleurs")
    assert cache.get(ChampActivite, "01").label != "Changé ailleurs"

    now = cache.time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: now + cache.MAX_AGE + 1)

    assert cache.get(ChampActivite, "01").label == "Changé ailleurs"


def test_public_pris_en_charge_and_temporalite_accueil_are_the_nos_value_sets(db):
    from nomenclatures.models import PublicPrisEnCharge, TemporaliteAccueil

    assert PublicPrisEnCharge.objects.count() == 10 and PublicPrisEnCharge.objects.get(pk="07").label == "Tout public"
    assert dict(TemporaliteAccueil.objects.values_list("code", "label")) == {"01": "Temporaire", "02": "Permanent"}


@pytest.mark.parametrize(("model", "field_name"), [(Offer, "champ_activite"), (ModeleSaisie, "champs")])
def test_the_admins_nomenclature_filter_lists_what_djangos_lists_without_a_query(
    rf, admin_user, django_assert_num_queries, model, field_name
):
    """The offers' (and modèles') filter by champ d'activité: Django's choices, in its order, from the cache."""
    field = model._meta.get_field(field_name)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user
    djangos = admin.RelatedFieldListFilter(field, request, {}, model, model_admin, field_name)
    cache.table(field.related_model)

    with django_assert_num_queries(0):
        ours = NomenclatureListFilter(field, request, {}, model, model_admin, field_name)

    assert ours.lookup_choices == djangos.lookup_choices
    assert len(ours.lookup_choices) == ChampActivite.objects.count()
