from django.core.management.base import BaseCommand
from django.db import transaction

from nomenclatures.loading import load_all


class Command(BaseCommand):
    help = "Charge (ou met à jour) les nomenclatures NOS depuis les fichiers CSV du projet. Idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            results = load_all()
        for name, (created, updated, unchanged) in results.items():
            self.stdout.write(f"{name}: {created} créé(s), {updated} mis à jour, {unchanged} inchangé(s)")
