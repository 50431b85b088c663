"""Load the NOS CSV files of ``nomenclatures/data/`` into their tables, idempotently.

Used by the data migration (with historical models) and by ``manage.py load_nomenclatures``.
"""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

DOMAINES = {
    "Sanitaire": "sanitaire",
    "Medico-social": "medico_social",
    "Coordination": "coordination",
    "Offre de ville": "ville",
}


def read_csv(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def plain_rows(name, in_ror_column=None):
    for row in read_csv(name):
        values = {"label": row["label"]}
        if in_ror_column:
            values["in_ror"] = row[in_ror_column] == "yes"
        yield row["code"], values


def champ_activite_rows():
    for row in read_csv("champ_activite.csv"):
        yield (
            row["code"],
            {
                "label": row["label"],
                "label_with_acronym": row["label_with_acronym"],
                "short_label": row["short_label"],
                "in_ror": row["in_JDV_J20_ROR"] == "yes",
            },
        )


def categorie_rows():
    """All TRE_R66 codes; the ROR's own file (JDV_J55) gives the label and the domain where it has them."""
    ror = {row["code"]: row for row in read_csv("categorie_etablissement.csv")}
    seen = set()
    for row in read_csv("categories_etablissement_TRE_R66.csv"):
        code = row["code"]
        seen.add(code)
        ror_row = ror.get(code)
        yield (
            code,
            {
                "label": ror_row["label"] if ror_row else row["label"],
                "in_ror": ror_row is not None,  # the newer JDV_J55 (2026) decides, not the 2024 flag
                "domaine": DOMAINES.get(ror_row["domaine_ror_bi"], "non_defini") if ror_row else "non_defini",
                "agregat_code": row["aggregate_niv2_code"],
                "agregat_label": row["aggregate_niv2_label"],
            },
        )
    for code, ror_row in ror.items():  # the SAxx sectors of JDV_J55 are not TRE_R66 codes
        if code not in seen:
            yield (
                code,
                {
                    "label": ror_row["label"],
                    "in_ror": True,
                    "domaine": DOMAINES.get(ror_row["domaine_ror_bi"], "non_defini"),
                    "agregat_code": "",
                    "agregat_label": "",
                },
            )


def niveau_rows():
    for row in read_csv("niveau_confidentialite.csv"):
        yield row["code"], {"label": row["label"], "previous_label": row["previous_label"]}


def type_oi_rows():
    for row in read_csv("type_organisation_interne.csv"):
        yield row["code"], {"label": row["label"], "short_label": row["short_label"]}


SOURCES = {
    "ChampActivite": champ_activite_rows,
    "CategorieEtablissement": categorie_rows,
    "ActiviteOperationnelle": lambda: plain_rows("activite_operationnelle.csv"),
    "ModePriseEnCharge": lambda: plain_rows("mode_prise_en_charge.csv"),
    "TypeOffre": lambda: plain_rows("type_offre.csv"),
    "NiveauConfidentialite": niveau_rows,
    "FonctionContact": lambda: plain_rows("fonction_contact.csv", "in_JDV_J220_ROR"),
    "NatureContact": lambda: plain_rows("nature_contact.csv"),
    "TypeOrganisationInterne": type_oi_rows,
    "PublicPrisEnCharge": lambda: plain_rows("public_pris_en_charge.csv"),
    "TemporaliteAccueil": lambda: plain_rows("temporalite_accueil.csv"),
    "TypeFermeture": lambda: plain_rows("type_fermeture.csv", "in_ror"),
}


def load_model(model, rows):
    """Create missing codes and update changed ones; returns (created, updated, unchanged)."""
    field_names = {field.name for field in model._meta.concrete_fields}
    existing = {obj.code: obj for obj in model.objects.all()}
    to_create, to_update, changed_fields = [], [], set()
    for code, values in rows:
        values = {name: value for name, value in values.items() if name in field_names}
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **values))
            continue
        diff = {name for name, value in values.items() if getattr(obj, name) != value}
        if diff:
            for name in diff:
                setattr(obj, name, values[name])
            changed_fields |= diff
            to_update.append(obj)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields))
    return len(to_create), len(to_update), len(existing) - len(to_update)


def load_all(apps=None):
    """Load every nomenclature; ``apps`` is a migration's app registry (default: the real models)."""
    if apps is None:
        from django.apps import apps
    # A migration's registry holds the nomenclatures of its time: a later one is loaded by its own migration.
    present = {model.__name__ for model in apps.get_app_config("nomenclatures").get_models()}
    counts = {
        name: load_model(apps.get_model("nomenclatures", name), source())
        for name, source in SOURCES.items()
        if name in present
    }
    from nomenclatures import cache

    cache.clear()  # bulk writes send no signal
    return counts
