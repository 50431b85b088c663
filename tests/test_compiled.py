"""Compiled querysets (ror_portal.compiled): the rows of the plain queryset, built once per key, one query per run."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count, DateField, Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from accounts.models import Habilitation
from offers.models import Contact, Offer
from ror_portal.compiled import CompiledQuery, Param, QueryChanged
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted():
    """A compiled query whose builds are counted."""

    def make(build):
        builds = []

        def counting(*key):
            builds.append(key)
            return build(*key)

        compiled = CompiledQuery(counting)
        compiled.builds = builds
        return compiled

    return make


@pytest.fixture
def two_egs():
    first, second = EtablissementFactory(departement="81"), EtablissementFactory(departement="32")
    uf = StructureFactory(parent=first)
    offers = [OfferFactory(structure=uf, nom=name) for name in ("Cardiologie", "Dermatologie", "Rythmologie")]
    OfferFactory(structure=second, nom="Ailleurs")
    return first, second, uf, offers


def test_a_run_returns_the_plain_querysets_rows_with_their_related_rows_and_annotations(two_egs):
    first, _second, uf, offers = two_egs
    ContactFactory(offer=offers[0])
    compiled = CompiledQuery(
        lambda: (
            Offer.objects.select_related("structure")
            .annotate(contact_count=Count("contacts"), has_contact=Exists(Contact.objects.filter(offer=OuterRef("pk"))))
            .filter(structure=Param("structure"), nom__gte=Param("nom"))
            .order_by("nom")
        )
    )
    plain = (
        Offer.objects.select_related("structure")
        .annotate(contact_count=Count("contacts"), has_contact=Exists(Contact.objects.filter(offer=OuterRef("pk"))))
        .filter(structure=uf.pk, nom__gte="D")
        .order_by("nom")
    )

    rows = compiled(structure=uf.pk, nom="D")
    again = compiled(structure=uf.pk, nom="A")

    assert [(o.pk, o.structure, o.contact_count, o.has_contact) for o in rows] == [
        (o.pk, o.structure, o.contact_count, o.has_contact) for o in plain
    ]
    assert [o.nom for o in again] == ["Cardiologie", "Dermatologie", "Rythmologie"]
    assert again[0].has_contact is True and again[1].has_contact is False
    assert again[0].structure.name == uf.name  # select_related filled, no query
    assert compiled.first(structure=uf.pk, nom="S") is None


def test_values_lists_and_prefetches_are_run_as_by_the_plain_queryset(two_egs):
    _first, _second, _uf, offers = two_egs
    contact = ContactFactory(offer=offers[1])
    TelecomFactory(contact=contact, valeur="0563000000")
    names = CompiledQuery(
        lambda: Offer.objects.filter(nom__gt=Param("after")).order_by("nom").values_list("nom", flat=True)
    )
    pairs = CompiledQuery(lambda: Offer.objects.filter(pk=Param("pk")).values("pk", "nom"))
    contacts = CompiledQuery(lambda: Contact.objects.filter(offer=Param("offer")).prefetch_related("telecoms"))

    assert names(after="Cardiologie") == ["Dermatologie", "Rythmologie"]
    assert pairs(pk=offers[0].pk) == [{"pk": offers[0].pk, "nom": "Cardiologie"}]
    with CaptureQueriesContext(connection) as queries:
        [fetched] = contacts(offer=offers[1].pk)
        assert [t.valeur for t in fetched.telecoms.all()] == ["0563000000"]
    assert len(queries) == 2  # the contacts, their télécoms


def test_the_queryset_is_built_once_per_key_and_each_run_is_one_query(counted, two_egs, settings):
    settings.COMPILED_QUERIES_CHECK = False
    first, second, _uf, _offers = two_egs
    compiled = counted(lambda departement: Structure.objects.filter(departement=departement, pk=Param("pk")))

    with CaptureQueriesContext(connection) as queries:
        assert compiled("81", pk=first.pk) == [first]
        assert compiled("81", pk=second.pk) == []
        assert compiled("32", pk=second.pk) == [second]

    assert compiled.builds == [("81",), ("32",)]
    assert len(queries) == 3


def test_a_user_is_keyed_by_what_scopes_read_of_them_so_a_new_habilitation_builds_again(counted, two_egs, settings):
    settings.COMPILED_QUERIES_CHECK = False
    first, second, _uf, _offers = two_egs
    user = UserFactory()
    HabilitationFactory(user=user, etablissement=first)
    compiled = counted(lambda user: Structure.objects.visible_to(user).filter(level=0, pk__gte=Param("from")))

    before = compiled(user, **{"from": 0})
    HabilitationFactory(user=user, etablissement=second)
    user = type(user).objects.get(pk=user.pk)  # a new request: the habilitations read again
    after = compiled(user, **{"from": 0})

    assert before == [first]
    assert sorted(after, key=lambda eg: eg.pk) == sorted([first, second], key=lambda eg: eg.pk)
    assert len(compiled.builds) == 2


def test_today_is_part_of_every_key(counted, two_egs, settings, monkeypatch):
    settings.COMPILED_QUERIES_CHECK = False
    _first, _second, uf, offers = two_egs
    Offer.objects.filter(pk=offers[0].pk).update(closed_on=datetime.date(2030, 1, 2))
    compiled = counted(
        lambda: Offer.objects.filter(structure=Param("uf"), closed_on__lte=datetime.date.today()).order_by("nom")
    )

    assert compiled(uf=uf.pk) == []
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: datetime.date(2030, 1, 3))

    assert len(compiled.builds) == 1
    compiled(uf=uf.pk)
    assert len(compiled.builds) == 2


def test_the_check_refuses_a_build_that_reads_an_input_outside_its_key(two_egs):
    first, second, _uf, _offers = two_egs
    hidden = {"departement": "81"}
    compiled = CompiledQuery(lambda: Structure.objects.filter(departement=hidden["departement"], level=Param("level")))

    assert compiled(level=0) == [first]
    hidden["departement"] = "32"

    with pytest.raises(QueryChanged):
        compiled(level=0)


def test_an_empty_scope_runs_no_query_and_missing_or_unknown_values_are_refused(two_egs):
    first, _second, _uf, _offers = two_egs
    nobody = UserFactory()
    compiled = CompiledQuery(lambda user: Structure.objects.visible_to(user).filter(pk=Param("pk")))
    by_date = CompiledQuery(lambda: Offer.objects.filter(closed_on__gte=Param("day", DateField())))
    assert nobody.habilitation_rows == []  # read once per request, before the page's queries

    with CaptureQueriesContext(connection) as queries:
        assert compiled(nobody, pk=first.pk) == []
    assert len(queries) == 0
    assert by_date(day=datetime.date(2000, 1, 1)) == []
    with pytest.raises(TypeError):
        by_date()
    with pytest.raises(TypeError):
        by_date(day=datetime.date(2000, 1, 1), other=1)


def test_entries_are_bounded_least_recently_used_first(counted, two_egs, settings):
    settings.COMPILED_QUERIES_CHECK = False
    settings.COMPILED_QUERIES_ENTRIES = 2
    CompiledQuery.clear()
    compiled = counted(lambda level: Structure.objects.filter(level=level, pk=Param("pk")))

    for level in (0, 1, 0, 2, 0, 1):
        compiled(level, pk=0)

    assert [key for (key,) in compiled.builds] == [0, 1, 2, 1]
    CompiledQuery.clear()


def test_a_referent_and_a_responsable_of_the_same_eg_get_their_own_entries(two_egs):
    first, _second, _uf, _offers = two_egs
    responsable, referent = UserFactory(), UserFactory()
    HabilitationFactory(user=responsable, etablissement=first)
    HabilitationFactory(user=referent, departement="32", role=Habilitation.Role.REFERENT)
    compiled = CompiledQuery(lambda user: Structure.objects.visible_to(user).filter(level=0, pk__gt=Param("after")))

    assert compiled(responsable, after=0) == [first]
    assert [eg.departement for eg in compiled(referent, after=0)] == ["32"]
