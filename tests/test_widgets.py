"""ror_portal.widgets.QuickSelect renders what Django's Select renders (compared element by element)."""

from html.parser import HTMLParser

import pytest
from django import forms

from ror_portal.widgets import QuickSelect
from structures import departements
from tests.structures.factories import EtablissementFactory


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, sorted(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def elements(html):
    parser = Elements()
    parser.feed(html)
    return parser.items


CHOICES = [("", "---------"), *departements.CHOICES, ("<b>", "<script>x</script>")]


@pytest.mark.parametrize("value", [None, "", "81", "2A", "<b>", "inconnu"])
def test_a_select_renders_as_django_renders_it(value):
    attrs = {"id": "id_departement", "required": True, "class": "vSelect"}
    quick = QuickSelect(choices=CHOICES).render("departement", value, attrs)
    django = forms.Select(choices=CHOICES).render("departement", value, attrs)

    assert elements(quick) == elements(django)
    assert "<script>" not in quick


def test_a_multiple_select_marks_every_chosen_value():
    class Multiple(QuickSelect):
        allow_multiple_selected = True

    quick = Multiple(choices=CHOICES).render("d", ["81", "2A"])

    assert elements(quick) == elements(forms.SelectMultiple(choices=CHOICES).render("d", ["81", "2A"]))
    assert quick.count(" selected") == 2


def test_grouped_choices_keep_djangos_rendering():
    grouped = [("Occitanie", [("31", "Haute-Garonne"), ("81", "Tarn")]), ("75", "Paris")]

    assert QuickSelect(choices=grouped).render("d", "81") == forms.Select(choices=grouped).render("d", "81")


@pytest.mark.django_db
def test_model_choices_are_rendered_by_their_value():
    etablissement = EtablissementFactory()
    field = forms.ModelChoiceField(queryset=type(etablissement).objects.filter(pk=etablissement.pk))

    quick = QuickSelect(choices=field.choices).render("eg", etablissement.pk)

    assert elements(quick) == elements(forms.Select(choices=field.choices).render("eg", etablissement.pk))
    assert f'value="{etablissement.pk}" selected' in quick


def test_the_habilitation_form_uses_it_for_the_role_and_the_departement():
    from accounts.admin import HabilitationForm

    form = HabilitationForm()

    assert isinstance(form.fields["role"].widget, QuickSelect)
    assert isinstance(form.fields["departement"].widget, QuickSelect)
