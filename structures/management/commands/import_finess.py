import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from structures.finess import FinessImport


class Command(BaseCommand):
    help = (
        "Importe l'extraction publique FINESS des établissements (etalab cs1100502 / cs1100507) : "
        "crée ou met à jour les entités juridiques et les établissements géographiques. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="fichier CSV de l'extraction FINESS")
        parser.add_argument(
            "--departement",
            nargs="+",
            default=[],
            metavar="CODE",
            help="n'importer que ces départements (codes FINESS : 81, 2A, 9A…)",
        )

    def handle(self, path, departement, **options):
        if not Path(path).is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        started = time.monotonic()
        show_progress = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        report = FinessImport(path, departement, self.progress if show_progress else None).run()
        if show_progress:
            self.stdout.write("")
        for line, message in report.rejected:
            self.stderr.write(f"Ligne {line} rejetée : {message}")
        if report.rejected_count > len(report.rejected):
            self.stderr.write(f"… et {report.rejected_count - len(report.rejected)} autre(s) ligne(s) rejetée(s).")
        for line, message in report.warnings:
            self.stderr.write(f"Ligne {line}, avertissement : {message}")
        if report.warning_count > len(report.warnings):
            self.stderr.write(f"… et {report.warning_count - len(report.warnings)} autre(s) avertissement(s).")
        extraction = f", extraction du {report.extraction}" if report.extraction else ""
        self.stdout.write(
            f"Import FINESS terminé en {time.monotonic() - started:.1f} s (encodage {report.encoding}{extraction}) : "
            f"{report.created} établissement(s) créé(s), {report.updated} mis à jour, "
            f"{report.unchanged} inchangé(s), {report.rejected_count} ligne(s) rejetée(s), "
            f"{report.ej_created} entité(s) juridique(s) créée(s), {report.warning_count} avertissement(s), "
            f"{report.skipped} ligne(s) ignorée(s)."
        )
        if report.changed == 0:
            self.stdout.write("Aucune modification : la base était déjà à jour.")

    def progress(self, done, total):
        width = 30
        filled = int(width * done / total) if total else width
        sys.stdout.write(f"\rImport : [{'#' * filled}{'.' * (width - filled)}] {done}/{total} lignes")
        sys.stdout.flush()
