from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from offers.models import MoveRefused, Offer, StaleOffer
from structures.models import Structure


class Command(BaseCommand):
    help = (
        "Déplace une offre vers une autre structure au nom d'un utilisateur, selon les règles du ROR "
        "(les mêmes que le portail) ; l'historique de l'offre enregistre le déplacement."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifiant", help="identifiant de l'offre (ex. 76/12)")
        parser.add_argument("structure", type=int, help="identifiant technique de la structure de destination")
        parser.add_argument("--utilisateur", required=True, help="identifiant de connexion de l'auteur du déplacement")

    def handle(self, identifiant, structure, utilisateur, **options):
        try:
            user = get_user_model().objects.get(username=utilisateur, is_active=True)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"Utilisateur inconnu ou inactif : {utilisateur}") from error
        offer = Offer.objects.managed_by(user).filter(identifiant=identifiant).first()
        if offer is None:
            raise CommandError(f"Offre {identifiant} introuvable dans le périmètre de {utilisateur}.")
        target = Structure.objects.filter(pk=structure).first()
        if target is None:
            raise CommandError(f"Structure {structure} introuvable.")
        source = offer.structure.name
        try:
            offer.move(user, target, base_version=offer.version)
        except (MoveRefused, StaleOffer) as error:
            raise CommandError(f"Déplacement refusé : {error}") from error
        self.stdout.write(f"Offre {identifiant} déplacée de « {source} » vers « {target.name} ».")
