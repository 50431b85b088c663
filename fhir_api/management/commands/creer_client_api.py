"""``manage.py creer_client_api NOM --niveau 1|2|3 [--departement 81 …]``: a client system of the FHIR API."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fhir_api.clients import create_client


class Command(BaseCommand):
    help = (
        "Crée un client de l'API FHIR (OAuth2, client credentials) et affiche une seule fois son identifiant et son "
        "secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("nom", help="nom du système client (ex. « SAMU 81 – logiciel de régulation »)")
        parser.add_argument("--niveau", type=int, choices=[1, 2, 3], required=True,
                            help="1 grand public, 2 professionnels, 3 régulation et gestion de crise")  # fmt: skip
        parser.add_argument("--departement", action="append", default=[], help="département lisible (répétable)")

    def handle(self, *args, nom, niveau, departement, **options):
        if not nom.strip():
            raise CommandError("Le nom du client est obligatoire.")
        try:
            client, client_id, secret = create_client(nom.strip(), niveau, departement)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        territory = ", ".join(client.departements) or "tout le territoire"
        self.stdout.write(f"Client « {client} » créé (niveau {niveau}, {territory}).")
        self.stdout.write(f"client_id : {client_id}")
        self.stdout.write(f"client_secret : {secret}")
        self.stdout.write("Le secret n'est affiché qu'une fois : il est conservé chiffré (haché).")
