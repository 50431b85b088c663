"""What each user's lists contain, row by row and count by count, checked against a plain-Python oracle."""

import pytest
from django.urls import reverse

from accounts.models import Habilitation
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def expected_etablissements(user):
    """The EG a user may read, computed in Python from the habilitations (independent of the querysets)."""
    rows = list(user.habilitations.all())
    return {
        eg
        for eg in Structure.objects.filter(kind="EG")
        if any(
            h.etablissement_id == eg.pk
            or h.entite_juridique_id == eg.entite_juridique_id
            or h.departement == eg.departement
            for h in rows
        )
    }


@pytest.fixture
def several_roles(seed):
    """Responsable of the Guyane EHPAD, régulateur of the Tarn: two scopes from two roles."""
    user = UserFactory(username="plusieurs")
    HabilitationFactory(user=user, etablissement=Structure.objects.get(finess_et="970302287"))
    HabilitationFactory(user=user, role=Habilitation.Role.REGULATEUR, departement="81")
    return user


@pytest.mark.parametrize("username", ["gestionnaire", "autre", "referent", "regulateur", "plusieurs"])
def test_lists_and_counts_hold_exactly_the_users_scope(client, seed, several_roles, django_user_model, username):
    user = django_user_model.objects.get(username=username)
    expected = expected_etablissements(user)
    client.force_login(user)

    home = client.get(reverse("mes_etablissements")).context
    listed, query = set(), ""
    for _ in range(10):
        page = client.get(reverse("etablissement_list") + query).context["page"]
        listed |= set(page.object_list)
        if not page.has_next:
            break
        query = f"?apres={page.next_cursor}"
    ej_rows = {row.finess_ej: row.eg_count for row in client.get(reverse("entite_juridique_list")).context["page"]}

    assert expected  # every user here has something
    assert listed == expected
    assert (home["eg_count"].value, home["ej_count"].value) == (
        len(expected),
        len({eg.entite_juridique_id for eg in expected}),
    )
    per_ej = {}
    for eg in expected:
        per_ej[eg.entite_juridique.finess_ej] = per_ej.get(eg.entite_juridique.finess_ej, 0) + 1
    assert ej_rows == per_ej
