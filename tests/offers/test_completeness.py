"""Completeness ("peuplement") of offers: every criterion on its boundary, the statuses, the counts of an EG."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.completeness import A_FAIRE, CRITERIA, EN_COURS, FINALISE, completeness, counts, refresh, with_criteria
from offers.models import Offer
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def finalised_offer(**fields):
    offer = OfferFactory(age_min=0, age_max=120, **fields)
    TelecomFactory(contact=ContactFactory(offer=offer, fonction_id="05"))
    return offer


def status_of(offer):
    return completeness(with_criteria(Offer.objects.filter(pk=offer.pk)).get())


def missing_keys(offer):
    return [criterion.key for criterion in status_of(offer).missing]


def test_an_offer_meeting_every_criterion_is_finalised():
    assert status_of(finalised_offer()).status == FINALISE
    assert status_of(finalised_offer()).missing == []


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        (lambda offer: offer.activites.clear(), ["activite"]),
        (lambda offer: Offer.objects.filter(pk=offer.pk).update(age_max=None), ["patientele"]),
        (lambda offer: Offer.objects.filter(pk=offer.pk).update(age_min=None), ["patientele"]),
        (lambda offer: offer.contacts.update(fonction=None, nature=None), ["contact"]),
        (lambda offer: offer.contacts.update(fonction=None, nature_id="07"), []),  # a nature is enough
        (lambda offer: offer.contacts.first().telecoms.all().delete(), ["contact"]),
        (lambda offer: offer.contacts.all().delete(), ["contact"]),
    ],
)
def test_each_criterion_on_its_boundary(change, missing):
    offer = finalised_offer()

    change(offer)

    assert missing_keys(offer) == missing
    assert status_of(offer).status == (FINALISE if not missing else EN_COURS)
    refresh(Offer.objects.filter(pk=offer.pk))  # the stored status says the same
    assert Offer.objects.get(pk=offer.pk).get_completeness_display() == status_of(offer).status


def test_publish_stores_the_new_status():
    offer = OfferFactory(age_min=None, age_max=None)
    TelecomFactory(contact=ContactFactory(offer=offer, fonction_id="05"))
    refresh(Offer.objects.filter(pk=offer.pk))
    assert Offer.objects.get(pk=offer.pk).completeness == Offer.Completeness.EN_COURS
    user = HabilitationFactory(etablissement=offer.structure.etablissement_root()).user

    offer.publish(user, {"age_min": 0, "age_max": 17}, base_version=1)

    assert Offer.objects.get(pk=offer.pk).completeness == Offer.Completeness.FINALISE


def test_a_contact_meeting_part_of_the_criterion_does_not_count_with_another_meeting_the_rest():
    offer = finalised_offer()
    offer.contacts.all().delete()
    ContactFactory(offer=offer, fonction_id="05")  # a fonction, no télécom
    TelecomFactory(contact=ContactFactory(offer=offer))  # a télécom, no fonction nor nature

    assert missing_keys(offer) == ["contact"]


def test_none_met_is_a_faire_and_some_is_en_cours():
    nothing = SimpleNamespace(**{f"met_{criterion.key}": False for criterion in CRITERIA})
    one = SimpleNamespace(**{f"met_{criterion.key}": criterion.key == "champ" for criterion in CRITERIA})

    assert completeness(nothing).status == A_FAIRE and len(completeness(nothing).missing) == len(CRITERIA)
    assert completeness(one).status == EN_COURS


def test_an_eg_counts_its_open_offers_per_status_in_one_query(django_assert_num_queries):
    eg = EtablissementFactory()
    uf = StructureFactory(parent=StructureFactory(parent=eg, pole=True))
    finalised_offer(structure=uf)
    finalised_offer(structure=eg)
    OfferFactory(structure=uf)  # no patientèle, no contact: en cours
    finalised_offer(structure=uf, closed_on=timezone.localdate() - datetime.timedelta(days=1))  # closed
    finalised_offer(structure=uf, closed_on=timezone.localdate() + datetime.timedelta(days=5))  # still open
    OfferFactory()  # another EG's
    refresh(Offer.objects.all())

    with django_assert_num_queries(1):
        result = counts(Offer.objects.filter(structure__tree_id=eg.tree_id))

    assert [(status, count) for status, count, _ in result.rows] == [(FINALISE, 3), (EN_COURS, 1), (A_FAIRE, 0)]
    assert result.closed == 1


def test_the_pages_show_the_status_the_counts_and_the_share(client):
    eg = EtablissementFactory()
    uf = StructureFactory(parent=StructureFactory(parent=eg, pole=True))
    done, todo = finalised_offer(structure=uf), OfferFactory(structure=uf)
    refresh(Offer.objects.all())
    user = HabilitationFactory(etablissement=eg).user
    client.force_login(user)

    page = client.get(reverse("offer_detail", args=[todo.pk])).text
    assert "Statut de complétude" in page and "En cours" in page
    assert f'href="{reverse("contact_add", args=[todo.pk])}"' in page
    assert f'href="{reverse("offer_block_edit", args=[todo.pk, "caracteristiques"])}">La patientèle' in page
    assert "À compléter" not in client.get(reverse("offer_detail", args=[done.pk])).text
    eg_page = client.get(reverse("structure_detail", args=[eg.pk])).text
    assert "Finalisé : 1" in eg_page and "En cours : 1" in eg_page and "À faire : 0" in eg_page
    assert "<td>50 %</td>" in client.get(reverse("etablissement_list")).text
