"""ror_portal.renderers.PortalFormRenderer writes byte for byte what Django's templates write, and leaves to
them what it does not write (overridden templates, values it cannot format as the template does)."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AdminTextInputWidget
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.forms.utils import ErrorDict, ErrorList
from django.utils.functional import lazy
from django.utils.safestring import mark_safe

from ror_portal.renderers import DJANGO_TEMPLATES, INPUT_TEMPLATES, PortalFormRenderer

DJANGO = DjangoTemplates()
lazy_text = lazy(lambda: "texte « paresseux » <i>", str)

HOSTILE_VALUES = [
    None,
    "",
    "simple",
    "guillemets \" et ' apostrophes",
    "<script>alert(1)</script> & co",
    mark_safe("<b>sûr</b>"),
    "١٢٣ chiffres arabes",
    "nul\x00octet",
    "invisible\u200b\u2066",
    lazy_text(),
]
ATTRS = [
    {},
    {"id": "id_champ", "class": "vTextField", "maxlength": 150, "required": True, "disabled": False},
    {"data-x": 'a"b<c>', "autofocus": True, "placeholder": mark_safe("<em>x</em>"), "size": Decimal("1.50")},
    {"aria-label": lazy_text(), "tabindex": 0, "step": 0.5, "min": None, "data-tuple": ("a", "b")},
    {"data-callable": lambda: "appelé"},
]
WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.URLInput,
    forms.NumberInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.FileInput,
    AdminTextInputWidget,
    AdminDateWidget,
]


def test_the_portal_renders_forms_with_it():
    assert isinstance(get_default_renderer(), PortalFormRenderer)


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=[f"valeur{i}" for i in range(len(HOSTILE_VALUES))])
@pytest.mark.parametrize("attrs", ATTRS, ids=[f"attributs{i}" for i in range(len(ATTRS))])
def test_an_input_is_written_as_djangos_template_writes_it(widget_class, value, attrs):
    widget = widget_class(attrs={"class": "de-base"})
    portal = widget.render("nom", value, attrs, renderer=PortalFormRenderer())
    django = widget.render("nom", value, attrs, renderer=DJANGO)
    assert portal == django


@pytest.mark.parametrize(
    "value", [0, 12, Decimal("3.14"), datetime.date(2026, 12, 7), True, False, ["a", "b"], ("a", "b")], ids=str
)
def test_values_that_are_not_text_are_written_as_the_template_writes_them(value):
    renderer = PortalFormRenderer()
    context = {"widget": {"type": "text", "name": "n", "value": value, "attrs": {"id": "x"}}}
    assert renderer.render("django/forms/widgets/text.html", context) == DJANGO.render(
        "django/forms/widgets/text.html", context
    )


@pytest.mark.parametrize("template_name", sorted(INPUT_TEMPLATES))
def test_every_input_template_is_written_as_django_writes_it(template_name):
    context = {"widget": {"type": "x", "name": 'a"b', "value": "<v>", "attrs": {"id": "i", "required": True}}}
    assert PortalFormRenderer().render(template_name, context) == DJANGO.render(template_name, context)


ERROR_LISTS = {
    "empty list": lambda r: ErrorList(renderer=r),
    "one error": lambda r: ErrorList(["Ce champ est obligatoire."], renderer=r),
    "escaped and safe": lambda r: ErrorList(
        ["<b>un</b>", mark_safe("<i>deux</i>")], error_class="nonfield", renderer=r
    ),
    "empty, of a field": lambda r: ErrorList([], field_id="id_nom", renderer=r),
    "of a field": lambda r: ErrorList(["erreur"], field_id="id_nom", renderer=r),
    "empty dict": lambda r: ErrorDict(renderer=r),
    "dict": lambda r: ErrorDict({"nom": ErrorList(["Ce champ est obligatoire."], renderer=r)}, renderer=r),
}


@pytest.mark.parametrize("case", list(ERROR_LISTS))
@pytest.mark.parametrize("form", ["__str__", "as_ul", "as_text"])
def test_error_lists_are_written_as_django_writes_them(case, form):
    portal, django = ERROR_LISTS[case](PortalFormRenderer()), ERROR_LISTS[case](DJANGO)
    assert getattr(portal, form)() == getattr(django, form)()


def test_a_whole_admin_form_is_written_as_django_writes_it():
    """A bound form with errors, hidden fields and every kind of input, rendered through its own templates."""

    class Everything(forms.Form):
        nom = forms.CharField(max_length=20, help_text="<aide>")
        courriel = forms.EmailField(required=False)
        nombre = forms.IntegerField(min_value=0)
        actif = forms.BooleanField(required=False)
        jour = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        cache = forms.CharField(widget=forms.HiddenInput, required=False)
        secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)

    data = {"nom": "x" * 30, "courriel": "pas-un-courriel", "nombre": "-1", "actif": "on", "cache": '"<>"'}
    portal = Everything(data, renderer=PortalFormRenderer())
    django = Everything(data, renderer=DJANGO)
    assert not portal.is_valid() and not django.is_valid()
    assert str(portal) == str(django)
    assert portal.as_p() == django.as_p()
    assert portal.as_table() == django.as_table()
    assert str(Everything(renderer=PortalFormRenderer())) == str(Everything(renderer=DJANGO))


def test_an_overridden_template_is_rendered_not_written(tmp_path):
    """An app or a project overriding Django's input template gets its template: no Python path then."""
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "input.html").write_text('<input data-override="oui" name="{{ widget.name }}">')

    class Overridden(PortalFormRenderer):
        @property
        def engine(self):
            engine = self.__dict__.get("_engine")
            if engine is None:
                engine = self.__dict__["_engine"] = self.backend(
                    {"APP_DIRS": True, "DIRS": [tmp_path, DJANGO_TEMPLATES], "NAME": "djangoforms-test", "OPTIONS": {}}
                )
            return engine

    renderer = Overridden()
    html = forms.TextInput().render("nom", "valeur", renderer=renderer)
    assert html == '<input data-override="oui" name="nom">'
    assert "<ul" in str(ErrorList(["erreur"], renderer=renderer))  # the others keep their Python path
    assert str(ErrorList([], renderer=renderer)) == ""
