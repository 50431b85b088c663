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


@pytest.mark.django_db
def test_the_table_rows_escape_every_value_and_link_each_row():
    from offers.models import Offer
    from structures.templatetags.portal_rows import etablissement_rows, structure_rows
    from tests.offers.factories import OfferFactory
    from tests.structures.factories import StructureFactory

    eg = EtablissementFactory(name="<script>EG</script>", ville="Albi & Co", departement="81", categorie_id="355")
    eg.offer_count, eg.finalised_share = 3, "40 %"
    uf = StructureFactory(parent=eg, name='UF "<i>"')
    offer = OfferFactory(structure=uf, nom="O'<b>ffre</b>", published=False)
    offer = Offer.objects.get(pk=offer.pk)

    eg_html = etablissement_rows([eg])
    structure_html = structure_rows([uf], [offer], closed_above=True)

    assert "<script>" not in eg_html and "&lt;script&gt;EG&lt;/script&gt;" in eg_html
    assert "Albi &amp; Co (81)" in eg_html and "<td>3</td><td>40 %</td>" in eg_html
    assert details_link("structure_detail", eg.pk, eg.name) in eg_html
    assert "<i>" not in structure_html and "<b>" not in structure_html
    assert details_link("structure_detail", uf.pk, uf.name) in structure_html
    assert details_link("offer_detail", offer.pk, offer.nom) in structure_html
    assert structure_html.count(closed_badge(True, "Fermée")) == 2  # closed above: both rows
    assert ">Brouillon</span>" in structure_html and "fr-badge--new" in structure_html


def test_the_layout_assets_are_the_dsfr_and_htmx_tags_output():
    from django.template import engines

    from structures.templatetags.portal_layout import ASSETS, layout_assets, url_for

    for part, source in ASSETS.items():
        assert layout_assets(part) == engines["django"].from_string(source).render()
    assert 'rel="stylesheet"' in layout_assets("head") and "<script" in layout_assets("scripts")
    assert url_for("home") == reverse("home") and url_for("admin:index") == reverse("admin:index")
