"""The move rules on the seed's own établissements (the cases the guide and the issue name)."""

import pytest

from offers.models import MoveRefused, Offer
from structures.models import Structure
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db

USIC = "Unité de Soins Intensifs Cardiologie (USIC)"


def in_eg(finess, name):
    return Structure.objects.get(tree_id=Structure.objects.get(finess_et=finess).tree_id, name=name)


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom=USIC)


def test_the_seed_move_to_cardiologie_is_allowed(usic, demo_user):
    assert usic.move_refusal_reason(demo_user("gestionnaire"), in_eg("810000224", "Cardiologie")) is None


def test_to_a_same_categorie_eg_the_gestionnaire_manages(usic, demo_user):
    target = in_eg("810000158", "Hospitalisation de médecine polyvalente")  # CL DU REFUGE PROTESTANT, 365

    usic.move(demo_user("gestionnaire"), target)

    assert Offer.objects.get(pk=usic.pk).structure == target


def test_refused_to_centre_cmrf_albi_another_categorie(usic, demo_user):
    target = in_eg("810000232", "SMR cardio-vasculaire")  # CENTRE CMRF ALBI, 109, managed by gestionnaire

    with pytest.raises(MoveRefused, match=r"« CENTRE CMRF ALBI » n'est pas de la même catégorie d'établissement \(109"):
        usic.move(demo_user("gestionnaire"), target)

    assert Offer.objects.get(pk=usic.pk).structure.name == "Cardiologie médicale - USIC"


def test_refused_to_a_same_categorie_eg_the_gestionnaire_does_not_manage(usic, demo_user):
    lautrec = Structure.objects.get(finess_et="810101170")  # CL TOULOUSE LAUTREC, 365
    target = StructureFactory(parent=StructureFactory(parent=lautrec, pole=True), service=True)

    assert usic.move_refusal_reason(demo_user("gestionnaire"), target) == (
        "Vous n'êtes pas habilité(e) sur l'établissement « CL TOULOUSE LAUTREC »."
    )
    assert usic.move_refusal_reason(demo_user("referent"), target) is None  # the Tarn's référent manages both


def test_the_autre_account_cannot_move_claude_bernard_offers(usic, demo_user):
    assert usic.move_refusal_reason(demo_user("autre"), in_eg("810000224", "Cardiologie")).startswith(
        "Vous n'êtes pas habilité(e) à modifier les offres de « CLINIQUE CLAUDE BERNARD - ALBI »"
    )


def test_medico_social_offers_of_the_ehpad_move_inside_it(seed, demo_user):
    offer = Offer.objects.get(nom="Accueil de jour")
    ehpad = Structure.objects.get(finess_et="970302287")
    unit = StructureFactory(parent=ehpad, kind=Structure.Kind.SERVICE, name="Unité Alzheimer")
    gestionnaire = demo_user("gestionnaire")

    offer.move(gestionnaire, unit)
    offer.move(gestionnaire, Structure.objects.get(pk=ehpad.pk))

    assert Offer.objects.get(pk=offer.pk).structure == ehpad
    assert [event.to_label for event in offer.events.order_by("created_at", "pk")] == [
        "Unité Alzheimer",
        "E.H.P.A.D. EDMAR LAMA DE CAYENNE",
    ]
