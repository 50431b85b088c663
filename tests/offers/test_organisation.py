"""Changes of the internal organisation that reach offers (offers.organisation): closing a structure with what is
below it, reopening it (alone or with what was closed with it), moving a unit with its offers."""

import datetime

import pytest
from django.core import serializers
from django.utils import timezone

from nomenclatures.models import TypeFermeture
from offers import organisation
from offers.models import Contact, Offer, OfferEvent, Telecom
from structures.models import StaleStructure, Structure, StructureEvent, StructureRefused
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory
from tests.structures.builders import assert_tree_exact
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
K = Structure.Kind
DAY = datetime.date(2026, 6, 30)


@pytest.fixture
def tree():
    eg = EtablissementFactory(name="CH Test")
    pole = StructureFactory(parent=eg, pole=True, name="Médecine")
    service = StructureFactory(parent=pole, service=True, name="Cardiologie")
    uf = StructureFactory(parent=service, name="HC Cardiologie")
    ue = StructureFactory(parent=uf, kind=K.UE, name="Lits")
    other = StructureFactory(parent=pole, service=True, name="Pneumologie")
    offers = {
        "service": OfferFactory(structure=service, nom="Consultation de cardiologie"),
        "uf": OfferFactory(structure=uf, nom="Hospitalisation complète"),
        "ue": OfferFactory(structure=ue, nom="Lits identifiés"),
        "other": OfferFactory(structure=other, nom="Pneumologie"),
    }
    manager = HabilitationFactory(etablissement=eg).user
    return {"eg": eg, "pole": pole, "service": service, "uf": uf, "ue": ue, "other": other, "offers": offers,
            "manager": manager}  # fmt: skip


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def test_closing_closes_everything_below_at_the_same_date(tree):
    node = organisation.close(tree["manager"], tree["service"], DAY, base_version=1)

    assert fresh(node).closed_on == DAY and fresh(node).version == 2
    for name in ("uf", "ue"):
        assert fresh(tree[name]).closed_on == DAY
    for name in ("service", "uf", "ue"):
        offer = fresh(tree["offers"][name])
        assert (offer.closed_on, offer.closing_type_id, offer.version) == (DAY, TypeFermeture.DEFINITIVE, 2)
    assert fresh(tree["offers"]["other"]).closed_on is None and fresh(tree["other"]).closed_on is None
    assert fresh(tree["pole"]).closed_on is None
    (event,) = StructureEvent.objects.filter(structure=tree["service"])
    assert (event.kind, event.closed_on, event.structures_count, event.offers_count) == ("fermeture", DAY, 2, 3)
    assert "Fermée au 30/06/2026" in event.description and "avec 2 sous-structures et 3 offres" in event.description
    assert set(event.consequences.values_list("structure__name", flat=True)) == {"HC Cardiologie", "Lits"}
    offer_event = tree["offers"]["ue"].events.get()
    assert offer_event.cause == event and "avec « Cardiologie »" in offer_event.description


def test_the_preview_lists_what_closing_would_close(tree):
    preview = organisation.closing_preview(fresh(tree["service"]), DAY)

    assert (preview.structures_count, preview.offers_count) == (2, 3)
    assert [node.name for node in preview.structures] == ["HC Cardiologie", "Lits"]
    assert [offer.nom for offer in preview.offers] == [
        "Consultation de cardiologie", "Hospitalisation complète", "Lits identifiés"
    ]  # fmt: skip


def test_what_is_already_closed_earlier_keeps_its_date_and_a_later_closing_is_brought_forward(tree):
    earlier, later = DAY - datetime.timedelta(days=10), DAY + datetime.timedelta(days=10)
    Offer.objects.filter(pk=tree["offers"]["uf"].pk).update(closed_on=earlier, closing_type_id="PRO")
    Offer.objects.filter(pk=tree["offers"]["ue"].pk).update(closed_on=later, closing_type_id="DEF")
    Structure.objects.filter(pk=tree["ue"].pk).update(closed_on=earlier)

    organisation.close(tree["manager"], tree["service"], DAY)

    assert fresh(tree["offers"]["uf"]).closed_on == earlier
    assert fresh(tree["offers"]["ue"]).closed_on == DAY
    assert fresh(tree["ue"]).closed_on == earlier and fresh(tree["uf"]).closed_on == DAY


def test_a_closing_before_the_opening_of_a_sub_structure_is_refused_with_nothing_changed(tree):
    Structure.objects.filter(pk=tree["ue"].pk).update(opened_on=DAY + datetime.timedelta(days=1))

    with pytest.raises(StructureRefused, match="« Lits », dans « Cardiologie », ouvre le 01/07/2026"):
        organisation.close(tree["manager"], tree["service"], DAY)
    assert fresh(tree["service"]).closed_on is None and fresh(tree["offers"]["uf"]).closed_on is None
    assert not StructureEvent.objects.exists()


def test_a_stale_closing_is_refused(tree):
    tree["service"].change(tree["manager"], {"name": "Cardiologie adulte"})

    with pytest.raises(StaleStructure):
        organisation.close(tree["manager"], tree["service"], DAY, base_version=1)
    assert fresh(tree["service"]).closed_on is None


def test_an_eg_is_not_closed_here_and_others_may_not_close(tree):
    regulateur = HabilitationFactory(etablissement=tree["eg"], regulateur=True).user

    with pytest.raises(StructureRefused, match="FINESS"):
        organisation.close(tree["manager"], tree["eg"], DAY)
    with pytest.raises(StructureRefused, match="pas habilité"):
        organisation.close(regulateur, tree["service"], DAY)
    assert not Structure.objects.filter(closed_on__isnull=False).exists()


def test_reopening_alone_leaves_what_was_closed_with_it(tree):
    organisation.close(tree["manager"], tree["service"], DAY)

    organisation.reopen(tree["manager"], tree["service"], with_contents=False)

    assert fresh(tree["service"]).closed_on is None
    assert fresh(tree["uf"]).closed_on == DAY and fresh(tree["offers"]["uf"]).closed_on == DAY
    event = StructureEvent.objects.filter(structure=tree["service"], kind="reouverture").get()
    assert (event.structures_count, event.offers_count) == (0, 0)


def test_reopening_with_its_contents_reopens_what_this_closing_closed_only(tree):
    earlier = DAY - datetime.timedelta(days=10)
    Offer.objects.filter(pk=tree["offers"]["uf"].pk).update(closed_on=earlier, closing_type_id="PRO")
    organisation.close(tree["manager"], tree["service"], DAY)
    assert organisation.reopening_preview(fresh(tree["service"])).offers_count == 2

    organisation.reopen(tree["manager"], tree["service"], with_contents=True, base_version=2)

    for name in ("service", "uf", "ue"):
        assert fresh(tree[name]).closed_on is None
    assert fresh(tree["offers"]["uf"]).closed_on == earlier  # closed before, on its own: stays closed
    for name in ("service", "ue"):
        offer = fresh(tree["offers"][name])
        assert (offer.closed_on, offer.closing_type_id, offer.version) == (None, None, 3)
    event = StructureEvent.objects.filter(structure=tree["service"], kind="reouverture").get()
    assert (event.structures_count, event.offers_count) == (2, 2)
    assert "Rouverte" in event.description and "avec 2 sous-structures et 2 offres" in event.description


def test_a_structure_closed_with_its_parent_reopens_with_the_parent_reopened_first(tree):
    organisation.close(tree["manager"], tree["service"], DAY)

    with pytest.raises(StructureRefused, match="rouvrez d'abord « Cardiologie »"):
        organisation.reopen(tree["manager"], fresh(tree["uf"]))
    organisation.reopen(tree["manager"], fresh(tree["service"]))
    organisation.reopen(tree["manager"], fresh(tree["uf"]), with_contents=True)

    assert fresh(tree["uf"]).closed_on is None and fresh(tree["ue"]).closed_on is None
    assert fresh(tree["offers"]["uf"]).closed_on is None and fresh(tree["offers"]["ue"]).closed_on is None
    assert fresh(tree["offers"]["service"]).closed_on == DAY  # above the UF: not part of its reopening


def snapshot(offers):
    """Every column of the offers and of their contacts, télécoms and link rows, except ``updated_at``."""
    rows = []
    for model, queryset in (
        (Offer, Offer.objects.filter(pk__in=offers)),
        (Contact, Contact.objects.filter(offer__in=offers)),
        (Telecom, Telecom.objects.filter(contact__offer__in=offers)),
        (Offer.activites.through, Offer.activites.through.objects.filter(offer__in=offers)),
    ):
        for row in serializers.serialize("python", queryset.order_by("pk")):
            row["fields"].pop("updated_at", None)
            rows.append((model.__name__, row["pk"], row["fields"]))
    return rows


def test_moving_a_unit_takes_its_sub_structures_and_offers_and_records_the_move_on_each_offer(tree):
    for offer in tree["offers"].values():
        TelecomFactory(contact=ContactFactory(offer=offer))
    moved = [tree["offers"]["uf"].pk, tree["offers"]["ue"].pk]
    before = snapshot(moved)
    stamp = dict(Offer.objects.values_list("pk", "updated_at"))

    organisation.move(tree["manager"], tree["uf"], tree["other"], base_version=1)

    uf = fresh(tree["uf"])
    assert (uf.parent_id, uf.level, uf.version) == (tree["other"].pk, 3, 2)
    assert fresh(tree["ue"]).parent_id == uf.pk
    assert snapshot(moved) == before  # same structure, identifiant, characteristics, contacts
    after = dict(Offer.objects.values_list("pk", "updated_at"))
    assert all(after[pk] > stamp[pk] for pk in moved)
    assert after[tree["offers"]["service"].pk] == stamp[tree["offers"]["service"].pk]
    event = StructureEvent.objects.get(structure=uf, kind="deplacement")
    assert (event.from_label, event.to_label, event.structures_count, event.offers_count) == (
        "Cardiologie", "Pneumologie", 1, 2
    )  # fmt: skip
    for pk in moved:
        (offer_event,) = OfferEvent.objects.filter(offer_id=pk)
        assert offer_event.kind == OfferEvent.Kind.UNIT_MOVE and offer_event.cause == event
        assert offer_event.description.startswith(
            "Déplacée avec « HC Cardiologie » de « Cardiologie » vers « Pneumologie » par"
        )
    assert_tree_exact(uf.tree_id)


def test_a_refused_move_changes_nothing(tree):
    elsewhere = StructureFactory(service=True)
    rows = list(Structure.objects.order_by("pk").values_list("pk", "parent_id", "lft", "rght", "level", "version"))

    for target in ("ue", "uf", "service"):  # below itself, itself, its own parent
        with pytest.raises(StructureRefused):
            organisation.move(tree["manager"], fresh(tree["uf"]), fresh(tree[target]))
    with pytest.raises(StructureRefused, match="Un pôle ne se déplace pas"):
        organisation.move(tree["manager"], fresh(tree["pole"]), fresh(tree["eg"]))
    with pytest.raises(StructureRefused, match="reste dans son établissement"):
        organisation.move(tree["manager"], fresh(tree["uf"]), elsewhere)

    assert list(Structure.objects.order_by("pk").values_list("pk", "parent_id", "lft", "rght", "level", "version")) == (
        rows
    )
    assert not OfferEvent.objects.exists() and not StructureEvent.objects.exists()


def test_a_move_based_on_an_older_version_is_refused(tree):
    tree["uf"].change(tree["manager"], {"name": "HC"})

    with pytest.raises(StaleStructure):
        organisation.move(tree["manager"], tree["uf"], tree["other"], base_version=1)
    assert fresh(tree["uf"]).parent_id == tree["service"].pk


def test_a_closed_unit_does_not_move_and_nothing_moves_under_a_closed_one(tree):
    Structure.objects.filter(pk=tree["other"].pk).update(closed_on=timezone.localdate())

    with pytest.raises(StructureRefused, match="fermé"):
        organisation.move(tree["manager"], fresh(tree["uf"]), fresh(tree["other"]))
    with pytest.raises(StructureRefused, match="fermé"):
        organisation.move(tree["manager"], fresh(tree["other"]), fresh(tree["eg"]))


def test_closed_units_leave_the_offer_picker_targets(tree):
    from offers.moves import MovePolicy

    organisation.close(tree["manager"], tree["service"], timezone.localdate())

    policy = MovePolicy(fresh(tree["offers"]["other"]), tree["manager"])
    assert "fermé(e) depuis le" in policy.refusal(fresh(tree["uf"]))


def test_an_offer_of_a_closed_structure_reopens_only_with_its_structure(tree):
    from offers.forms import REOPENING
    from offers.models import MoveRefused

    organisation.close(tree["manager"], tree["service"], DAY)
    offer = fresh(tree["offers"]["uf"])

    with pytest.raises(MoveRefused, match="« Cardiologie » est fermé\\(e\\) depuis le 30/06/2026 : rouvrez d'abord"):
        offer.publish(tree["manager"], REOPENING)
    assert fresh(offer).closed_on == DAY
    organisation.reopen(tree["manager"], fresh(tree["service"]))
    organisation.reopen(tree["manager"], fresh(tree["uf"]))
    fresh(offer).publish(tree["manager"], REOPENING)
    assert fresh(offer).closed_on is None
