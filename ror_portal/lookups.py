"""Ways of writing ``IN`` for lists of values, and a constant into the statement.

``any_of``: a column among many values, sent as one parameter. ``filter(pk__in=ids)`` with a thousand ids writes a
thousand placeholders: Django prepares each value, psycopg splits the long statement (too long for its cache) and a
prepared statement has a thousand parameters. On PostgreSQL, ``col = ANY(%s)`` with the list as one array does the
same with one parameter (PostgreSQL reads ``col IN (…)`` as ``col = ANY(ARRAY[…])`` anyway). Elsewhere it is
Django's ``IN``. Used for the admin search's window of ids. With a ``Param`` of a compiled query
(``ror_portal.compiled``), the list is one parameter on SQLite too (a JSON text read by ``json_each``).

    queryset.filter(pk__any_of=ids)
    CompiledQuery(lambda: Offer.objects.filter(etablissement__any_of=Param("ids")))

``inlined_in``: a column among a few short codes, written into the statement itself (a scope's départements). A
prepared statement is planned once for all its parameter values: with the départements as a parameter, a national
référent's 101 codes and a référent's one code shared a generic plan, and PostgreSQL picked plans made for the few
(one index descent per code and per catégorie for the EG list's filter choices: 0.9 → 25 ms for a national scope).
Written into the statement, each scope has its own statements and plans. Only codes made of letters and digits are
written out; anything else is sent as parameters, as Django's ``IN`` does.

    queryset.filter(departement__inlined_in=codes)

``inlined``: a column equal to one constant written into the statement (an integer, or a code as above). A prepared
statement's generic plan then knows the value, and may read a partial index whose condition it is: with ``level = $1``
the scopes' subquery of roots could not use the unique index of roots (``WHERE level = 0``), and once PostgreSQL
switched to the generic plan, the admin's CHU level read the 1,141 rows of the CHU's tree for each of its 60 pôles
(0.3 → 16 ms).

    queryset.filter(level__inlined=0)

The three are registered on every field when this module is imported (``structures.models`` imports it).
"""

import re

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import Exact, In

from ror_portal.compiled import JsonParam, Param

CODE = re.compile(r"[0-9A-Za-z]{1,5}")


@ForeignObject.register_lookup  # a foreign key's lookups are its own (Django's related lookups), not Field's
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False  # a list of values, each prepared in as_sql

    def as_sql(self, compiler, connection):
        if isinstance(self.rhs, Param):  # a compiled query's list, one parameter whatever its length
            lhs, params = self.process_lhs(compiler, connection)
            return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, JsonParam(self.rhs.name))
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Param):
            return f"{lhs} = ANY(%s)", (*params, self.rhs)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if len(values) == 1:  # as PostgreSQL reads ``IN (x)``: an equality, which an index range can serve in order
            return f"{lhs} = %s", (*params, *values)
        return f"{lhs} = ANY(%s)", (*params, values)


@Field.register_lookup
class InlinedIn(Lookup):
    lookup_name = "inlined_in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        values = list(self.rhs)
        if not values or not all(isinstance(value, str) and CODE.fullmatch(value) for value in values):
            return In(self.lhs, values).as_sql(compiler, connection)  # no value: Django's EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        literals = ", ".join(f"'{value}'" for value in sorted(set(values)))
        return f"{lhs} IN ({literals})", params


@Field.register_lookup
class Inlined(Lookup):
    lookup_name = "inlined"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        value = self.rhs
        if isinstance(value, int) and not isinstance(value, bool):
            literal = str(int(value))
        elif isinstance(value, str) and CODE.fullmatch(value):
            literal = f"'{value}'"
        else:
            return Exact(self.lhs, value).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = {literal}", params
