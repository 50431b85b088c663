"""The table rows' tags give the markup of a reverse() and escape what they show."""

from django.urls import reverse, set_script_prefix

from ror_portal.links import object_url
from structures.templatetags.portal_rows import closed_badge, details_link


def test_object_url_is_reverse_for_every_id_and_script_prefix():
    for pk in (1, 42, 987654321, 10**12):
        assert object_url("structure_detail", pk) == reverse("structure_detail", args=[pk])
        assert object_url("offer_detail", pk) == reverse("offer_detail", args=[pk])
    set_script_prefix("/portail/")
    try:
        assert object_url("structure_detail", 7) == reverse("structure_detail", args=[7])
        assert object_url("structure_detail", 7).startswith("/portail/")
    finally:
        set_script_prefix("/")


def test_details_link_escapes_the_name_and_points_at_the_object():
    url = reverse("offer_detail", args=[3])
    html = details_link("offer_detail", 3, 'Soins <b>"palliatifs"</b>')

    assert f'href="{url}" hx-get="{url}"' in html
    assert "&lt;b&gt;&quot;palliatifs&quot;&lt;/b&gt;" in html and "<b>" not in html


def test_closed_badge_only_when_closed():
    assert closed_badge(False) == ""
    assert ">Fermée</span>" in closed_badge(True, "Fermée")
    assert ">Fermé</span>" in closed_badge(True)
