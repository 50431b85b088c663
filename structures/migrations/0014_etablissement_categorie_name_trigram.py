"""The picker's search: the names of one catégorie's trees that contain a term, from one index (PostgreSQL only)."""

from django.db import migrations

from ror_portal.trigram import create_trigram_indexes


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("structures", "0013_structure_etablissement_categorie")]

    operations = [
        create_trigram_indexes(
            "structures_structure",
            ["name"],
            leading="etablissement_categorie_id",
            name="structures_etablissement_categorie_name_trgm",
        ),
    ]
