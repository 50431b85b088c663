"""The picker's search: the names of one catégorie's trees that contain a term, from one index (PostgreSQL only)."""

from django.db import migrations

from ror_portal.trigram import create_trigram_indexes


def vacuum(apps, schema_editor):
    """0013 wrote every row of the table: until a vacuum, no index-only scan (the visibility map is cleared: the
    EG's covering indexes read the table again, « saint » in the picker took 48 ms of SQL instead of 14 for a
    superuser on the national data), and the planner's statistics predate the new column. Outside a transaction
    (this migration is not atomic)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("VACUUM ANALYZE structures_structure")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY, VACUUM

    dependencies = [("structures", "0013_structure_etablissement_categorie")]

    operations = [
        create_trigram_indexes(
            "structures_structure",
            ["name"],
            leading="etablissement_categorie_id",
            name="structures_etablissement_categorie_name_trgm",
        ),
        migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True),
    ]
