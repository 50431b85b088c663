"""The move rules (product.md §4), exhaustively, on the model."""

import datetime

import pytest

from nomenclatures import cache
from nomenclatures.models import CategorieEtablissement
from offers.moves import MovePolicy
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import OfferFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
K = Structure.Kind
PAST = datetime.date(2020, 1, 1)
FUTURE = datetime.date.today() + datetime.timedelta(days=365)


@pytest.fixture
def sanitaire():
    """EG (365) › pôle › service › UF (the offer's) + UF2 + UE; a closed service › UF; a second pôle."""
    eg = EtablissementFactory(categorie_id="365")
    pole = StructureFactory(parent=eg, pole=True, name="Pôle")
    service = StructureFactory(parent=pole, service=True, name="Service")
    uf = StructureFactory(parent=service, name="UF de l'offre")
    uf2 = StructureFactory(parent=service, name="UF 2")
    ue = StructureFactory(parent=uf2, kind=K.UE, name="Unité élémentaire")
    closed_service = StructureFactory(parent=pole, service=True, name="Service fermé", closed_on=PAST)
    uf_in_closed = StructureFactory(parent=closed_service, name="UF d'un service fermé")
    offer = OfferFactory(structure=uf)
    user = HabilitationFactory(etablissement=eg).user
    return locals()


def reason(offer, user, target):
    return offer.move_refusal_reason(user, Structure.objects.get(pk=target.pk))


def test_within_the_eg_to_another_uf_a_service_or_a_unit(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["uf2"]) is None
    assert reason(s["offer"], s["user"], s["service"]) is None
    assert reason(s["offer"], s["user"], s["ue"]) is None


def test_a_sanitaire_offer_never_goes_to_a_pole(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["pole"]) == (
        "Une offre sanitaire ne se rattache pas à un pôle : choisissez un service ou une unité de ce pôle."
    )


def test_a_sanitaire_offer_never_goes_to_the_eg_itself(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["eg"]).startswith(
        "Une offre sanitaire ne se rattache pas directement à l'établissement"
    )


def test_not_to_its_current_attachment(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["uf"]) == "L'offre est déjà rattachée à « UF de l'offre »."


def test_not_to_a_closed_structure(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["closed_service"]) == "« Service fermé » est fermé(e) depuis le 01/01/2020."


def test_not_below_a_closed_structure(sanitaire):
    s = sanitaire

    assert reason(s["offer"], s["user"], s["uf_in_closed"]) == (
        "« UF d'un service fermé » est dans « Service fermé », fermé(e) depuis le 01/01/2020."
    )


def test_a_closing_date_in_the_future_does_not_close_yet(sanitaire):
    s = sanitaire
    Structure.objects.filter(pk=s["uf2"].pk).update(closed_on=FUTURE)

    assert reason(s["offer"], s["user"], s["uf2"]) is None


def test_a_closed_offer_does_not_move(sanitaire):
    s = sanitaire
    s["offer"].closed_on = PAST
    s["offer"].save()

    assert reason(s["offer"], s["user"], s["uf2"]) == "Cette offre est fermée : elle ne peut pas être déplacée."


def test_to_another_eg_of_the_same_categorie_that_the_user_manages(sanitaire):
    s = sanitaire
    other = EtablissementFactory(categorie_id="365", name="AUTRE CLINIQUE")
    target = StructureFactory(parent=StructureFactory(parent=other, pole=True))
    HabilitationFactory(user=s["user"], etablissement=other)

    assert reason(s["offer"], s["user"], target) is None


def test_not_to_an_eg_the_user_does_not_manage(sanitaire):
    s = sanitaire
    other = EtablissementFactory(categorie_id="365", name="CLINIQUE VOISINE")
    target = StructureFactory(parent=other)

    assert (
        reason(s["offer"], s["user"], target) == "Vous n'êtes pas habilité(e) sur l'établissement « CLINIQUE VOISINE »."
    )


def test_not_to_an_eg_of_another_categorie_even_when_managed(sanitaire):
    s = sanitaire
    ssr = EtablissementFactory(ssr=True, name="CENTRE SSR")
    target = StructureFactory(parent=ssr)
    HabilitationFactory(user=s["user"], etablissement=ssr)

    assert reason(s["offer"], s["user"], target).startswith(
        "« CENTRE SSR » n'est pas de la même catégorie d'établissement (109 – "
    )


def test_a_user_who_does_not_manage_the_source_eg_moves_nothing(sanitaire):
    s = sanitaire
    regulateur = HabilitationFactory(regulateur=True, departement="81").user
    stranger = UserFactory()

    assert reason(s["offer"], regulateur, s["uf2"]).startswith("Vous n'êtes pas habilité(e) à modifier les offres de")
    assert reason(s["offer"], stranger, s["uf2"]).startswith("Vous n'êtes pas habilité(e) à modifier les offres de")


def test_an_ej_or_departement_habilitation_covers_both_ends(sanitaire):
    s = sanitaire
    other = EtablissementFactory(categorie_id="365", entite_juridique=s["eg"].entite_juridique)
    target = StructureFactory(parent=other)
    responsable_ej = HabilitationFactory(entite_juridique=s["eg"].entite_juridique).user
    referent = HabilitationFactory(referent=True, departement="81").user

    assert reason(s["offer"], responsable_ej, target) is None
    assert reason(s["offer"], referent, target) is None


@pytest.fixture
def medico_social():
    ehpad = EtablissementFactory(medico_social=True, name="EHPAD")
    unite = StructureFactory(parent=ehpad, kind=K.SERVICE, name="Unité protégée")
    pole = StructureFactory(parent=ehpad, pole=True, name="Pôle hébergement")
    offer = OfferFactory(structure=ehpad, champ_activite_id="04")
    user = HabilitationFactory(etablissement=ehpad).user
    return locals()


def test_a_medico_social_offer_goes_to_any_internal_structure_of_its_eg(medico_social):
    m = medico_social

    assert reason(m["offer"], m["user"], m["unite"]) is None
    assert reason(m["offer"], m["user"], m["pole"]) is None


def test_a_medico_social_offer_comes_back_to_the_eg_itself(medico_social):
    m = medico_social
    m["offer"].move(m["user"], m["unite"])

    assert reason(m["offer"], m["user"], m["ehpad"]) is None


def test_a_medico_social_offer_goes_to_another_ehpad_that_the_user_manages(medico_social):
    m = medico_social
    other = EtablissementFactory(medico_social=True, name="AUTRE EHPAD")
    HabilitationFactory(user=m["user"], etablissement=other)

    assert reason(m["offer"], m["user"], other) is None


def test_the_policy_answers_a_whole_level_with_a_fixed_number_of_queries(sanitaire, django_assert_max_num_queries):
    s = sanitaire
    for n in range(30):
        StructureFactory(parent=s["service"], name=f"UF {n}")
    service = Structure.objects.get(pk=s["service"].pk)
    children = list(service.children.all())
    ancestors = [*service.get_ancestors(), service]
    policy = MovePolicy(s["offer"], s["user"])
    cache.table(CategorieEtablissement)  # read once per process (nomenclatures.cache)

    with django_assert_max_num_queries(4):  # habilitations, source tree, source EG, managed
        reasons = [policy.refusal(child, ancestors) for child in children]

    assert reasons.count(None) == 31  # UF 2 + 30 new UF; the offer's own UF is refused


def test_picker_scope_is_the_offer_eg_and_managed_eg_of_the_same_categorie(sanitaire):
    s = sanitaire
    same = EtablissementFactory(categorie_id="365")
    other_categorie = EtablissementFactory(categorie_id="109")
    unmanaged = EtablissementFactory(categorie_id="365")
    for eg in (same, other_categorie):
        HabilitationFactory(user=s["user"], etablissement=eg)

    scope = set(MovePolicy(s["offer"], s["user"]).picker_etablissements())

    assert scope == {s["eg"], same}
    assert unmanaged not in scope


def test_every_reason_says_whether_it_is_an_error(sanitaire):
    """The picker shows errors in red; the current attachment and a level to go through are no errors."""
    s = sanitaire
    policy = MovePolicy(s["offer"], s["user"])

    reasons = {
        key: policy.refusal(Structure.objects.get(pk=s[key].pk)) for key in ("uf", "pole", "eg", "closed_service")
    }

    assert {key: (type(r).__name__, r.is_error) for key, r in reasons.items()} == {
        "uf": ("CurrentAttachment", False),
        "pole": ("LevelToCross", False),
        "eg": ("LevelToCross", False),
        "closed_service": ("Refusal", True),
    }
