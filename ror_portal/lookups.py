"""``any_of``: a column among many values, sent as one parameter.

``filter(pk__in=ids)`` with a thousand ids writes a thousand placeholders: Django prepares each value, psycopg
splits the long statement (too long for its cache) and a prepared statement has a thousand parameters. On
PostgreSQL, ``col = ANY(%s)`` with the list as one array does the same with one parameter (PostgreSQL reads
``col IN (…)`` as ``col = ANY(ARRAY[…])`` anyway). Elsewhere it is Django's ``IN``. Used for the admin search's
window of ids and for the scopes' départements (a national référent's 101 codes in every query of a page).

    queryset.filter(pk__any_of=ids)

Registered on every field when this module is imported (``structures.models`` imports it).
"""

from django.db.models import Field, Lookup
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False  # a list of values, each prepared in as_sql

    def as_sql(self, compiler, connection):
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if len(values) == 1:  # as PostgreSQL reads ``IN (x)``: an equality, which an index range can serve in order
            return f"{lhs} = %s", (*params, *values)
        return f"{lhs} = ANY(%s)", (*params, values)
