"""The admin's navigation sidebar kept per app list and current page (structures/templatetags/admin_layout.py) is
the markup Django's admin/nav_sidebar.html renders: on every admin page of the site, for every kind of account,
and again after a change of rights."""

import pytest
from django.contrib import admin
from django.template import Context, Engine
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Habilitation, User
from structures.models import Structure
from structures.templatetags import admin_layout

pytestmark = pytest.mark.django_db

KEPT = "{% load admin_layout %}{% nav_sidebar %}"
DJANGOS = '{% include "admin/nav_sidebar.html" %}'


def admin_paths():
    paths = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    paths.append(reverse("admin:structures_structure_change", args=[Structure.objects.first().pk]))
    paths.append(reverse("admin:app_list", args=["offers"]))
    return paths


def sidebar(source, user, path):
    request = RequestFactory().get(path)
    request.user = user
    context = Context({**admin.site.each_context(request), "request": request})
    return Engine.get_default().from_string(source).render(context)


@pytest.mark.parametrize("who", ["superuser", "referent", "gestionnaire", "regulateur"])
def test_the_kept_sidebar_is_djangos_on_every_admin_page(seed, demo_user, superuser, who):
    user = superuser if who == "superuser" else demo_user(who)
    current = 0
    for path in admin_paths():
        expected = sidebar(DJANGOS, user, path)
        assert sidebar(KEPT, user, path) == expected, path
        assert sidebar(KEPT, user, path) == expected, path  # kept
        current += "current-model" in expected
    assert current > (10 if who in ("superuser", "referent") else -1)


def test_a_change_of_rights_shows_in_the_sidebar(seed, demo_user):
    referent = demo_user("referent")
    path = reverse("admin:offers_offer_changelist")
    before = sidebar(KEPT, referent, path)
    assert "Offres" in before

    Habilitation.objects.filter(user=referent).delete()
    referent = User.objects.get(pk=referent.pk)  # its habilitations read again

    after = sidebar(KEPT, referent, path)
    assert after == sidebar(DJANGOS, referent, path)
    assert after != before


def test_the_sidebar_is_rendered_once_per_key(seed, superuser, monkeypatch):
    monkeypatch.setattr(admin_layout, "_sidebars", {})
    path = reverse("admin:offers_offer_changelist")
    sidebar(KEPT, superuser, path)
    renders = []
    engine = Engine.get_default()
    original = engine.get_template
    monkeypatch.setattr(engine, "get_template", lambda name: renders.append(name) or original(name))

    sidebar(KEPT, superuser, path)
    sidebar(KEPT, superuser, path + "?q=x")  # the same path: the same sidebar
    assert renders == []
    sidebar(KEPT, superuser, reverse("admin:structures_structure_changelist"))  # another current model
    assert renders[0] == admin_layout.SIDEBAR_TEMPLATE


def test_an_admin_page_shows_the_sidebar_with_its_current_model(client, seed, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:offers_offer_changelist")).content.decode()
    assert sidebar(DJANGOS, superuser, reverse("admin:offers_offer_changelist")) in page
    assert '<tr class="model-offer current-model">' in page
