"""Trigram indexes for the admin's searches of offers and contacts (PostgreSQL only)."""

from django.db import migrations

from ror_portal.trigram import create_trigram_indexes


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("offers", "0004_admin_list_indexes")]

    operations = [
        create_trigram_indexes("offers_offer", ["nom", "identifiant"]),
        create_trigram_indexes("offers_contact", ["nom"]),
    ]
