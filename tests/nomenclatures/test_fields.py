"""Nomenclature form fields: options and checks from the cache, the ROR's codes only, hostile codes refused."""

import pytest
from django import forms

from nomenclatures import cache
from nomenclatures.fields import NomenclatureChoiceField, NomenclatureMultipleChoiceField
from nomenclatures.models import ActiviteOperationnelle, ModePriseEnCharge

pytestmark = pytest.mark.django_db


class Form(forms.Form):
    mode = NomenclatureChoiceField(ModePriseEnCharge, empty_label="Sélectionnez")
    activites = NomenclatureMultipleChoiceField(ActiviteOperationnelle, required=False)


@pytest.fixture
def warm():
    cache.clear()
    cache.table(ModePriseEnCharge)
    cache.table(ActiviteOperationnelle)


def test_rendering_and_checking_read_no_table_once_the_cache_holds_it(warm, django_assert_num_queries):
    with django_assert_num_queries(0):
        form = Form({"mode": "32", "activites": ["354", "013", "013"]})
        assert form.is_valid()
        html = str(form["mode"]) + str(form["activites"])

    assert form.cleaned_data["mode"] == ModePriseEnCharge.objects.get(pk="32")
    assert [row.pk for row in form.cleaned_data["activites"]] == ["013", "354"]  # code order, once each
    assert '<option value="">Sélectionnez</option>' in html
    assert 'value="32" selected' in html


def test_only_the_ror_codes_are_offered_and_accepted(warm):
    outside = ModePriseEnCharge.objects.filter(in_ror=False).first() or ModePriseEnCharge.objects.create(
        code="ZZ", label="Hors ROR", in_ror=False
    )
    cache.clear()

    form = Form({"mode": outside.pk})

    assert outside.pk not in dict(form.fields["mode"].choices)
    assert not form.is_valid() and form.errors["mode"][0].startswith("Sélectionnez un choix valide")


@pytest.mark.parametrize("value", ["99999", "\x00", "٣٢", "3" * 10_000, " 32"])
def test_unknown_codes_are_invalid(warm, value):
    assert "mode" in Form({"mode": value}).errors


def test_a_thousand_unknown_codes_read_the_table_once_at_most(warm, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        form = Form({"mode": "32", "activites": [f"X{n}" for n in range(1000)]})
        assert "activites" in form.errors


def test_has_changed_compares_codes(warm):
    field = Form.base_fields["activites"]
    mode = Form.base_fields["mode"]
    row = ActiviteOperationnelle.objects.get(pk="013")

    assert not field.has_changed([row], ["013"]) and field.has_changed(["013"], ["013", "354"])
    assert not mode.has_changed("32", "32") and mode.has_changed(None, "32") and not mode.has_changed(None, "")
