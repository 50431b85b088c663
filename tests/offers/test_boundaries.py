"""Edges of the rules, each written so that a small change of the code (a flipped comparison, a dropped
filter, a widened scope) makes one of them fail."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Habilitation
from offers.models import MoveRefused, Offer, OfferDraft, Telecom
from offers.moves import MovePolicy
from structures.models import EntiteJuridique, Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import ContactFactory, OfferFactory, TelecomFactory, general_draft
from tests.structures.factories import EntiteJuridiqueFactory, EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def tree():
    eg = EtablissementFactory()
    service = StructureFactory(parent=StructureFactory(parent=eg, pole=True, name="Pôle"), service=True, name="S")
    ufs = [StructureFactory(parent=service, name=f"UF {n}") for n in range(3)]
    offer = OfferFactory(structure=ufs[1])
    user = HabilitationFactory(etablissement=eg).user
    return {"eg": eg, "service": service, "ufs": ufs, "offer": offer, "user": user}


def refusal(offer, user, target):
    return MovePolicy(Offer.objects.get(pk=offer.pk), user).refusal(Structure.objects.get(pk=target.pk))


# --- closing dates: today is closed, tomorrow is not yet --------------------------------------------------


@pytest.mark.parametrize("closed_on,closed", [(YESTERDAY, True), (TODAY, True), (TOMORROW, False), (None, False)])
def test_a_structure_and_an_offer_are_closed_from_their_closing_date_on(tree, closed_on, closed):
    Structure.objects.filter(pk=tree["ufs"][2].pk).update(closed_on=closed_on)
    Offer.objects.filter(pk=tree["offer"].pk).update(closed_on=closed_on)

    assert Structure.objects.get(pk=tree["ufs"][2].pk).is_closed is closed
    assert Offer.objects.get(pk=tree["offer"].pk).is_closed is closed
    assert (refusal(tree["offer"], tree["user"], tree["ufs"][2]) is not None) is closed


def test_a_target_closed_today_is_refused(tree):
    Structure.objects.filter(pk=tree["ufs"][2].pk).update(closed_on=TODAY)

    assert refusal(tree["offer"], tree["user"], tree["ufs"][2]) == f"« UF 2 » est fermé(e) depuis le {TODAY:%d/%m/%Y}."


def test_a_closed_node_in_another_eg_does_not_close_the_target(tree):
    # The other EG's root spans lft 1..rght of its whole tree: only the tree_id keeps it out of our path.
    other = EtablissementFactory(closed_on=YESTERDAY)
    for n in range(6):
        StructureFactory(parent=other, name=f"Autre {n}")

    assert refusal(tree["offer"], tree["user"], tree["ufs"][2]) is None


def test_a_closed_earlier_sibling_does_not_close_the_target(tree):
    Structure.objects.filter(pk=tree["ufs"][0].pk).update(closed_on=YESTERDAY)  # before UF 2 in the tree

    assert refusal(tree["offer"], tree["user"], tree["ufs"][2]) is None


def test_a_closed_ancestor_closes_the_target(tree):
    Structure.objects.filter(pk=tree["service"].pk).update(closed_on=TODAY)

    assert refusal(tree["offer"], tree["user"], tree["ufs"][2]) == (
        f"« UF 2 » est dans « S », fermé(e) depuis le {TODAY:%d/%m/%Y}."
    )


def test_a_structure_cannot_move_under_its_own_descendant_even_when_kinds_allow_it():
    outer = StructureFactory(service=True, name="Service extérieur")
    inner = StructureFactory(service=True, parent=outer, name="Service intérieur")  # service under service: allowed
    outer = Structure.objects.get(pk=outer.pk)
    outer.parent = Structure.objects.get(pk=inner.pk)

    with pytest.raises(ValidationError) as error:
        outer.full_clean()

    assert error.value.message_dict["parent"] == ["Une structure ne peut pas être placée sous elle-même."]


# --- undo ---------------------------------------------------------------------------------------------------


def test_undo_is_refused_once_the_origin_structure_is_gone(tree):
    offer, user = tree["offer"], tree["user"]
    origin = StructureFactory(parent=tree["service"], name="UF éphémère")
    offer.move(user, origin)
    offer.move(user, tree["ufs"][2])
    event = offer.latest_move()
    event.from_structure = None
    event.save()

    assert (
        offer.undo_refusal_reason(user, event)
        == "« UF éphémère » n'existe plus : le déplacement ne peut pas être annulé."
    )
    with pytest.raises(MoveRefused, match="n'existe plus"):
        offer.undo_move(user, event)


def test_an_edit_is_not_an_undoable_move(tree):
    offer, user = tree["offer"], tree["user"]
    offer.publish(user, {"nom": "Renommée"}, base_version=1)
    edit = offer.events.get()

    assert offer.undo_refusal_reason(user, edit) == "Seul un déplacement peut être annulé."
    with pytest.raises(MoveRefused):
        offer.undo_move(user, edit)


def test_undo_needs_the_habilitation_on_the_offer(tree):
    offer, user = tree["offer"], tree["user"]
    offer.move(user, tree["ufs"][2])
    stranger = HabilitationFactory(etablissement=EtablissementFactory()).user

    assert "pas habilité" in offer.undo_refusal_reason(stranger, offer.latest_move())
    with pytest.raises(MoveRefused):
        offer.undo_move(stranger, offer.latest_move())
    assert Offer.objects.get(pk=offer.pk).structure_id == tree["ufs"][2].pk


# --- sensitive units ------------------------------------------------------------------------------------------


def test_restricting_contacts_touches_only_its_own_offer(tree):
    offer, other = tree["offer"], OfferFactory(structure=tree["ufs"][0])
    mine = TelecomFactory(contact=ContactFactory(offer=offer, confidentialite_id="1"), confidentialite_id="1")
    theirs = TelecomFactory(contact=ContactFactory(offer=other, confidentialite_id="1"), confidentialite_id="1")

    offer.publish(tree["user"], {"unite_sensible": True}, base_version=1)

    assert Telecom.objects.get(pk=mine.pk).confidentialite_id == "3"
    assert Telecom.objects.get(pk=mine.pk).contact.confidentialite_id == "3"
    assert Telecom.objects.get(pk=theirs.pk).confidentialite_id == "1"
    assert Telecom.objects.get(pk=theirs.pk).contact.confidentialite_id == "1"


@pytest.fixture
def sensitive(tree):
    offer = tree["offer"]
    contact = ContactFactory(offer=offer, confidentialite_id="2")
    telecom = TelecomFactory(contact=contact, confidentialite_id="2")
    return offer, contact, telecom


@pytest.mark.parametrize("model", ["contact", "telecom"])
def test_refuse_lowering_each_branch(sensitive, tree, model):
    offer, contact, telecom = sensitive
    item = contact if model == "contact" else telecom
    factory = ContactFactory if model == "contact" else TelecomFactory
    parent = {"offer": offer} if model == "contact" else {"contact": contact}

    # Ordinary offer: any level, new or existing.
    item.confidentialite_id = "1"
    item.full_clean()
    factory.build(**parent, confidentialite_id="1").full_clean()

    # Being made sensitive (not yet published so): an existing row below 3 passes, the publish raises it.
    Offer.objects.filter(pk=offer.pk).update(unite_sensible=False)
    offer.unite_sensible = True
    item.confidentialite_id = "2"
    item.full_clean()

    # Sensitive: a new row must start at 3, an existing row at 3 may not go down, a row at 3 is fine.
    offer.publish(tree["user"], {"unite_sensible": True}, base_version=1)
    offer = Offer.objects.get(pk=offer.pk)
    parent = {"offer": offer} if model == "contact" else {"contact": type(contact).objects.get(pk=contact.pk)}
    with pytest.raises(ValidationError, match="unité sensible"):
        factory.build(**parent, confidentialite_id="2").full_clean()
    factory.build(**parent, confidentialite_id="3").full_clean()
    item = type(item).objects.get(pk=item.pk)
    assert item.confidentialite_id == "3"
    item.full_clean()
    item.confidentialite_id = "1"
    with pytest.raises(ValidationError, match="unité sensible"):
        item.full_clean()


# --- drafts and scopes ------------------------------------------------------------------------------------------


def test_another_authors_draft_is_never_the_users_draft(tree):
    offer, user = tree["offer"], tree["user"]
    colleague = HabilitationFactory(etablissement=tree["eg"]).user
    general_draft(offer, colleague, nom="Brouillon du collègue", structure=tree["ufs"][2].pk)

    assert not offer.drafts.filter(author=user).exists()
    assert OfferDraft.objects.administered_by(user).count() == 0  # a responsable administers nothing


def test_a_user_with_several_roles_gets_each_scope_from_its_own_role(db):
    """Responsable of one EG, régulateur of a département, référent of another EG: three different scopes."""
    managed, regulated, administered = (EtablissementFactory(departement=d) for d in ("81", "31", "12"))
    other_in_31 = EtablissementFactory(departement="31")
    user = UserFactory(is_staff=True)
    HabilitationFactory(user=user, etablissement=managed)
    HabilitationFactory(user=user, regulateur=True, departement="31")
    HabilitationFactory(user=user, referent=True, etablissement=administered)

    def roots(queryset):
        return set(queryset.etablissements())

    assert roots(Structure.objects.managed_by(user)) == {managed, administered}
    assert roots(Structure.objects.visible_to(user)) == {managed, administered, regulated, other_in_31}
    assert roots(Structure.objects.administered_by(user)) == {administered}
    assert set(Habilitation.objects.administered_by(user)) == set(
        Habilitation.objects.filter(etablissement=administered)
    )


def test_an_ej_is_administered_only_when_all_its_eg_are(db):
    ej = EntiteJuridiqueFactory()
    in_81, in_31 = (
        EtablissementFactory(entite_juridique=ej, departement="81"),
        EtablissementFactory(entite_juridique=ej, departement="31"),
    )
    empty = EntiteJuridiqueFactory()
    referent = HabilitationFactory(referent=True, departement="81").user
    both = HabilitationFactory(referent=True, departement="81").user
    HabilitationFactory(user=both, referent=True, departement="31")

    assert set(EntiteJuridique.objects.touching_territory_of(referent)) == {ej}
    assert set(EntiteJuridique.objects.administered_by(referent)) == set()
    assert set(EntiteJuridique.objects.administered_by(both)) == {ej}
    assert empty not in EntiteJuridique.objects.administered_by(both)  # no EG: nothing proves it is inside
    assert {in_81.pk, in_31.pk} == set(
        Structure.objects.etablissements_administered_by(both).values_list("pk", flat=True)
    )


def test_only_the_latest_move_is_undoable_and_the_rule_says_so(tree):
    offer, user = tree["offer"], tree["user"]
    offer.move(user, tree["ufs"][2])
    first = offer.latest_move()
    offer.move(user, tree["ufs"][0])

    assert offer.undo_refusal_reason(user, first) == "Seul le dernier déplacement de l'offre peut être annulé."
    assert offer.undo_refusal_reason(user, offer.latest_move()) is None
