"""Creating a client system of the FHIR API: an OAuth2 application (client credentials) and its ROR settings."""

import secrets

from django.db import transaction
from oauth2_provider.models import Application

from fhir_api.models import ApiClient


@transaction.atomic
def create_client(name, niveau, departements=(), created_by=None):
    """(ApiClient, client_id, client_secret): the secret is stored hashed and shown only here."""
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        user=None,
    )
    client = ApiClient(application=application, niveau=niveau, departements=sorted(departements), created_by=created_by)
    client.full_clean(exclude=["application"])
    client.save()
    return client, application.client_id, secret
