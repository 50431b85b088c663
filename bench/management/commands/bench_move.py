"""``manage.py bench_move [--offers 50] [--repetitions 20]``: the time of "Déplacer la structure" in the CHU."""

from django.core.management.base import BaseCommand

from bench.moves import measure_unit_move


class Command(BaseCommand):
    help = "Mesure le déplacement d'une UF et de ses offres dans le CHU du jeu de données (tout est annulé ensuite)."

    def add_arguments(self, parser):
        parser.add_argument("--offers", type=int, default=50, help="offres rattachées à l'UF déplacée")
        parser.add_argument("--repetitions", type=int, default=20, help="nombre de déplacements mesurés")

    def handle(self, *args, offers, repetitions, **options):
        result = measure_unit_move(offers=offers, repetitions=repetitions)
        self.stdout.write(
            f"Déplacement d'une UF et de ses {result['offers']} offres "
            f"dans un EG de {result['tree_size']} structures : "
            f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
            f"{'/'.join(str(n) for n in result['queries'])} requêtes SQL par déplacement ({repetitions} mesures)."
        )
