import base64

import pytest
from django.test import Client

from fhir_api.clients import create_client


class Api:
    """A client system: its token from POST /o/token/ (client credentials), then GETs with the bearer token."""

    def __init__(self, niveau, departements=()):
        self.client_row, self.client_id, self.secret = create_client(f"Client niveau {niveau}", niveau, departements)
        self.http = Client()
        basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        response = self.http.post(
            "/o/token/", {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
        )
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]

    def get(self, path, params=None, **headers):
        return self.http.get(path, params or {}, headers={"Authorization": f"Bearer {self.token}", **headers})

    def json(self, path, params=None):
        response = self.get(path, params)
        assert response.status_code == 200, response.content.decode()
        assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
        return response.json()


@pytest.fixture
def api(seed):
    return lambda niveau=3, departements=(): Api(niveau, departements)
