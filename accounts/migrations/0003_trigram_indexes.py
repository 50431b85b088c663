"""Trigram indexes for the admin's search of accounts (PostgreSQL only)."""

from django.db import migrations

from ror_portal.trigram import create_trigram_indexes


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("accounts", "0002_user_created_by")]

    operations = [create_trigram_indexes("accounts_user", ["username", "first_name", "last_name", "email"])]
