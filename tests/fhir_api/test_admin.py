"""Client systems in the admin: a référent creates clients of their territory only, sees the secret once."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fhir_api.models import ApiClient
from tests.page_forms import form_data

pytestmark = pytest.mark.django_db

ADD = reverse("admin:fhir_api_apiclient_add")


def test_a_referent_creates_a_client_of_their_territory_and_reads_its_secret_once(client_for):
    referent = client_for("referent")
    data = form_data(referent.get(ADD).text, "apiclient_form")

    response = referent.post(ADD, data | {"nom": ["SAMU 81"], "niveau": ["3"], "departements": ["81"]}, follow=True)

    created = ApiClient.objects.get()
    assert (str(created), created.niveau, created.departements) == ("SAMU 81", 3, ["81"])
    assert created.created_by.username == "referent"
    secret = re.search(r"client_secret : ([\w-]+)", response.text).group(1)
    assert created.application.client_secret != secret  # stored hashed
    assert secret not in referent.get(reverse("admin:fhir_api_apiclient_change", args=[created.pk])).text


@pytest.mark.parametrize(
    ("departements", "message"), [([], "au moins un département"), (["31"], "Sélectionnez un choix valide")]
)
def test_a_referent_creates_no_national_client_nor_one_of_another_territory(client_for, departements, message):
    referent = client_for("referent")
    data = form_data(referent.get(ADD).text, "apiclient_form")

    response = referent.post(ADD, data | {"nom": ["Client"], "niveau": ["1"], "departements": departements})

    assert response.status_code == 200 and message in response.text and not ApiClient.objects.exists()


def test_a_referent_does_not_see_a_national_client(client_for, superuser):
    client = Client()
    client.force_login(superuser)
    data = form_data(client.get(ADD).text, "apiclient_form")
    client.post(ADD, data | {"nom": ["Plateforme nationale"], "niveau": ["2"]})
    national = ApiClient.objects.get()

    referent = client_for("referent")

    assert referent.get(reverse("admin:fhir_api_apiclient_change", args=[national.pk])).status_code == 302
    assert "Plateforme nationale" not in referent.get(reverse("admin:fhir_api_apiclient_changelist")).text
