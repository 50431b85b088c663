import csv

import pytest

from nomenclatures import models
from nomenclatures.loading import DATA_DIR, load_all

pytestmark = pytest.mark.django_db


def csv_rows(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("model", "filename"),
    [
        (models.ActiviteOperationnelle, "activite_operationnelle.csv"),
        (models.ModePriseEnCharge, "mode_prise_en_charge.csv"),
        (models.TypeOffre, "type_offre.csv"),
        (models.ChampActivite, "champ_activite.csv"),
        (models.NiveauConfidentialite, "niveau_confidentialite.csv"),
        (models.FonctionContact, "fonction_contact.csv"),
        (models.NatureContact, "nature_contact.csv"),
        (models.TypeOrganisationInterne, "type_organisation_interne.csv"),
    ],
)
def test_migrations_load_every_code_with_its_exact_label(model, filename):
    rows = csv_rows(filename)

    in_db = dict(model.objects.values_list("code", "label"))

    assert in_db == {row["code"]: row["label"] for row in rows}


def test_known_sizes_of_the_ror_value_sets():
    assert models.ActiviteOperationnelle.objects.count() == 548
    assert models.TypeOffre.objects.count() == 273
    assert models.ModePriseEnCharge.objects.count() == 36


def test_champ_activite_is_displayed_as_in_the_ror():
    assert str(models.ChampActivite.objects.get(code="01")) == "Médecine, Chirurgie, Obstétrique (MCO)"


def test_every_tre_r66_category_is_loaded_with_the_ror_domain():
    ror_codes = {row["code"] for row in csv_rows("categorie_etablissement.csv")}
    all_codes = {row["code"] for row in csv_rows("categories_etablissement_TRE_R66.csv")}

    assert set(models.CategorieEtablissement.objects.values_list("code", flat=True)) == ror_codes | all_codes
    assert set(models.CategorieEtablissement.objects.filter(in_ror=True).values_list("code", flat=True)) == ror_codes
    domaines = dict(models.CategorieEtablissement.objects.values_list("code", "domaine"))
    assert domaines["365"] == "sanitaire"
    assert domaines["109"] == "sanitaire"
    assert domaines["500"] == "medico_social"
    assert models.CategorieEtablissement.objects.get(code="365").label == "Etablissement de soins pluridisciplinaire"


def test_loading_again_changes_nothing():
    results = load_all()

    assert all(created == 0 and updated == 0 for created, updated, _unchanged in results.values())


def test_loading_restores_a_label_changed_in_the_database():
    models.TypeOffre.objects.filter(code="262").update(label="altéré")

    results = load_all()

    assert results["TypeOffre"][1] == 1
    assert models.TypeOffre.objects.get(code="262").label == "Unité de soins intensifs spécialisés cardiologie (USIC)"


def test_load_nomenclatures_command_reports_what_it_did(capsys):
    from django.core.management import call_command

    call_command("load_nomenclatures")

    assert "ActiviteOperationnelle: 0 créé(s), 0 mis à jour, 548 inchangé(s)" in capsys.readouterr().out
