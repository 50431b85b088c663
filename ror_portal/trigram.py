"""Trigram indexes for the name searches (PostgreSQL's pg_trgm), created by migrations that do nothing on SQLite.

Django's ``icontains`` is ``UPPER(col::text) LIKE UPPER('%…%')`` on PostgreSQL: a GIN index on ``UPPER(col)``
with ``gin_trgm_ops`` serves it, so the admin's searches, the EG list's search and the picker's search keep
their plain ``__icontains`` lookups and stop scanning the whole table. The indexes live outside the models'
``Meta.indexes`` (SQLite has no GIN index): only these migrations know them.

They are built with ``CREATE INDEX CONCURRENTLY`` (the migrations are not atomic), so a deployment on a
national database does not block writes while they build.
"""

from django.db import migrations


def index_name(table, column):
    return f"{table}_{column}_trgm"


def create_trigram_indexes(table, columns, leading=None, name=None):
    """A migration operation: one trigram GIN index on ``UPPER(column)`` per column, PostgreSQL only.

    ``leading``: a column of equality tests put first in the index (``btree_gin``), so that one index scan
    yields the names that contain a term among the rows of one value (one ``name`` then, the index's)."""
    names = [name] if name else [index_name(table, column) for column in columns]

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # Trusted extensions since PostgreSQL 13: the database's owner may create them. Kept on the way back
        # (other indexes may use them).
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        quote = schema_editor.quote_name
        first = ""
        if leading:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
            first = f"{quote(leading)}, "
        for index, column in zip(names, columns, strict=True):
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(index)} "
                f"ON {quote(table)} USING gin ({first}UPPER({quote(column)}::text) gin_trgm_ops)"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for index in names:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index)}")

    return migrations.RunPython(forwards, backwards, elidable=False)
