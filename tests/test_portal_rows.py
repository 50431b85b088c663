"""The table rows' tags give the markup of a reverse() and escape what they show."""

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse, set_script_prefix

from nomenclatures.models import CategorieEtablissement
from ror_portal.links import fixed_url, object_url
from structures.models import Structure
from structures.templatetags.portal_rows import closed_badge, details_link
from tests.structures.factories import EtablissementFactory


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


def test_fixed_url_is_reverse_for_every_script_prefix():
    assert fixed_url("admin:offers_offer_changelist") == reverse("admin:offers_offer_changelist")
    set_script_prefix("/portail/")
    try:
        assert fixed_url("admin:offers_offer_changelist") == reverse("admin:offers_offer_changelist")
        assert fixed_url("admin:offers_offer_changelist").startswith("/portail/")
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Structure, CategorieEtablissement])  # an integer key, a nomenclature's code
def test_each_changelist_row_links_to_its_change_page(client, superuser, model):
    EtablissementFactory(name="Lien de ligne")
    client.force_login(superuser)
    opts = model._meta

    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    changelist = response.context["cl"]
    assert changelist.result_list
    for row in changelist.result_list:
        expected = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(row.pk)])
        assert changelist.url_for_result(row) == expected
        assert f'href="{expected}"' in response.content.decode()
