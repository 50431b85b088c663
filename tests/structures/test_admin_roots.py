"""The admin's first level of the tree (``StructureAdmin.territory_roots``): exactly the EG of the territory, for
every kind of account, the territory's condition on the EG's own columns saying the same as the one on trees."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts.models import Habilitation
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.accounts.matrix import accounts, etablissements
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_the_roots_are_the_territorys_eg_for_every_kind_of_account():
    tarn, tarn_other, gers = etablissements()
    StructureFactory(parent=tarn, name="UF")
    other_ej_in_gers = EtablissementFactory(departement="32", entite_juridique=tarn.entite_juridique)
    users = accounts(tarn, tarn_other, gers)
    REF = Habilitation.Role.REFERENT
    users["référent of an EG"] = HabilitationFactory(role=REF, etablissement=gers).user
    users["référent of an EJ"] = HabilitationFactory(role=REF, entite_juridique=tarn.entite_juridique).user
    admin = site._registry[Structure]

    for label, user in users.items():
        request = RequestFactory().get("/")
        request.user = user
        territory = Structure.objects.administered_by(user)

        roots = admin.territory_roots(request, territory)

        assert set(roots) == set(territory.etablissements()), label
    assert {tarn, other_ej_in_gers} <= set(Structure.objects.administered_by(users["référent of an EJ"]))
