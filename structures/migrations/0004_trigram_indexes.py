"""Trigram indexes for the name searches of the admin, the EG list and the picker (PostgreSQL only)."""

from django.db import migrations

from ror_portal.trigram import create_trigram_indexes


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("structures", "0003_name_validators")]

    operations = [
        create_trigram_indexes("structures_structure", ["name", "finess_et"]),
        create_trigram_indexes("structures_entitejuridique", ["raison_sociale", "finess_ej"]),
    ]
