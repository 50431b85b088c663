"""Who may use each admin of the site, as a matrix: account × every registered ModelAdmin × action.

The référents' rights are their habilitations: an admin registered by another app that decides with Django's
permission tables (groups, DSFR's settings, the OAuth tables) is the active superusers' alone, even for a
référent who was granted every Django permission.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from ror_portal.admin_site import SuperusersOnlyMixin
from tests.accounts.factories import HabilitationFactory, UserFactory

pytestmark = pytest.mark.django_db

THIRD_PARTY = {"auth.group", "dsfr.dsfrconfig", "oauth2_provider.application", "oauth2_provider.accesstoken",
               "oauth2_provider.grant", "oauth2_provider.idtoken", "oauth2_provider.refreshtoken"}  # fmt: skip


@pytest.fixture
def accounts(db):
    referent = UserFactory(username="site_referent", is_staff=True)
    HabilitationFactory(user=referent, referent=True, departement="81")
    granted = UserFactory(username="site_referent_perms", is_staff=True)
    HabilitationFactory(user=granted, referent=True, departement="81")
    granted.user_permissions.set(Permission.objects.all())  # every Django permission, by mistake
    return {
        "référent": referent,
        "référent with every Django permission": granted,
        "staff without habilitation": UserFactory(username="site_staff", is_staff=True),
        "inactive superuser": UserFactory(username="site_old", is_staff=True, is_superuser=True, is_active=False),
        "superuser": UserFactory(username="site_super", is_staff=True, is_superuser=True),
    }


def label(model):
    return model._meta.label_lower


def test_every_admin_of_another_app_is_made_superusers_only():
    registry = admin.site._registry
    assert {label(model) for model in registry} >= THIRD_PARTY
    for model, model_admin in registry.items():
        opened_by_the_project = not isinstance(model_admin, SuperusersOnlyMixin)
        assert opened_by_the_project == (label(model) not in THIRD_PARTY), label(model)
        if opened_by_the_project:
            # The project's own admins say who may use them: never Django's default.
            assert type(model_admin).has_module_permission is not admin.ModelAdmin.has_module_permission


@pytest.mark.parametrize("who", ["référent", "référent with every Django permission", "staff without habilitation",
                                 "inactive superuser", "superuser"])  # fmt: skip
def test_permission_matrix_of_the_superusers_only_admins(accounts, who):
    user = accounts[who]
    request = RequestFactory().get("/admin/")
    request.user = user
    superuser = who == "superuser"
    for model, model_admin in admin.site._registry.items():
        if label(model) not in THIRD_PARTY:
            continue
        base = type(model_admin).__mro__[2]  # the app's own admin class, under SuperusersOnlyMixin
        decisions = {
            "module": (model_admin.has_module_permission(request), True),
            "view": (model_admin.has_view_permission(request), True),
            "add": (model_admin.has_add_permission(request), base.has_add_permission(model_admin, request)),
            "change": (model_admin.has_change_permission(request), True),
            "delete": (model_admin.has_delete_permission(request), base.has_delete_permission(model_admin, request)),
        }
        for action, (decision, app_decision) in decisions.items():
            # A superuser gets what the app's admin gives (DOT's tokens cannot be deleted here); others nothing.
            assert decision is (superuser and app_decision), (who, label(model), action)


@pytest.mark.parametrize("who", ["référent", "référent with every Django permission", "superuser"])
def test_pages_of_the_superusers_only_admins(client, accounts, who):
    client.force_login(accounts[who])
    index = client.get(reverse("admin:index")).content.decode()
    for name in THIRD_PARTY:
        app_label, model_name = name.split(".")
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
        status = client.get(url).status_code
        if who == "superuser":
            assert status == 200 and url in index, name
        else:
            assert status == 403 and url not in index, (who, name)
    # The référents' own admins are still theirs.
    assert (reverse("admin:offers_offer_changelist") in index) is True


def test_a_referents_admin_page_reads_no_django_permission(client, accounts, django_assert_num_queries):
    client.force_login(accounts["référent"])
    client.get(reverse("admin:index"))
    with django_assert_num_queries(4) as captured:  # session, user, habilitations, the session's last-seen write
        client.get(reverse("admin:index"))
    assert not any("auth_permission" in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("who", ["référent", "référent with every Django permission", "staff without habilitation",
                                 "inactive superuser", "superuser"])  # fmt: skip
def test_the_kept_app_list_is_djangos_for_each_kind_of_account(accounts, who):
    """The app list is kept per set of the ModelAdmins' answers (PortalAdminSite._build_app_dict): the same as
    Django builds it, for every kind of account, whoever asked first; a copy each time."""
    request = RequestFactory().get("/admin/")
    request.user = accounts[who]
    django_built = admin.AdminSite._build_app_dict(admin.site, request)
    for kind in accounts.values():  # every other kind first: nothing leaks from one set of answers to another
        other = RequestFactory().get("/admin/")
        other.user = kind
        admin.site.get_app_list(other)
    assert admin.site._build_app_dict(request) == django_built
    assert admin.site.get_app_list(request) == admin.AdminSite.get_app_list(admin.site, request)
    first = admin.site._build_app_dict(request)
    for app in first.values():
        app["models"].clear()
    assert admin.site._build_app_dict(request) == django_built  # the caller's changes stay theirs
    app_label = next(iter(django_built), None)
    if app_label:
        only = admin.AdminSite._build_app_dict(admin.site, request, app_label)
        assert admin.site._build_app_dict(request, app_label) == only


def test_the_app_list_follows_a_change_of_rights(accounts):
    """A référent who loses their habilitations no longer sees the territory's admins in the list."""
    referent = accounts["référent"]
    request = RequestFactory().get("/admin/")
    request.user = referent
    assert "offers" in admin.site._build_app_dict(request)
    referent.habilitations.all().delete()
    request = RequestFactory().get("/admin/")
    request.user = type(referent).objects.get(pk=referent.pk)
    assert admin.site._build_app_dict(request) == admin.AdminSite._build_app_dict(admin.site, request)
    assert "offers" not in admin.site._build_app_dict(request)
