"""Hostile values in the admin that Django itself does not check (found by tests/test_fuzz.py)."""

import pytest
from django.urls import reverse

from accounts.models import User
from offers.models import Contact, Offer
from structures.models import Structure
from tests.page_forms import form_data

pytestmark = pytest.mark.django_db

HOSTILE_IDS = ["²", str(2**63), str(10**30), "x" * 10_000]


@pytest.fixture
def admin_client_seeded(client, seed, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("value", HOSTILE_IDS)
@pytest.mark.parametrize(
    "url_name,field",
    [
        ("admin:structures_structure_add", "parent"),
        ("admin:offers_offer_change", "structure"),
        ("admin:offers_contact_change", "offer"),
        ("admin:accounts_user_change", "habilitations-0-etablissement"),
        ("admin:accounts_user_change", "habilitations-0-entite_juridique"),
    ],
)
def test_a_hostile_autocomplete_value_is_refused_not_a_500(admin_client_seeded, url_name, field, value):
    client = admin_client_seeded
    target = {
        "admin:offers_offer_change": lambda: Offer.objects.order_by("pk").first(),
        "admin:offers_contact_change": lambda: Contact.objects.order_by("pk").first(),
        "admin:accounts_user_change": lambda: User.objects.get(username="gestionnaire"),
    }.get(url_name)
    url = reverse(url_name, args=[target().pk]) if target else reverse(url_name)
    data = form_data(client.get(url).text, None, **{field: value, "name": "Nouvelle", "kind": "3"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors or any(
        formset.errors for formset in response.context["inline_admin_formsets"] for formset in [formset.formset]
    )


def test_a_contact_added_without_its_offer_is_refused_not_a_500(admin_client_seeded):
    response = admin_client_seeded.post(
        reverse("admin:offers_contact_add"),
        {"nom": "Sans offre", "confidentialite": "2", "telecoms-TOTAL_FORMS": "0", "telecoms-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert "offer" in response.context["adminform"].form.errors


def test_a_huge_year_in_the_login_journal_is_a_bad_lookup_not_a_500(admin_client_seeded):
    response = admin_client_seeded.get(reverse("admin:axes_accesslog_changelist") + f"?attempt_time__year={10**30}")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_structure_form_still_finds_a_real_parent(admin_client_seeded):
    eg = Structure.objects.get(finess_et="810000224")
    url = reverse("admin:structures_structure_add")

    response = admin_client_seeded.post(url, {"kind": "1", "name": "Pôle ajouté", "parent": str(eg.pk)})

    assert response.status_code == 302
    assert Structure.objects.get(name="Pôle ajouté").parent_id == eg.pk
