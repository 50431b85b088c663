"""``manage.py bench_data [--scale 1.0] [--reset]``: the national-size data set of the benchmark."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import generate


class Command(BaseCommand):
    help = (
        "Génère le jeu de données national du banc d'essai (≈ 50 000 EG, 10 000 EJ, 300 000 structures internes "
        "dont un CHU de 60 pôles × 15 UF, 500 000 offres) et les comptes bench-* de chaque rôle."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="taille relative (1.0 = nationale)")
        parser.add_argument("--seed", type=int, default=2026, help="graine du générateur (données reproductibles)")
        parser.add_argument(
            "--reset", action="store_true", help="vider d'abord les tables (EJ, structures, offres, habilitations)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="ne rien faire (sans erreur) si la base contient déjà des données"
        )

    def handle(self, *args, scale, seed, reset, if_empty, **options):
        if scale <= 0:
            raise CommandError("--scale doit être positif.")
        started = time.monotonic()
        if reset:
            generate.reset()
            self.stdout.write(f"Tables vidées en {time.monotonic() - started:.1f} s.")
        existing = generate.existing_data()
        if existing:
            summary = ", ".join(f"{n} {label}" for label, n in existing.items())
            if if_empty:
                self.stdout.write(f"Données déjà présentes ({summary}) : rien à générer.")
                return
            raise CommandError(
                f"La base contient déjà des données ({summary}). Relancez avec --reset pour les effacer "
                "(toutes les EJ, structures, offres et habilitations) et générer le jeu du banc d'essai."
            )
        counts = generate.Generator(scale=scale, seed=seed).run()
        total = time.monotonic() - started
        self.stdout.write(
            f"{connection.vendor} : {counts.entites} EJ, {counts.etablissements} EG, {counts.internal} structures "
            f"internes, {counts.offers} offres, {counts.contacts} contacts, {counts.telecoms} télécoms."
        )
        for label, seconds in counts.timings.items():
            self.stdout.write(f"  {label} : {seconds:.1f} s")
        self.stdout.write(f"Généré en {total:.1f} s. Comptes (mot de passe « {generate.PASSWORD} ») :")
        for username, description in generate.ACCOUNTS.items():
            self.stdout.write(f"  - {username} : {description}")
