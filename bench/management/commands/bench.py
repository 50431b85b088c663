"""``manage.py bench``: every page per role against gunicorn, the bare view beside them, query counts in process."""

import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from bench import load, pages, queries, report
from bench.generate import CHU_FINESS
from offers.models import Offer
from structures.models import Structure

BENCH_DIR = Path(__file__).resolve().parents[2]


def database_name():
    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000}"
    return connection.vendor


class Command(BaseCommand):
    help = (
        "Mesure chaque page du portail, fragment HTMX et liste de l'administration pour chaque rôle (gunicorn, "
        "DEBUG=false) à côté d'une vue vide, et compte les requêtes SQL de chaque page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connections", type=int, default=8, help="connexions simultanées (débit)")
        parser.add_argument("--requests", type=int, default=200, help="requêtes par page à une connexion (au plus)")
        parser.add_argument(
            "--max-seconds", type=float, default=5.0, help="durée maximale par page à une connexion (au moins 5 req.)"
        )
        parser.add_argument("--duration", type=float, default=2.0, help="durée de la mesure de débit par page (s)")
        parser.add_argument(
            "--warmup", type=int, default=5, help="requêtes de chauffe par page (au plus 1 s, au moins une)"
        )
        parser.add_argument(
            "--repeat",
            type=int,
            default=1,
            help="mesures de chaque page (chacune avec sa vue vide) : la ligne retenue est la médiane du rapport p50",
        )
        parser.add_argument("--workers", type=int, default=3, help="workers gunicorn")
        parser.add_argument("--threads", type=int, default=1, help="threads par worker (gthread au-delà de 1)")
        parser.add_argument("--roles", nargs="*", default=pages.ROLES, help="comptes à mesurer")
        parser.add_argument("--only", nargs="*", default=None, help="clés des pages à mesurer (toutes par défaut)")
        parser.add_argument("--output", default=str(BENCH_DIR / "results.md"), help="tableau Markdown")
        parser.add_argument("--json", default=str(BENCH_DIR / "results.json"), help="résultats bruts (fusionnés)")
        parser.add_argument("--readme", default=str(Path(settings.BASE_DIR) / "README.md"))
        parser.add_argument(
            "--queries-only", action="store_true", help="compter les requêtes SQL seulement (sans gunicorn)"
        )

    def handle(self, *args, **options):
        if options["repeat"] < 1:
            raise CommandError("--repeat : au moins une mesure par page.")
        if not Structure.objects.filter(finess_et=CHU_FINESS).exists():
            raise CommandError("Pas de données du banc d'essai dans cette base : lancez d'abord manage.py bench_data.")
        started = time.monotonic()
        page_list = pages.build(roles=options["roles"])
        if options["only"]:
            page_list = [p for p in page_list if p.kind == "bare" or p.key in options["only"]]
        self.stdout.write(f"{len(page_list)} pages trouvées en {time.monotonic() - started:.1f} s.")

        # A subset of the pages or roles is printed only: the README's table stays that of a whole run, whose
        # ratios all share its bare view.
        partial = bool(options["only"]) or set(options["roles"]) != set(pages.ROLES)
        results = {"queries": {}, "run": None} if partial else report.load(options["json"])
        size = queries.data_size()
        counted = queries.count_queries(page_list)
        results["queries"][str(size)] = {
            "pages": {
                page.id: {"role": page.role, "label": page.label, "kind": page.kind, "status": s, "queries": q}
                for page in page_list
                for s, q in [counted[page.id]]
            }
        }
        self.stdout.write(f"Requêtes SQL comptées ({size} EG) en {time.monotonic() - started:.1f} s.")
        if not options["queries_only"]:
            results["run"] = self.measure(page_list, options, size)
        if partial:
            self.stdout.write(report.markdown(results))
            self.stdout.write(f"Sous-ensemble : ni {options['json']} ni le README ne changent.")
            return
        report.save(options["json"], results)
        in_readme = report.write(results, options["output"], options["readme"])
        self.stdout.write(
            f"Résultats : {options['output']}" + (f" et {options['readme']}" if in_readme else "")
            + f" ({time.monotonic() - started:.0f} s en tout)."
        )  # fmt: skip

    def measure(self, page_list, options, size):
        server = load.Server(workers=options["workers"], threads=options["threads"])
        rows = []
        with server:
            self.stdout.write(f"{server.description} sur le port {server.port}.")
            by_role = {}
            for page in page_list:
                by_role.setdefault(page.role, []).append(page)
            bare = next(page for page in page_list if page.kind == "bare")
            for role, role_pages in by_role.items():
                single = load.Session(server.port).login(role)
                many = [load.Session(server.port).login(role) for _ in range(options["connections"])]
                for page in role_pages:
                    runs = [self.measure_page(page, single, many, options, bare) for _ in range(options["repeat"])]
                    rows.append(report.median_run(runs))
                if page_list[-1].role == role:
                    end = pages.Page(bare.role, "bare-end", "bare view (HttpResponse), end of run", bare.path, "bare")
                    rows.append(self.measure_page(end, single, many, options))
        bares = [row for row in rows if row["kind"] == "bare"]
        # Ratios to the bare view measured at the start and at the end of the run (the machine is shared).
        rows.insert(0, {
            "id": "bare-mean", "role": bare.role, "label": "bare view, mean of start and end", "kind": "bare",
            "p50": sum(r["p50"] for r in bares) / len(bares), "p95": sum(r["p95"] for r in bares) / len(bares),
            "rps": sum(r["rps"] for r in bares) / len(bares), "n": sum(r["n"] for r in bares), "status": "200",
        })  # fmt: skip
        return {"meta": self.meta(server, options, size), "pages": rows}

    def measure_page(self, page, single, many, options, bare=None):
        """The page's timings; beside a page (not the bare view itself), the bare view measured in the same seconds:
        20 requests just before the page's and 20 just after at one connection, its throughput just before."""
        beside = bare if bare is not None and page.kind != "bare" else None
        timing = load.timed_requests(
            single, page, options["requests"], options["max_seconds"], options["warmup"], bare=beside
        )
        if beside is not None:
            timing["bare_rps"], _ = load.throughput(many, beside, options["duration"] / 2)
        rps, errors = load.throughput(many, page, options["duration"])
        row = {"id": page.id, "role": page.role, "label": page.label, "kind": page.kind, "path": page.path}
        row |= timing | {"rps": rps, "errors": errors}
        self.stdout.write(
            f"  {page.role:18} {page.label:52} {row['status']:>7} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms"
            f"  {rps:6.1f} req/s  (n={row['n']})"
            + (f"  bare p50 {row['bare_p50']:.1f} ms, {row['bare_rps']:.0f} req/s" if "bare_p50" in row else "")
        )
        return row

    def meta(self, server, options, size):
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True
            ).stdout.strip()
        except OSError:
            commit = "?"
        offers = Offer.objects.count()
        return {
            "date": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit or "?",
            "database": database_name(),
            "size": f"{report.number(size)} EG, {report.number(offers)} offers",
            "server": server.description,
            "method": (
                f"1 connection: up to {options['requests']} requests or {options['max_seconds']:g} s per page "
                f"(at least 5) after up to {options['warmup']} warm-up requests (1 s); {options['connections']} "
                "connections: "
                f"{options['duration']:g} s per page; each page's ratios are to the bare view measured beside it "
                "(20 requests just before the page's and 20 just after, its throughput over "
                f"{options['duration'] / 2:g} s just before the page's)"
                + (
                    f"; each page measured {options['repeat']} times, the run with the median ratio kept"
                    if options["repeat"] > 1
                    else ""
                )
            ),
        }
