"""Offers carry the EG of their rattachement (an EG's counts read an index range of its offers)."""

import django.db.models.deletion
from django.db import migrations, models

# One statement on both databases: each offer's EG is the root (level 0) of its structure's tree.
COPY_ETABLISSEMENTS = """
UPDATE offers_offer SET etablissement_id = (
    SELECT eg.id FROM structures_structure s
    JOIN structures_structure eg ON eg.tree_id = s.tree_id AND eg.level = 0
    WHERE s.id = offers_offer.structure_id
)
"""


def copy_etablissements(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # About a minute for the national data set (500,000 offers): past the portal's statement timeout,
            # which is for requests. The migration is one transaction: the rest of it runs without one too.
            cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(COPY_ETABLISSEMENTS)


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0016_contact_departement"),
        ("structures", "0009_eg_departement_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="etablissement",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="structures.structure",
                verbose_name="établissement géographique",
            ),
        ),
        migrations.RunPython(copy_etablissements, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="offer",
            name="etablissement",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="structures.structure",
                verbose_name="établissement géographique",
            ),
        ),
        migrations.AddIndex(
            model_name="offer",
            index=models.Index(
                fields=["etablissement", "published", "completeness", "closed_on", "id"],
                name="offers_offer_eg_counts_idx",
            ),
        ),
    ]
