"""``Offer.objects.with_access(user)``: ``can_manage`` on each row says exactly what ``managed_by`` says, for every
kind of user and offer (a matrix), whether or not the query is also scoped by ``visible_to``."""

import pytest

from offers.models import Offer
from tests.accounts.matrix import accounts, etablissements
from tests.offers.factories import OfferFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tarn, tarn_other, gers = etablissements()
    offers = {
        "tarn, UF": OfferFactory(structure=StructureFactory(parent=tarn, name="UF")),
        "tarn, EG": OfferFactory(structure=tarn),
        "tarn, other EG": OfferFactory(structure=tarn_other),
        "gers": OfferFactory(structure=StructureFactory(parent=gers, name="UF")),
    }

    return accounts(tarn, tarn_other, gers), offers


def test_can_manage_is_managed_by_on_every_row(world):
    users, offers = world
    for label, user in users.items():
        managed = set(Offer.objects.managed_by(user).values_list("pk", flat=True))
        every_row = dict(Offer.objects.with_access(user).values_list("pk", "can_manage"))
        visible_rows = dict(Offer.objects.visible_to(user).with_access(user).values_list("pk", "can_manage"))

        assert {pk for pk, can in every_row.items() if can} == managed, label
        assert all(can in (True, False) for can in every_row.values()), label  # never NULL
        assert {pk for pk, can in visible_rows.items() if can} == managed & set(visible_rows), label


def test_a_regulateur_reads_without_managing_and_a_mixed_account_manages_only_its_eg(world):
    users, offers = world
    rows = dict(
        Offer.objects.visible_to(users["régulateur of the 81, responsable in the Gers"])
        .with_access(users["régulateur of the 81, responsable in the Gers"])
        .values_list("pk", "can_manage")
    )

    assert rows == {
        offers["tarn, UF"].pk: False,
        offers["tarn, EG"].pk: False,
        offers["tarn, other EG"].pk: False,
        offers["gers"].pk: True,
    }
