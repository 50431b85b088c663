from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from offers.models import Contact, Offer, Telecom
from structures.models import Structure
from tests.structures.test_etablissement_categorie import wrong_etablissement_categories

pytestmark = pytest.mark.django_db


def everything():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Structure, Offer, Contact, Telecom, User)
    } | {"structures": sorted(Structure.objects.values_list("pk", "name", "tree_id", "lft", "rght"))}


def path_of(structure):
    return [node.name for node in structure.get_ancestors(include_self=True)]


def test_seed_demo_builds_the_seed_guide_scenario(seed):
    usic = Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")

    assert path_of(usic.structure) == [
        "CLINIQUE CLAUDE BERNARD - ALBI",
        "Pédiatrie - Obstétrique",
        "Cardiologie médicale - USIC",
    ]
    assert usic.structure.get_ancestors()[0].finess_et == "810000224"
    assert str(usic.champ_activite) == "Médecine, Chirurgie, Obstétrique (MCO)"
    assert (usic.modele_saisie, usic.unite_sensible) == ("260/01", False)
    assert usic.identifiant.startswith("76/")
    assert usic.activites.count() == 2
    assert usic.contacts.count() == 2
    cardiologie = Structure.objects.get(name="Cardiologie", kind=Structure.Kind.SERVICE, parent__name="Médecine")
    assert [uf.name for uf in cardiologie.get_children()] == [
        "Consultation Cardiologie",
        "HC Cardiologie",
        "HJ Cardiologie",
        "Salle d'échographie cardiaque",
    ]
    assert all(uf.offers.count() == 1 for uf in cardiologie.get_children())


def test_seed_demo_has_other_etablissements_and_a_medico_social_one(seed):
    assert Structure.objects.get(finess_et="810000158").get_descendant_count() > 0
    assert Structure.objects.get(finess_et="810000232").categorie_id == "109"
    ehpad = Structure.objects.get(finess_et="970302287")
    assert ehpad.categorie.domaine == "medico_social"
    assert ehpad.offers.count() == 2
    assert Structure.objects.filter(departement="81", kind="EG").count() == 23
    assert wrong_etablissement_categories() == []
    assert Structure.objects.exclude(kind="EG").filter(etablissement_categorie="109").exists()


def test_seed_demo_is_idempotent(seed):
    before = everything()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert everything() == before
    assert "déjà en place" in out.getvalue()


def test_seed_demo_prints_the_demo_accounts():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    for username in ("gestionnaire", "autre", "referent", "regulateur"):
        assert f"  - {username} : " in out.getvalue()
    assert "ror-demo-2026" in out.getvalue()


@pytest.mark.parametrize(
    ("username", "managed"),
    [
        # EJ 810000471 holds CL CLAUDE BERNARD and its five dialysis units in the real FINESS rows.
        (
            "gestionnaire",
            {"810000224", "810003368", "810011197", "810101741", "810101758", "810102947"}
            | {"810000158", "810000232", "970302287"},
        ),
        ("autre", {"810000505"}),
        ("regulateur", set()),
    ],
)
def test_demo_accounts_manage_their_etablissements(demo_user, username, managed):
    user = demo_user(username)

    assert set(Structure.objects.managed_by(user).etablissements().values_list("finess_et", flat=True)) == managed
    assert user.check_password("ror-demo-2026")


def test_the_referent_manages_the_tarn_and_is_staff(demo_user):
    referent = demo_user("referent")

    assert referent.is_staff and not referent.is_superuser
    assert set(Structure.objects.managed_by(referent).etablissements().values_list("departement", flat=True)) == {"81"}
