"""Case- and accent-insensitive "contains" for the FHIR searches by name: ``ror_fold(text)`` is the text in lower
case without its accents, in SQL on both databases (PostgreSQL: ``lower(unaccent(…))``, created by migration
0002 with the trusted ``unaccent`` extension; SQLite: this module's ``fold``, registered on each connection)."""

import unicodedata

from django.db.models import CharField, F, Func, Value
from django.db.models.lookups import Contains


def fold(text):
    """ "Hôpital Saint-Éloi" → "hopital saint-eloi" (what PostgreSQL's lower(unaccent()) gives for French)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).lower()


# Columns with a stored folded copy on PostgreSQL (fhir_api migration 0004): (table, column) → folded column.
STORED_FOLDS = {("offers_offer", "nom"): "nom_fold"}


class Fold(Func):
    """``ror_fold(field)``; on PostgreSQL, the stored folded copy of the column when it has one (``table``)."""

    function = "ror_fold"
    output_field = CharField()

    def __init__(self, field, table=None):
        super().__init__(F(field))
        self.stored = (table, STORED_FOLDS[(table, field)]) if (table, field) in STORED_FOLDS else None

    def as_postgresql(self, compiler, connection, **extra):
        if self.stored is not None:
            table, column = self.stored
            return f"{connection.ops.quote_name(table)}.{connection.ops.quote_name(column)}", []
        return self.as_sql(compiler, connection, **extra)


def contains_folded(field, term, table=None):
    """The condition "``field`` contains ``term``", ignoring case and accents (``table``: the queryset's table, for
    its stored folded column)."""
    return Contains(Fold(field, table), Value(fold(term)))


def register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("ror_fold", 1, fold, deterministic=True)
