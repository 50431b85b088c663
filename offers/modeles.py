"""The seeded modèles de saisie (``offers/data/modeles_saisie.csv``, its README says where they come from)."""

import csv
from pathlib import Path

SOURCE = Path(__file__).parent / "data" / "modeles_saisie.csv"


def load_modeles(apps=None):
    """Create the seeded modèles that do not exist yet (a référent's edits are kept); ``apps`` is a
    migration's registry. Returns how many were created."""
    if apps is None:
        from django.apps import apps
    ModeleSaisie = apps.get_model("offers", "ModeleSaisie")
    CategorieEtablissement = apps.get_model("nomenclatures", "CategorieEtablissement")
    ChampActivite = apps.get_model("nomenclatures", "ChampActivite")
    created = 0
    with SOURCE.open(encoding="utf-8") as source:
        for row in csv.DictReader(source):
            modele, new = ModeleSaisie.objects.get_or_create(
                identifiant=row["identifiant"], defaults={"libelle": row["libelle"]}
            )
            if not new:
                continue
            created += 1
            modele.categories.set(
                CategorieEtablissement.objects.filter(in_ror=True, domaine__in=row["domaines"].split())
            )
            modele.champs.set(ChampActivite.objects.filter(code__in=row["champs"].split()))
    return created
