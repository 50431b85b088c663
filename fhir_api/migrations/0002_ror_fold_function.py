"""``ror_fold(text)``: lower case without accents, for the FHIR searches by name (fhir_api/text.py). On PostgreSQL a
SQL function over the trusted ``unaccent`` extension (its two-argument form, with the dictionary named, may be
declared IMMUTABLE and so indexed); on SQLite the same function is registered in Python on each connection."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION ror_fold(text) RETURNS text "
        "AS $$ SELECT lower(unaccent('unaccent'::regdictionary, $1)) $$ "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ror_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("fhir_api", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
