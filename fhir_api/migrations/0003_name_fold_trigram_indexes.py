"""Trigram indexes on ``ror_fold(name)`` for the FHIR searches by name (PostgreSQL only; ``ror_fold`` is
IMMUTABLE, migration 0002): "name=cardio" over 500,000 offers reads the index instead of folding every name."""

from django.db import migrations

INDEXES = [
    ("offers_offer", "nom", "offers_offer_nom_fold_trgm"),
    ("structures_structure", "name", "structures_structure_name_fold_trgm"),
    ("structures_entitejuridique", "raison_sociale", "structures_ej_raison_sociale_fold_trgm"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (ror_fold({column}) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("fhir_api", "0002_ror_fold_function"),
        ("offers", "0014_offer_event_cause"),
        ("structures", "0007_organisation_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
