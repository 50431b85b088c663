"""The admin speaks proper French: "Modifier l'offre", "Ajouter une structure" (not "Modification de offre")."""

from html import unescape

import pytest
from django.urls import reverse

from structures.templatetags.admin_labels import articles
from tests.offers.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("verbose_name", "expected"),
    [
        ("offre", ("l'offre", "une offre")),
        ("structure", ("la structure", "une structure")),
        ("entité juridique", ("l'entité juridique", "une entité juridique")),
        ("utilisateur", ("l'utilisateur", "un utilisateur")),
        ("type d'offre", ("le type d'offre", "un type d'offre")),
        ("habilitation", ("l'habilitation", "une habilitation")),
        ("inconnu", None),
    ],
)
def test_articles_follow_the_gender_and_the_elision(verbose_name, expected):
    assert articles(verbose_name) == expected


def page(client, url):
    return " ".join(unescape(client.get(url).content.decode()).split())


def test_change_form_titles_and_breadcrumbs_are_french(client, superuser):
    offer = OfferFactory()
    client.force_login(superuser)

    change = page(client, reverse("admin:offers_offer_change", args=[offer.pk]))
    add = page(client, reverse("admin:structures_structure_add"))

    assert "<h1>Modifier l'offre</h1>" in change
    assert f"<title>{offer.nom} | Modifier l'offre | ROR – administration</title>" in change
    assert "Modification de offre" not in change
    assert "<h1>Ajouter une structure</h1>" in add
    assert "› Ajouter une structure </div>" in add
    assert "Ajout de structure" not in add


def test_change_lists_are_french(client, superuser):
    client.force_login(superuser)

    offers = page(client, reverse("admin:offers_offer_changelist"))
    users = page(client, reverse("admin:accounts_user_changelist"))

    assert "<h1>Sélectionnez l'offre à modifier</h1>" in offers
    assert 'class="addlink">Ajouter une offre</a>' in offers
    assert "Sélectionnez l’objet" not in offers and "Ajouter offre" not in offers
    assert 'class="addlink">Ajouter un utilisateur</a>' in users
