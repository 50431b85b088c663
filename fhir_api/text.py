"""Case- and accent-insensitive "contains" for the FHIR searches by name: ``ror_fold(text)`` is the text in lower
case without its accents, in SQL on both databases (PostgreSQL: ``lower(unaccent(…))``, created by migration
0002 with the trusted ``unaccent`` extension; SQLite: this module's ``fold``, registered on each connection)."""

import unicodedata

from django.db.models import CharField, Func, Value
from django.db.models.lookups import Contains


def fold(text):
    """ "Hôpital Saint-Éloi" → "hopital saint-eloi" (what PostgreSQL's lower(unaccent()) gives for French)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).lower()


class Fold(Func):
    function = "ror_fold"
    output_field = CharField()


def contains_folded(field, term):
    """The condition "``field`` contains ``term``", ignoring case and accents."""
    return Contains(Fold(field), Value(fold(term)))


def register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("ror_fold", 1, fold, deterministic=True)
