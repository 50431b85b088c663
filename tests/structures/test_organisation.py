"""The rules of the internal organisation (structures.organisation) and the structure's own writes: adding a
structure, changing it, its history, the stale check."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError

from structures.models import StaleStructure, Structure, StructureEvent, StructureRefused
from structures.organisation import CHILD_KINDS, OrganisationPolicy, kind_refusal
from tests.accounts.factories import HabilitationFactory
from tests.structures.builders import assert_tree_exact
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
K = Structure.Kind

# The issue's table: under the EG a pôle, a service or an UF; under a pôle a service or an UF; under a service
# an UF; under an UF an unité élémentaire; nothing under an unité élémentaire.
ALLOWED = {
    (K.ETABLISSEMENT, K.POLE),
    (K.ETABLISSEMENT, K.SERVICE),
    (K.ETABLISSEMENT, K.UF),
    (K.POLE, K.SERVICE),
    (K.POLE, K.UF),
    (K.SERVICE, K.UF),
    (K.UF, K.UE),
}


@pytest.mark.parametrize(("parent_kind", "kind"), list(itertools.product(K.values, K.values)))
def test_kind_rule_for_every_pair_of_kinds(parent_kind, kind):
    reason = kind_refusal(kind, parent_kind)

    if (parent_kind, kind) in ALLOWED:
        assert reason is None
    else:
        assert reason and reason.endswith(".") and ("ne se place pas" in reason or "Rien ne se place" in reason)


def test_the_rule_table_is_the_issues():
    assert {(parent, kind) for parent, kinds in CHILD_KINDS.items() for kind in kinds} == ALLOWED


def test_refusals_name_what_the_parent_accepts():
    assert kind_refusal(K.POLE, K.SERVICE) == (
        "Un pôle ne se place pas sous un service, qui accueille une unité fonctionnelle."
    )
    assert kind_refusal(K.UF, K.UF) == (
        "Une unité fonctionnelle ne se place pas sous une unité fonctionnelle, qui accueille une unité élémentaire."
    )
    assert kind_refusal(K.UF, K.UE) == (
        "Rien ne se place sous une unité élémentaire : c'est le dernier niveau de l'organisation interne."
    )


@pytest.fixture
def tree():
    eg = EtablissementFactory(name="CH Test")
    pole = StructureFactory(parent=eg, pole=True, name="Médecine")
    service = StructureFactory(parent=pole, service=True, name="Cardiologie")
    uf = StructureFactory(parent=service, name="HC Cardiologie")
    ue = StructureFactory(parent=uf, kind=K.UE, name="Lits de cardiologie")
    manager = HabilitationFactory(etablissement=eg).user
    regulateur = HabilitationFactory(etablissement=eg, regulateur=True).user
    other = HabilitationFactory(etablissement=EtablissementFactory()).user
    return {
        "eg": eg, "pole": pole, "service": service, "uf": uf, "ue": ue,
        "manager": manager, "regulateur": regulateur, "other": other,
    }  # fmt: skip


def fresh(node):
    return Structure.objects.get(pk=node.pk)


@pytest.mark.parametrize("parent_name", ["eg", "pole", "service", "uf", "ue"])
@pytest.mark.parametrize("kind", [K.POLE, K.SERVICE, K.UF, K.UE])
def test_adding_follows_the_kind_rule_everywhere(tree, parent_name, kind):
    parent = tree[parent_name]
    allowed = (parent.kind, kind) in ALLOWED

    if allowed:
        node = Structure.add_internal(tree["manager"], parent, kind, "Nouvelle", code="UF-1")
        assert (fresh(node).parent_id, node.kind, node.code, node.version) == (parent.pk, kind, "UF-1", 1)
        (event,) = node.events.all()
        assert (event.kind, event.to_label, event.author) == (StructureEvent.Kind.CREATE, parent.name, tree["manager"])
        assert_tree_exact(parent.tree_id)
    else:
        count = Structure.objects.count()
        with pytest.raises(StructureRefused):
            Structure.add_internal(tree["manager"], parent, kind, "Nouvelle")
        assert Structure.objects.count() == count


def test_adding_writes_a_tree_as_a_rebuild_would(tree):
    node = Structure.add_internal(tree["manager"], tree["service"], K.UF, "Rythmologie")

    assert_tree_exact(tree["eg"].tree_id)
    node = fresh(node)
    assert (node.level, node.rght - node.lft) == (3, 1)
    assert list(fresh(tree["service"]).get_children().values_list("name", flat=True)) == [
        "HC Cardiologie", "Rythmologie"
    ]  # fmt: skip


@pytest.mark.parametrize("user_name", ["regulateur", "other"])
def test_only_managers_add(tree, user_name):
    with pytest.raises(StructureRefused, match="pas habilité"):
        Structure.add_internal(tree[user_name], tree["service"], K.UF, "Rythmologie")
    assert not Structure.objects.filter(name="Rythmologie").exists()


def test_nothing_is_added_under_a_closed_structure_or_inside_one(tree):
    Structure.objects.filter(pk=tree["pole"].pk).update(closed_on=datetime.date(2020, 1, 1))

    for parent in (tree["pole"], tree["service"]):
        with pytest.raises(StructureRefused, match="fermé"):
            Structure.add_internal(tree["manager"], fresh(parent), K.UF, "Rythmologie")


def test_a_closing_planned_later_still_accepts_new_structures(tree):
    Structure.objects.filter(pk=tree["service"].pk).update(closed_on=datetime.date(2999, 1, 1))

    node = Structure.add_internal(tree["manager"], fresh(tree["service"]), K.UF, "Rythmologie")

    assert fresh(node).parent_id == tree["service"].pk


def test_codes_are_unique_within_an_eg_only(tree):
    Structure.add_internal(tree["manager"], tree["service"], K.UF, "Rythmologie", code="4012")

    with pytest.raises(ValidationError, match="déjà celui"):
        Structure.add_internal(tree["manager"], tree["service"], K.UF, "Autre", code="4012")
    other_eg = EtablissementFactory()
    manager = HabilitationFactory(etablissement=other_eg).user
    assert Structure.add_internal(manager, other_eg, K.UF, "Rythmologie", code="4012").code == "4012"


@pytest.mark.parametrize("code", ["٤٠١٢", "UF 12", "é12", "-12", "1" * 21, "12\x00"])
def test_codes_refuse_what_is_not_a_plain_code(tree, code):
    with pytest.raises(ValidationError, match="Le code s'écrit"):
        Structure.add_internal(tree["manager"], tree["service"], K.UF, "Rythmologie", code=code)


def test_change_writes_the_fields_the_version_and_one_history_row(tree):
    uf = tree["uf"]

    node = uf.change(
        tree["manager"], {"name": "HC Cardio", "opened_on": datetime.date(2020, 3, 1), "code": "401"}, uf.version
    )

    node = fresh(node)
    assert (node.name, node.opened_on, node.code, node.version) == ("HC Cardio", datetime.date(2020, 3, 1), "401", 2)
    (event,) = node.events.all()
    assert event.changes == [
        ["Nom", "HC Cardiologie", "HC Cardio"],
        ["Date d'ouverture", "—", "01/03/2020"],
        ["Code dans l'établissement", "—", "401"],
    ]
    assert "Modifiée par" in event.description and "Nom : « HC Cardiologie » → « HC Cardio »" in event.description


def test_a_change_based_on_an_older_version_is_refused(tree):
    uf = tree["uf"]
    uf.change(tree["manager"], {"name": "HC Cardio"}, 1)

    with pytest.raises(StaleStructure, match="modifié\\(e\\) entre-temps"):
        uf.change(tree["manager"], {"name": "Autre nom"}, 1)
    assert fresh(uf).name == "HC Cardio"


def test_an_unchanged_submission_writes_nothing(tree):
    node = tree["uf"].change(tree["manager"], {"name": "HC Cardiologie"}, 1)

    assert fresh(node).version == 1 and not node.events.exists()


def test_the_eg_identity_is_not_changed_here(tree):
    with pytest.raises(StructureRefused, match="FINESS"):
        tree["eg"].change(tree["manager"], {"name": "Autre"})


@pytest.mark.parametrize("user_name", ["regulateur", "other"])
def test_only_managers_change(tree, user_name):
    with pytest.raises(StructureRefused, match="pas habilité"):
        tree["uf"].change(tree[user_name], {"name": "Autre"})


def test_an_opening_after_the_closing_is_refused(tree):
    Structure.objects.filter(pk=tree["uf"].pk).update(closed_on=datetime.date(2030, 1, 1))

    with pytest.raises(ValidationError, match="précède"):
        fresh(tree["uf"]).change(tree["manager"], {"opened_on": datetime.date(2031, 1, 1)})


# --- the policy's other decisions (exercised through offers.organisation in tests/offers) ---------------------


def test_move_refusals(tree):
    policy = OrganisationPolicy(tree["manager"])
    other_service = StructureFactory(parent=tree["pole"], service=True, name="Pneumologie")
    other_eg_service = StructureFactory(parent=EtablissementFactory(), service=True)
    uf, service, pole, ue = (fresh(tree[name]) for name in ("uf", "service", "pole", "ue"))

    assert policy.move_refusal(uf, fresh(other_service)) is None
    assert policy.move_refusal(service, fresh(tree["eg"])) is None
    assert "déjà rattaché" in policy.move_refusal(uf, service)
    assert "Un pôle ne se déplace pas" in policy.move_refusal(pole, fresh(tree["eg"]))
    assert "sous elle-même" in policy.move_refusal(service, uf)
    assert "sous elle-même" in policy.move_refusal(uf, uf)
    assert "reste dans son établissement" in policy.move_refusal(uf, fresh(other_eg_service))
    other_uf = StructureFactory(parent=other_service, name="HJ Pneumologie")
    other_ue = StructureFactory(parent=other_uf, kind=K.UE)
    assert "ne se place pas sous une unité fonctionnelle" in policy.move_refusal(uf, fresh(other_uf))
    assert "Rien ne se place sous une unité élémentaire" in policy.move_refusal(ue, fresh(other_ue))
    assert policy.move_refusal(ue, fresh(other_uf)) is None
    assert "ne se place pas sous un service" in policy.move_refusal(service, fresh(other_service))
    Structure.objects.filter(pk=other_service.pk).update(closed_on=datetime.date(2020, 1, 1))
    assert "fermé(e) depuis le 01/01/2020" in policy.move_refusal(uf, fresh(other_service))
    assert "pas habilité" in OrganisationPolicy(tree["regulateur"]).move_refusal(uf, fresh(tree["pole"]))


def test_closing_and_reopening_refusals(tree):
    policy = OrganisationPolicy(tree["manager"])

    assert policy.closing_refusal(fresh(tree["service"])) is None
    assert "FINESS" in policy.closing_refusal(fresh(tree["eg"]))
    assert "n'est pas fermé" in policy.reopening_refusal(fresh(tree["service"]))
    Structure.objects.filter(pk=tree["pole"].pk).update(closed_on=datetime.date(2020, 1, 1))
    Structure.objects.filter(pk=tree["service"].pk).update(closed_on=datetime.date(2020, 1, 1))
    assert "fermé(e) depuis le 01/01/2020" in policy.closing_refusal(fresh(tree["service"]))
    assert "rouvrez d'abord « Médecine »" in policy.reopening_refusal(fresh(tree["service"]))
    assert policy.reopening_refusal(fresh(tree["pole"])) is None
    node = fresh(tree["uf"])
    node.opened_on = datetime.date(2021, 1, 1)
    assert "précède la date d'ouverture" in policy.closing_date_refusal(node, datetime.date(2020, 12, 31))


def test_the_admin_form_rule_is_the_same_function(tree):
    node = Structure(kind=K.POLE, name="Pôle sous service", parent=tree["service"])

    with pytest.raises(ValidationError) as error:
        node.clean()
    assert error.value.message_dict["parent"] == [kind_refusal(K.POLE, K.SERVICE)]
