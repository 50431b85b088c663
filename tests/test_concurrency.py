"""Concurrent writes on PostgreSQL: nothing lost, nothing corrupted."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from offers.models import MoveRefused, Offer, OfferEvent, StaleOffer
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import OfferFactory
from tests.structures.builders import assert_tree_exact
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite runs one writer)"),
]


def run_in_threads(functions):
    """Start every function at once (barrier), each in its own thread and database connection."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def tree(nomenclatures):
    eg = EtablissementFactory()
    service = StructureFactory(parent=StructureFactory(parent=eg, pole=True), service=True)
    ufs = [StructureFactory(parent=service, name=f"UF {n}") for n in range(8)]
    user = HabilitationFactory(etablissement=eg).user
    return eg, service, ufs, user


def test_concurrent_publishes_of_the_same_offer_keep_exactly_one(tree):
    _eg, _service, ufs, user = tree
    offer = OfferFactory(structure=ufs[0])

    def publish(n):
        return lambda: Offer.objects.get(pk=offer.pk).publish(
            user, {"nom": f"Version {n}", "structure": ufs[n % 7 + 1]}, base_version=1
        )

    results = run_in_threads([publish(n) for n in range(6)])

    winners = [r for r in results if isinstance(r, Offer)]
    assert len(winners) == 1, results
    assert all(isinstance(r, StaleOffer) for r in results if r not in winners), results
    offer.refresh_from_db()
    assert offer.version == 2
    assert offer.nom == winners[0].nom and offer.structure_id == winners[0].structure_id
    assert OfferEvent.objects.filter(offer=offer).count() == 2  # the winner's edit and move, nothing else


def test_concurrent_publishes_of_different_offers_all_succeed(tree):
    _eg, _service, ufs, user = tree
    offers = [OfferFactory(structure=ufs[0]) for _ in range(6)]

    results = run_in_threads(
        [lambda o=o, n=n: o.publish(user, {"structure": ufs[n + 1]}, base_version=1) for n, o in enumerate(offers)]
    )

    assert all(isinstance(r, Offer) for r in results), results
    assert [Offer.objects.get(pk=o.pk).structure_id for o in offers] == [uf.pk for uf in ufs[1:7]]
    assert OfferEvent.objects.filter(kind="deplacement").count() == 6


def test_repeated_moves_of_one_offer_from_several_threads_never_lose_a_version(tree):
    _eg, _service, ufs, user = tree
    offer = OfferFactory(structure=ufs[0])

    def keep_moving(n):
        def run():
            done = 0
            for step in range(5):
                current = Offer.objects.get(pk=offer.pk)
                base = current.version
                try:
                    published = current.publish(user, {"structure": ufs[(n + step) % 8]}, base_version=base)
                except (StaleOffer, MoveRefused):
                    continue
                done += published.version == base + 1  # moving to where it already is publishes nothing
            return done

        return run

    results = run_in_threads([keep_moving(n) for n in range(4)])

    published = sum(results)
    offer.refresh_from_db()
    assert offer.version == 1 + published
    assert OfferEvent.objects.filter(offer=offer).count() == published


def test_concurrent_tree_writes_in_one_eg_are_serialised(tree):
    eg, service, ufs, _user = tree
    poles = [StructureFactory(parent=eg, pole=True, name=f"Pôle {n}") for n in range(4)]

    def move(uf, pole):
        def run():
            node = Structure.objects.get(pk=uf.pk)
            node.parent = Structure.objects.get(pk=pole.pk)
            node.save_in_tree()

        return run

    def add(pole, n):
        return lambda: Structure(kind=Structure.Kind.UF, name=f"Nouvelle {n}", parent=pole).save_in_tree()

    run_in_threads([move(uf, poles[n % 4]) for n, uf in enumerate(ufs)] + [add(poles[n], n) for n in range(4)])

    rows = list(Structure.objects.filter(tree_id=eg.tree_id).values("pk", "parent_id", "lft", "rght", "level"))
    assert len(rows) == 1 + 1 + 1 + 8 + 4 + 4
    assert sorted(v for row in rows for v in (row["lft"], row["rght"])) == list(range(1, 2 * len(rows) + 1))
    by_pk = {row["pk"]: row for row in rows}
    for row in rows:
        parent = by_pk.get(row["parent_id"])
        if parent:
            assert parent["lft"] < row["lft"] < row["rght"] < parent["rght"]
            assert row["level"] == parent["level"] + 1


def test_concurrent_additions_in_the_admin_are_serialised(tree):
    """Référents add structures at once in one EG from the admin: each insert is written under the EG's lock, on
    exact positions, with its history row."""
    from django.test import Client
    from django.urls import reverse

    from structures.models import StructureEvent
    from tests.accounts.factories import UserFactory

    eg, service, _ufs, _user = tree
    pole = service.parent
    referents = []
    for n in range(4):
        referent = UserFactory(is_staff=True, username=f"referent{n}")
        HabilitationFactory(user=referent, referent=True, etablissement=None, departement="81")
        referents.append(referent)

    def add(referent, n, kind, parent):
        def run():
            client = Client()
            client.force_login(referent)
            return client.post(
                reverse("admin:structures_structure_add"), {"kind": kind, "name": f"N{n}", "parent": parent.pk}
            )

        return run

    results = run_in_threads(
        [add(referents[0], 0, "3", service), add(referents[1], 1, "2", pole), add(referents[2], 2, "1", eg),
         add(referents[3], 3, "3", service)]
    )  # fmt: skip

    assert sorted(getattr(r, "status_code", r) for r in results) == [302] * 4, results
    assert_tree_exact(eg.tree_id)
    assert StructureEvent.objects.filter(kind="creation", structure__name__in=["N0", "N1", "N2", "N3"]).count() == 4


def test_concurrent_organisation_changes_in_one_eg_keep_an_exact_tree_and_every_offer(tree):
    """Creations, moves of units with offers and closings in one EG from several threads (the portal's paths)."""
    from offers import organisation

    eg, service, ufs, user = tree
    pole = service.parent
    services = [StructureFactory(parent=pole, service=True, name=f"Service {n}") for n in range(3)]
    offers = [OfferFactory(structure=uf) for uf in ufs for _ in range(2)]
    attachments = {offer.pk: offer.structure_id for offer in offers}

    def add(n):
        return lambda: Structure.add_internal(user, Structure.objects.get(pk=pole.pk), Structure.Kind.SERVICE, f"N{n}")

    def move(uf, target):
        return lambda: organisation.move(user, Structure.objects.get(pk=uf.pk), target)

    def close(uf):
        return lambda: organisation.close(user, Structure.objects.get(pk=uf.pk), timezone.localdate())

    jobs = [move(uf, services[n % 3]) for n, uf in enumerate(ufs[:6])] + [add(n) for n in range(3)]
    jobs += [close(ufs[6]), close(ufs[7])]
    results = run_in_threads(jobs)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert_tree_exact(eg.tree_id)
    assert dict(Offer.objects.filter(pk__in=attachments).values_list("pk", "structure_id")) == attachments
    for n, uf in enumerate(ufs[:6]):
        assert Structure.objects.get(pk=uf.pk).parent_id == services[n % 3].pk
    assert Offer.objects.filter(structure__in=ufs[6:], closed_on=timezone.localdate()).count() == 4
    assert OfferEvent.objects.filter(kind=OfferEvent.Kind.UNIT_MOVE).count() == 12


def test_concurrent_admin_saves_of_one_offer_keep_exactly_one(tree):
    from django.test import Client
    from django.urls import reverse

    from tests.accounts.factories import UserFactory
    from tests.page_forms import form_data

    _eg, _service, ufs, _user = tree
    offer = OfferFactory(structure=ufs[0])
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    clients = []
    for n in range(4):
        referent = UserFactory(is_staff=True, username=f"referent{n}")
        HabilitationFactory(user=referent, referent=True, etablissement=None, departement="81")
        client = Client()
        client.force_login(referent)
        clients.append((client, form_data(client.get(url).text, "offer_form")))

    def save(n):
        client, data = clients[n]
        return lambda: client.post(url, data | {"nom": f"Nom {n}"})

    results = run_in_threads([save(n) for n in range(4)])

    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [200, 200, 200, 302], results
    assert all("Cette offre a été modifiée entre-temps" in r.text for r in results if r.status_code == 200)
    offer.refresh_from_db()
    assert offer.version == 2
    assert OfferEvent.objects.filter(offer=offer).count() == 1


def test_twenty_concurrent_creations_get_twenty_distinct_identifiants(tree):
    from nomenclatures.models import ActiviteOperationnelle, ChampActivite, ModePriseEnCharge

    _eg, _service, ufs, user = tree
    values = {
        "champ_activite": ChampActivite.objects.get(pk="01"),
        "modele_saisie": "260/01",
        "mode_prise_en_charge": ModePriseEnCharge.objects.get(pk="32"),
        "activites": [ActiviteOperationnelle.objects.get(pk="013")],
    }

    # Half of them published at once, half saved as drafts then published: both take the region's sequence.
    def create(n):
        def run():
            if n % 2:
                return Offer.create(user, ufs[n % 8], values | {"nom": f"Offre {n}"})
            draft = Offer.create(user, ufs[n % 8], values | {"nom": f"Offre {n}"}, publish=False)
            return draft.publish(user, {}, base_version=draft.version)

        return run

    results = run_in_threads([create(n) for n in range(20)])

    assert all(isinstance(r, Offer) for r in results), results
    identifiants = list(Offer.objects.values_list("identifiant", flat=True))
    assert len(identifiants) == len(set(identifiants)) == 20
    numbers = sorted(int(identifiant.split("/")[1]) for identifiant in identifiants)
    assert numbers == list(range(numbers[0], numbers[0] + 20))  # none lost, none given twice
    assert OfferEvent.objects.filter(kind="creation").count() == 20
