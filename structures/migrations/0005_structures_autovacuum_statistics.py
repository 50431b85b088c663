"""PostgreSQL settings of the structures table (nothing to do on SQLite).

- Autovacuum after 2 % of the rows changed (PostgreSQL's default: 20 %): a tree move rewrote many rows of one
  EG, and their dead versions made the EG's tree pages slower until a VACUUM.
- Statistics on (kind, level, departement) together: only EG rows (the roots, level 0) have a département, so
  PostgreSQL, multiplying the columns' selectivities, expected a national référent's 100 départements to
  cover 14 % of the EG instead of all of them, and picked plans that hash every EG on each admin page.
"""

from django.db import migrations

TABLE = "structures_structure"
STATISTICS = "structures_structure_kind_level_departement_stats"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
    )
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv, dependencies) ON kind, level, departement FROM {TABLE}"
    )
    schema_editor.execute(f"ANALYZE {TABLE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
    )


class Migration(migrations.Migration):
    dependencies = [("structures", "0004_trigram_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
