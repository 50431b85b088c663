"""``any_of`` (ror_portal.lookups): the rows of ``IN``, with the values sent as one array on PostgreSQL."""

import pytest
from django.db import connection

from structures.models import Structure
from tests.structures.factories import EtablissementFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_the_rows_of_in():
    egs = [EtablissementFactory(departement=code) for code in ["81", "32", "2A", "81"]]
    wanted = [egs[0].pk, egs[2].pk, egs[3].pk + 1000]

    assert set(Structure.objects.filter(pk__any_of=wanted)) == {egs[0], egs[2]}
    assert not Structure.objects.filter(pk__any_of=[])
    assert set(Structure.objects.filter(departement__any_of=["81"])) == {egs[0], egs[3]}
    assert set(Structure.objects.filter(departement__any_of=["2A", "32"])) == {egs[1], egs[2]}
    assert set(Structure.objects.exclude(departement__any_of=["2A", "32"])) == {egs[0], egs[3]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: Django's IN")
def test_on_postgresql_many_values_are_one_parameter_and_one_value_an_equality():
    eg = EtablissementFactory(departement="81")
    many = Structure.objects.filter(pk__any_of=[eg.pk, *range(10**6, 10**6 + 1000)])
    one = Structure.objects.filter(departement__any_of=["81"])

    assert list(many) == list(one) == [eg]
    many_sql, many_params = many.query.sql_with_params()
    one_sql, one_params = one.query.sql_with_params()
    assert '"id" = ANY(%s)' in many_sql and " IN (" not in many_sql
    assert len(many_params) == 1 and len(many_params[0]) == 1001
    # An equality, as PostgreSQL reads IN ('81'): an index on (departement, name) then yields rows in order.
    assert '"departement" = %s' in one_sql and "ANY" not in one_sql and one_params == ("81",)
