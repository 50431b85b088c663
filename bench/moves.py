"""The cost of moving a unit with its offers ("Déplacer la structure") in the largest EG of the data set: an UF of
the CHU holding ``offers`` offers moved from one pôle to another and back, each move timed and its queries
counted, everything rolled back at the end (the data set is left as it was)."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import generate
from offers import organisation
from offers.models import Offer
from structures.models import Structure


class Rollback(Exception):
    pass


def measure_unit_move(offers=50, repetitions=20):
    """{"p50_ms", "p95_ms", "queries", "offers", "tree_size"} of ``repetitions`` moves of one UF of the CHU."""
    chu = Structure.objects.get(finess_et=generate.CHU_FINESS)
    user = get_user_model().objects.get(username="bench-responsable")
    poles = list(chu.get_children().order_by("lft")[:2])
    uf = poles[0].get_children().order_by("lft").first()
    times, counts = [], set()
    try:
        with transaction.atomic():
            others = Offer.objects.published().filter(etablissement=chu).exclude(structure=uf)
            Offer.objects.filter(pk__in=list(others.values_list("pk", flat=True)[:offers])).update(structure=uf)
            held = Offer.objects.filter(structure=uf).count()
            for n in range(repetitions):
                target = poles[1 - n % 2]
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    organisation.move(user, Structure.objects.get(pk=uf.pk), target)
                    times.append((time.perf_counter() - started) * 1000)
                counts.add(len(queries))
            raise Rollback
    except Rollback:
        pass
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
        "queries": sorted(counts),
        "offers": held,
        "tree_size": chu.get_descendant_count() + 1,
    }
