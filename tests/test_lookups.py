"""``any_of``, ``inlined_in`` and ``inlined`` (ror_portal.lookups): the rows of ``IN`` written in two ways, and a
constant written into the statement."""

import pytest
from django.db import connection

from structures.models import Structure
from tests.structures.factories import EtablissementFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_the_rows_of_in():
    egs = [EtablissementFactory(departement=code) for code in ["81", "32", "2A", "81"]]
    wanted = [egs[0].pk, egs[2].pk, egs[3].pk + 1000]

    assert set(Structure.objects.filter(pk__any_of=wanted)) == {egs[0], egs[2]}
    assert set(Structure.objects.filter(pk__any_of=[egs[1].pk])) == {egs[1]}
    assert not Structure.objects.filter(pk__any_of=[])
    assert set(Structure.objects.exclude(pk__any_of=wanted)) == {egs[1], egs[3]}


def test_inlined_in_selects_the_rows_of_in():
    egs = [EtablissementFactory(departement=code) for code in ["81", "32", "2A", "81"]]

    assert set(Structure.objects.filter(departement__inlined_in=["81"])) == {egs[0], egs[3]}
    assert set(Structure.objects.filter(departement__inlined_in=["2A", "32", "32"])) == {egs[1], egs[2]}
    assert set(Structure.objects.exclude(departement__inlined_in=["2A", "32"])) == {egs[0], egs[3]}
    assert not Structure.objects.filter(departement__inlined_in=[])
    assert not Structure.objects.filter(departement__inlined_in=["99"])


def test_inlined_in_writes_codes_into_the_statement_and_sends_anything_else_as_parameters():
    eg = EtablissementFactory(departement="81")
    codes = Structure.objects.filter(departement__inlined_in=["81", "2A"])
    hostile = ["81", "81') OR ('1'='1", "8\u0661", "x" * 6, 81]
    bound = Structure.objects.filter(departement__inlined_in=hostile)

    codes_sql, codes_params = codes.query.sql_with_params()
    bound_sql, bound_params = bound.query.sql_with_params()
    assert "\"departement\" IN ('2A', '81')" in codes_sql and codes_params == ()
    assert "'1'='1" not in bound_sql and "81') OR ('1'='1" in bound_params
    assert list(codes) == list(bound) == [eg]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: Django's IN")
def test_on_postgresql_any_of_sends_many_values_as_one_parameter_and_one_value_as_an_equality():
    eg = EtablissementFactory(departement="81")
    many = Structure.objects.filter(pk__any_of=[eg.pk, *range(10**6, 10**6 + 1000)])
    one = Structure.objects.filter(pk__any_of=[eg.pk])

    assert list(many) == list(one) == [eg]
    many_sql, many_params = many.query.sql_with_params()
    one_sql, one_params = one.query.sql_with_params()
    assert '"id" = ANY(%s)' in many_sql and " IN (" not in many_sql
    assert len(many_params) == 1 and len(many_params[0]) == 1001
    # An equality, as PostgreSQL reads IN (x): an index range then yields rows in order.
    assert '"id" = %s' in one_sql and "ANY" not in one_sql and one_params == (eg.pk,)


def test_inlined_writes_an_integer_or_a_code_into_the_statement_and_sends_anything_else_as_a_parameter():
    eg = EtablissementFactory(departement="2A")

    assert list(Structure.objects.filter(level__inlined=0)) == [eg]
    assert not Structure.objects.filter(level__inlined=1)
    assert list(Structure.objects.filter(departement__inlined="2A")) == [eg]
    sql, params = Structure.objects.filter(level__inlined=0, departement__inlined="2A").query.sql_with_params()
    assert '"level" = 0' in sql and "\"departement\" = '2A'" in sql and params == ()
    for hostile in ["2A') OR ('1'='1", "2\u0661", True, 0.0]:
        sql, params = Structure.objects.filter(departement__inlined=hostile).query.sql_with_params()
        assert params and str(hostile) not in sql
        assert not Structure.objects.filter(departement__inlined=hostile).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements' generic plans are PostgreSQL's")
def test_a_scopes_roots_are_read_from_the_unique_index_of_roots_by_a_generic_plan_too():
    """The roots of a référent's départements (``_scope_condition``) in a prepared statement planned once for every
    value (what PostgreSQL does after five runs when the generic plan looks no worse): ``level = 0`` is written in
    the statement, so even that plan reads the partial unique index of roots; with ``level = $1`` it could not, and
    the admin's CHU level read the CHU's 1,141 rows for each of its 60 pôles (0.3 → 16 ms)."""
    from tests.accounts.factories import HabilitationFactory
    from tests.structures.factories import StructureFactory

    eg = EtablissementFactory(departement="81")
    StructureFactory(parent=eg, pole=True)
    user = HabilitationFactory(referent=True, departement="81").user
    sql, params = Structure.objects.administered_by(user).filter(parent_id=eg.pk).values("pk").query.sql_with_params()
    numbered = sql
    for n in range(1, len(params) + 1):
        numbered = numbered.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE roots_of_scope AS {numbered}")
        try:
            values = ", ".join(str(int(value)) for value in params)
            cursor.execute(f"EXPLAIN EXECUTE roots_of_scope({values})")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE roots_of_scope")
    assert "structures_structure_one_root_per_tree" in plan, plan
