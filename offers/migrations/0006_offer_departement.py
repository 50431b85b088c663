"""Offer.departement: the département of the offer's EG, copied onto the offer for the territory's lists."""

from django.db import migrations, models

# One UPDATE … FROM (SQLite 3.33+ and PostgreSQL): the EG of an offer's structure is the root (level 0) of
# the structure's tree. About 10 s for 500,000 offers on PostgreSQL.
BACKFILL = """
UPDATE offers_offer SET departement = eg.departement
FROM structures_structure node, structures_structure eg
WHERE node.id = offers_offer.structure_id AND eg.tree_id = node.tree_id AND eg.level = 0
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # The portal's connections stop statements after DB_STATEMENT_TIMEOUT: not this one-off update.
            cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("nomenclatures", "0002_load_nomenclatures"),
        ("offers", "0005_trigram_indexes"),
        ("structures", "0005_structures_autovacuum_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="departement",
            field=models.CharField(blank=True, editable=False, max_length=3, verbose_name="département"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="offer",
            index=models.Index(fields=["departement", "nom", "id"], name="offers_offer_dep_nom_id_idx"),
        ),
    ]
