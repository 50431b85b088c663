"""A structure's table paged by keyset: its sub-structures in tree order, then its offers by name, 25 rows a
page; the last page costs what the first does (issue 8)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from offers.models import STRUCTURE_OFFERS
from structures.contents import SUB_STRUCTURES, contents_page, parse_cursor
from structures.models import Structure
from tests.accounts.factories import HabilitationFactory
from tests.offers.factories import OfferFactory
from tests.structures.factories import EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    """A service with 120 UF and 30 offers of its own, and a manager of its EG."""
    eg = EtablissementFactory()
    service = StructureFactory(parent=eg, service=True, name="Service")
    for n in range(120):
        StructureFactory(parent=service, name=f"UF {n:03d}")
    for n in range(30):
        OfferFactory(structure=service, nom=f"Offre {n:02d}")
    user = HabilitationFactory(etablissement=eg).user
    return Structure.objects.get(pk=service.pk), user


def names(page):
    return [row.name for row in page.children] + [row.nom for row in page.offers]


def pages(node, params):
    return contents_page(SUB_STRUCTURES.of(node), STRUCTURE_OFFERS.of(node, False), params, per_page=50)


def test_the_pages_follow_each_other_through_both_lists(service):
    node, _ = service
    first = pages(node, {})
    second = pages(node, {"apres": first.next_cursor})
    third = pages(node, {"apres": second.next_cursor})
    last = pages(node, {"fin": "1"})

    assert names(first) == [f"UF {n:03d}" for n in range(50)] and not first.has_previous and first.has_next
    assert names(second) == [f"UF {n:03d}" for n in range(50, 100)]
    assert names(third) == [f"UF {n:03d}" for n in range(100, 120)] + [f"Offre {n:02d}" for n in range(30)]
    assert not third.has_next and third.has_previous
    assert names(last) == [f"UF {n:03d}" for n in range(100, 120)] + [f"Offre {n:02d}" for n in range(30)]
    assert names(pages(node, {"avant": third.previous_cursor})) == names(second)
    back = pages(node, {"avant": pages(node, {"avant": last.previous_cursor}).previous_cursor})
    assert names(back) == names(first) and not back.has_previous


def test_a_cursor_inside_the_offers_pages_backwards_into_the_structures(service):
    node, _ = service
    offer = node.offers.order_by("nom").all()[10]

    before = pages(node, {"avant": f"o{offer.pk}"})

    assert names(before) == [f"UF {n:03d}" for n in range(80, 120)] + [f"Offre {n:02d}" for n in range(10)]


@pytest.mark.parametrize("cursor", ["s999999", "o999999", "x1", "s", "s0", "s١", "s" + "9" * 40, "o-1", ""])
def test_a_cursor_that_is_not_in_the_lists_shows_the_first_page(service, cursor):
    node, _ = service
    other = StructureFactory(name="Ailleurs")  # another node's child is no cursor here either

    for params in ({"apres": cursor}, {"avant": cursor}, {"apres": f"s{other.pk}"}):
        assert names(pages(node, params)) == names(pages(node, {}))


def test_parse_cursor():
    assert parse_cursor("s12") == ("s", 12) and parse_cursor("o3") == ("o", 3)
    assert parse_cursor("s0") is None and parse_cursor("S12") is None and parse_cursor(None) is None


def test_the_page_links_and_the_same_cost_first_and_last(client, service, django_assert_max_num_queries):
    node, user = service
    client.force_login(user)
    url = reverse("structure_detail", args=[node.pk])
    client.get(url)

    first = unescape(client.get(url).text)
    assert first.count("<tr>") == 26 and "Page suivante" in first  # the header row and 25 rows (LIST_PAGE_SIZE)
    with django_assert_max_num_queries(10):
        last = unescape(client.get(url + "?fin=1").text)
    with django_assert_max_num_queries(10):
        following = client.get(url + "?" + re.search(r'href="\?(apres=s\d+)"', first).group(1))

    assert "Offre 29" in last and "Offre 05" in last and "Offre 04" not in last and "UF 119" not in last
    assert "UF 025" in unescape(following.text) and "UF 024" not in unescape(following.text)
