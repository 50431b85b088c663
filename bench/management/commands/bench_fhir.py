"""``manage.py bench_fhir [--requests 50] [--export] [--export-pages N]``: the FHIR API on the data set."""

from django.core.management.base import BaseCommand

from bench.fhir import export, measure


class Command(BaseCommand):
    help = "Mesure l'API FHIR en processus : pages de recherche de 200 offres avec _include, export complet."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50, help="requêtes mesurées par page")
        parser.add_argument(
            "--export", action="store_true", dest="full_export", help="parcourir toutes les offres (pages de 1 000)"
        )
        parser.add_argument("--export-pages", type=int, default=None, help="s'arrêter après N pages de l'export")

    def handle(self, *args, requests, full_export, export_pages, **options):
        self.stdout.write("| recherche | p50 (ms) | p95 (ms) | requêtes SQL | entrées |")
        self.stdout.write("|---|---|---|---|---|")
        for label, row in measure(requests).items():
            self.stdout.write(
                f"| {label} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['queries']} | {row['entries']} |"
            )
        if full_export or export_pages:
            run = export(limit=export_pages)
            self.stdout.write(
                f"Export : {run['offers']} offres en {run['pages']} pages de 1 000, {run['seconds']:.0f} s, "
                f"mémoire de pointe d'une page {run['peak_mb']:.1f} Mo."
            )
