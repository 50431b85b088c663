"""The offer picker's first level and search: the EG of one catégorie, by name.

- A partial index on (categorie, lower(name), id) of the EG rows: the picker's first level reads it in name
  order and stops after its first rows.
- PostgreSQL statistics on (kind, categorie_id) together: only EG rows have a catégorie, so PostgreSQL,
  multiplying the columns' selectivities, expected 2,000 médico-social EG instead of 15,000 on the national
  data set, and hashed every one of them for a picker search. Nothing to do on SQLite.
"""

import django.db.models.functions.text
from django.db import migrations, models

TABLE = "structures_structure"
STATISTICS = "structures_structure_kind_categorie_stats"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv, dependencies) ON kind, categorie_id FROM {TABLE}"
    )
    schema_editor.execute(f"ANALYZE {TABLE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [
        ("nomenclatures", "0002_load_nomenclatures"),
        ("structures", "0005_structures_autovacuum_statistics"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="structure",
            index=models.Index(
                models.F("categorie"),
                django.db.models.functions.text.Lower("name"),
                models.F("id"),
                condition=models.Q(("kind", "EG")),
                name="structures_eg_cat_name_idx",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
