"""The changelists' rows (structures/templatetags/admin_rows.py) are the markup Django's ``items_for_result`` writes:
on every changelist of the site, for a superuser and a référent, sorted, filtered (the links keep the filters) and
in a popup; and on columns of every kind Django knows (methods, booleans, lambdas, dates, choices, no link)."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.template import Context, Engine, TemplateDoesNotExist
from django.test import RequestFactory
from django.urls import resolve, reverse

from offers.models import Contact, Offer
from structures.models import Structure
from structures.templatetags import admin_rows
from structures.templatetags.admin_rows import rows

pytestmark = pytest.mark.django_db

QUERIES = ["", "?o=-1", "?published__exact=1", "?q=a", "?_popup=1"]


def changelist(model_admin, user, query=""):
    opts = model_admin.model._meta
    path = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(path + query)
    request.user = user
    request.resolver_match = resolve(path)  # the filters the rows' links keep come from it
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as changelist_view sets it for a list that is not editable
    return cl


def markup(generated):
    return [[str(cell) for cell in row] for row in generated]


def assert_same_rows(cl):
    expected = markup(results(cl))
    assert markup(rows(cl)) == expected
    return expected


def every_changelist(user, queries):
    """The changelist of every ModelAdmin ``user`` may view, with each of ``queries`` the list accepts."""
    for model_admin in list(admin.site._registry.values()):
        if not model_admin.has_view_permission(_request(user)):
            continue
        for query in queries:
            try:
                yield changelist(model_admin, user, query)
            except admin.options.IncorrectLookupParameters:
                continue  # a filter or a popup this list does not have


@pytest.mark.parametrize("who", ["admin", "referent"])
def test_every_changelist_of_the_site_writes_djangos_rows(seed, demo_user, superuser, who):
    user = superuser if who == "admin" else demo_user("referent")
    written = sum(len(assert_same_rows(cl)) for cl in every_changelist(user, QUERIES))
    assert written > 500  # the seed's rows, not empty lists


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_a_filtered_list_links_its_rows_with_the_filters_kept(seed, superuser):
    cl = changelist(admin.site._registry[Offer], superuser, "?published__exact=1")
    first = str(rows(cl)[0][1])
    assert "_changelist_filters=published__exact%3D1" in first
    assert first == str(list(results(cl))[0][1])


class EveryKindOfColumn(admin.ModelAdmin):
    """Columns Django writes in different ways, on the structures' table."""

    list_display = [
        "action_checkbox", "id", "name", "kind", "entite_juridique", "opened_on", "closed_on", "categorie",
        "is_root", "created", lambda structure: structure.ville or "", "__str__", "code",
    ]  # fmt: skip
    list_display_links = ["name", "code"]
    empty_value_display = "(vide)"
    actions = ["delete_selected"]

    @admin.display(boolean=True)
    def is_root(self, structure):
        return None if structure.level > 1 else structure.level == 0

    @admin.display(empty_value="jamais")
    def created(self, structure):
        return datetime.date(2026, 1, 2) if structure.level == 0 else None


@pytest.mark.parametrize("links", [["name", "code"], None, ()])
def test_columns_of_every_kind_are_written_as_django_writes_them(seed, superuser, links):
    model_admin = EveryKindOfColumn(Structure, admin.site)
    model_admin.list_display_links = links
    first = Structure.objects.filter(level=1).order_by("pk").first()
    Structure.objects.filter(pk=first.pk).update(code="  ", closed_on=None)  # blank and empty values
    cl = changelist(model_admin, superuser, "?o=3")
    written = assert_same_rows(cl)
    assert written and any("(vide)" in cell for row in written for cell in row)


def test_a_changelist_page_shows_the_rows_written_here(client, seed, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:offers_contact_changelist")).content.decode()
    cl = changelist(admin.site._registry[Contact], superuser)
    for row in markup(results(cl)):
        assert "".join(row) in page.replace("\n", "")


# --- the filters ({% list_filter %}) ------------------------------------------------------------------------------

FILTER_QUERIES = [
    "",
    "?departement=81",
    "?kind__exact=UF",
    "?published__exact=1&q=a",
    "?champ_activite__code__exact=01",
]


def render_filters(cl, tag):
    engine = Engine.get_default()
    template = engine.from_string(
        "{% load admin_list admin_rows %}{% for spec in cl.filter_specs %}{% " + tag + " cl spec %}{% endfor %}"
    )
    return template.render(Context({"cl": cl}))


@pytest.mark.parametrize("who", ["admin", "referent"])
def test_every_changelist_of_the_site_writes_djangos_filters(seed, demo_user, superuser, who):
    user = superuser if who == "admin" else demo_user("referent")
    choices = 0
    for cl in every_changelist(user, FILTER_QUERIES):
        written = render_filters(cl, "list_filter")
        assert written == render_filters(cl, "admin_list_filter")
        choices += written.count("<li")
    assert choices > (300 if who == "admin" else 100)  # the départements' and the nomenclatures' filters


def test_a_filter_with_a_template_of_its_own_is_rendered_by_django(seed, superuser, monkeypatch):
    cl = changelist(admin.site._registry[Structure], superuser)
    spec = cl.filter_specs[0]
    monkeypatch.setattr(spec, "template", "admin/a_filter_of_its_own.html", raising=False)
    with pytest.raises(TemplateDoesNotExist):  # Django's tag, not the Python writing
        render_filters(cl, "list_filter")


def test_an_overridden_filter_template_is_rendered_not_written(seed, superuser, tmp_path, settings):
    """A project overriding admin/filter.html gets its template: the Python writing is for Django's own file."""
    assert admin_rows.is_djangos_filter_template(Engine.get_default())
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "filter.html").write_text("<p>filtre du projet : {{ title }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    assert not admin_rows.is_djangos_filter_template(Engine.get_default())

    cl = changelist(admin.site._registry[Structure], superuser)
    written = render_filters(cl, "list_filter")

    assert written.count("<p>filtre du projet") == len(cl.filter_specs) == 3


def test_a_changelist_page_shows_the_filters_written_here(client, seed, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:structures_structure_changelist") + "?departement=81").content.decode()
    cl = changelist(admin.site._registry[Structure], superuser, "?departement=81")
    assert render_filters(cl, "admin_list_filter") in page
    assert 'class="selected">\n    <a href="?departement=81"' in page
