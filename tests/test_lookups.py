"""``ror_portal.lookups.AnyOf``: the rows of ``IN``, with the values sent as one array on PostgreSQL."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from ror_portal.lookups import AnyOf
from structures.models import Structure
from tests.structures.factories import EtablissementFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_the_rows_of_in():
    egs = [EtablissementFactory() for _ in range(4)]
    wanted = [egs[0].pk, egs[2].pk, egs[3].pk + 1000]

    assert set(Structure.objects.filter(AnyOf(F("pk"), wanted))) == {egs[0], egs[2]}
    assert not Structure.objects.filter(AnyOf(F("pk"), []))
    assert set(Structure.objects.filter(AnyOf(F("departement"), [egs[1].departement]))) == {
        eg for eg in egs if eg.departement == egs[1].departement
    }


def test_on_postgresql_a_thousand_values_are_one_parameter():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: Django's IN")
    eg = EtablissementFactory()

    with CaptureQueriesContext(connection) as queries:
        rows = list(Structure.objects.filter(AnyOf(F("pk"), [eg.pk, *range(10**6, 10**6 + 1000)])))

    assert rows == [eg]
    assert '"id" = ANY(' in queries[0]["sql"] and " IN (" not in queries[0]["sql"]
