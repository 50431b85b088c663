"""Every structure carries the catégorie of its EG (the picker's search reads one catégorie's names from one index)."""

import django.db.models.deletion
from django.db import migrations, models

# One statement on both databases: each structure's EG is the root (level 0) of its tree.
COPY_CATEGORIES = """
UPDATE structures_structure SET etablissement_categorie_id = (
    SELECT eg.categorie_id FROM structures_structure eg
    WHERE eg.tree_id = structures_structure.tree_id AND eg.level = 0
)
"""


def copy_categories(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # Every row of a national database (350,000): past the portal's statement timeout, which is for
            # requests. The migration is one transaction: the rest of it runs without one too.
            cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(COPY_CATEGORIES)


def field(null):
    return models.ForeignKey(
        db_index=False,
        editable=False,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="nomenclatures.categorieetablissement",
        verbose_name="catégorie de l'établissement",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("nomenclatures", "0004_type_fermeture"),
        ("structures", "0012_eg_ej_index"),
    ]

    operations = [
        migrations.AddField(model_name="structure", name="etablissement_categorie", field=field(null=True)),
        migrations.RunPython(copy_categories, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(model_name="structure", name="etablissement_categorie", field=field(null=False)),
    ]
