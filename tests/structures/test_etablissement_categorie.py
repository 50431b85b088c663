"""Structure.etablissement_categorie, the catégorie of the EG at the root of the structure's tree copied onto every
structure: right after every write that creates a structure or changes an EG's catégorie (the factories' ``save``,
the portal's "Ajouter une structure interne", the admin's add form, the FINESS import's creations and updates, an
ORM move to another tree), kept by those that cannot change it (moves inside the EG), and what the picker's search
reads of it."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from offers import organisation
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.page_forms import form_data
from tests.structures.factories import EtablissementFactory, StructureFactory
from tests.structures.test_import_finess import CLAUDE_BERNARD, line_with, run, write

pytestmark = pytest.mark.django_db


def wrong_etablissement_categories():
    """The structures whose ``etablissement_categorie`` is not their EG's catégorie: [(name, stored, the EG's)]."""
    root = Structure.objects.filter(tree_id=OuterRef("tree_id"), level=0).values("categorie_id")[:1]
    rows = Structure.objects.annotate(expected=Subquery(root))
    rows = rows.values_list("name", "etablissement_categorie", "expected")
    return [(name, stored, expected) for name, stored, expected in rows if stored != expected]


def categories():
    return dict(Structure.objects.values_list("name", "etablissement_categorie"))


def deep_tree(**eg):
    """An EG, a pôle, a service, a UF: every level of a tree."""
    eg = EtablissementFactory(**eg)
    pole = StructureFactory(parent=eg, pole=True, name=f"Pôle de {eg.name}")
    service = StructureFactory(parent=pole, service=True, name=f"Service de {eg.name}")
    StructureFactory(parent=service, name=f"UF de {eg.name}")
    return eg


def test_every_level_of_a_tree_takes_the_catégorie_of_its_eg():
    deep_tree(name="CHU", categorie_id="101")
    deep_tree(name="EHPAD", medico_social=True)

    assert categories() == {
        "CHU": "101", "Pôle de CHU": "101", "Service de CHU": "101", "UF de CHU": "101",
        "EHPAD": "500", "Pôle de EHPAD": "500", "Service de EHPAD": "500", "UF de EHPAD": "500",
    }  # fmt: skip


def test_a_structure_added_in_the_portal_takes_it():
    eg = EtablissementFactory(medico_social=True)
    user = HabilitationFactory(etablissement=eg).user

    pole = Structure.add_internal(user, Structure.objects.get(pk=eg.pk), Structure.Kind.POLE, "Pôle autonomie")
    # A parent read without the column (a page's outline): read from the database.
    service = Structure.add_internal(
        user, Structure.objects.only(*Structure.OUTLINE_FIELDS).get(pk=pole.pk), Structure.Kind.SERVICE, "Accueil"
    )

    assert Structure.objects.get(pk=service.pk).etablissement_categorie_id == "500"
    assert wrong_etablissement_categories() == []


def test_a_structure_added_in_the_admin_takes_it(client, superuser):
    eg = EtablissementFactory(medico_social=True)
    client.force_login(superuser)
    add = reverse("admin:structures_structure_add")

    response = client.post(add, form_data(client.get(add).text, "structure_form", kind="1", name="Pôle", parent=eg.pk))

    assert response.status_code == 302
    assert categories()["Pôle"] == "500"


def test_an_eg_saved_with_another_catégorie_carries_it_to_its_tree_only():
    eg = deep_tree(name="Clinique")
    deep_tree(name="Autre clinique")

    eg.categorie_id = "109"
    eg.save()

    assert {name: code for name, code in categories().items() if "Clinique" in name} == {
        "Clinique": "109", "Pôle de Clinique": "109", "Service de Clinique": "109", "UF de Clinique": "109",
    }  # fmt: skip
    assert {name: code for name, code in categories().items() if "Autre" in name} == dict.fromkeys(
        ["Autre clinique", "Pôle de Autre clinique", "Service de Autre clinique", "UF de Autre clinique"], "365"
    )


def test_a_save_of_some_fields_only_keeps_it():
    eg = deep_tree(name="Clinique")
    service = Structure.objects.get(name="Service de Clinique")

    service.name = "Service renommé"
    service.save(update_fields=["name"])
    eg.name = "Clinique renommée"
    eg.save(update_fields=["name"])

    assert wrong_etablissement_categories() == []


def test_a_subtree_moved_to_another_tree_by_the_orm_takes_the_new_catégorie():
    # The portal and the admin refuse it (an internal structure never leaves its EG); the ORM does not.
    deep_tree(name="Clinique")
    ehpad = EtablissementFactory(name="EHPAD", medico_social=True)
    pole = Structure.objects.get(name="Pôle de Clinique")

    pole.parent = ehpad
    pole.save()

    assert categories() == {
        "Clinique": "365", "EHPAD": "500", "Pôle de Clinique": "500", "Service de Clinique": "500",
        "UF de Clinique": "500",
    }  # fmt: skip


def test_a_move_inside_the_eg_keeps_it():
    eg = deep_tree(name="EHPAD", medico_social=True)
    other_pole = StructureFactory(parent=eg, pole=True, name="Autre pôle")
    user = HabilitationFactory(etablissement=eg).user

    organisation.move(user, Structure.objects.get(name="Service de EHPAD"), Structure.objects.get(pk=other_pole.pk))

    assert Structure.objects.get(name="Service de EHPAD").parent_id == other_pole.pk
    assert wrong_etablissement_categories() == []
    assert set(categories().values()) == {"500"}


def test_the_finess_import_creates_egs_with_their_catégorie_and_carries_a_change_to_the_trees(tmp_path):
    run(write(tmp_path, [line_with(CLAUDE_BERNARD), line_with(CLAUDE_BERNARD, nofinesset="810000232")]))
    eg, other = Structure.objects.get(finess_et="810000224"), Structure.objects.get(finess_et="810000232")
    assert (eg.etablissement_categorie_id, other.etablissement_categorie_id) == (eg.categorie_id, other.categorie_id)
    StructureFactory(parent=StructureFactory(parent=eg, pole=True, name="Pôle"), service=True, name="Service")
    StructureFactory(parent=other, pole=True, name="Pôle de l'autre")

    lines = [line_with(CLAUDE_BERNARD, categetab="109"), line_with(CLAUDE_BERNARD, nofinesset="810000232")]
    run(write(tmp_path, lines))

    assert {name: code for name, code in categories().items() if name in {"Pôle", "Service", "Pôle de l'autre"}} == {
        "Pôle": "109", "Service": "109", "Pôle de l'autre": other.categorie_id,
    }  # fmt: skip
    assert wrong_etablissement_categories() == []


def test_the_sync_writes_only_the_rows_that_differ():
    eg = deep_tree(name="Clinique")
    deep_tree(name="Autre")
    Structure.objects.filter(name__in=["Service de Clinique", "UF de Clinique"]).update(etablissement_categorie="500")

    assert Structure.objects.all().sync_etablissement_categories() == 2
    assert Structure.objects.filter(tree_id=eg.tree_id).sync_etablissement_categories() == 0
    assert wrong_etablissement_categories() == []


def test_the_migration_backfills_every_structure_from_the_root_of_its_tree():
    copy = import_module("structures.migrations.0013_structure_etablissement_categorie").copy_categories
    deep_tree(name="CHU", categorie_id="101")
    deep_tree(name="EHPAD", medico_social=True)
    Structure.objects.update(etablissement_categorie="109")

    copy(django_apps, connection.schema_editor())

    assert wrong_etablissement_categories() == []
    assert set(categories().values()) == {"101", "500"}
