"""The portal's admin site: the référents' territory and the superusers' tools.

The référents' rights are their habilitations, never Django's permission tables: every ModelAdmin of the
project says who may use it (``ReferentsAdminMixin``, ``TerritoryAdmin``, the nomenclatures' and the login
journal's admins). An admin that leaves the decision to Django's permissions (``auth.Group``, DSFR's settings,
django-oauth-toolkit's tables, registered by their apps) is the active superusers' alone: a permission granted
by mistake opens nothing, and a référent's page no longer reads their (empty) permissions twice to hide them.
"""

from threading import Lock

from django.contrib import admin
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language


def is_active_superuser(user):
    return user.is_active and user.is_staff and user.is_superuser


def is_admin_user(user):
    return user.is_active and user.is_staff and (user.is_superuser or user.is_referent)


class SuperusersOnlyMixin:
    """Active superusers only; what the admin itself refuses (a read-only table) stays refused."""

    def has_module_permission(self, request):
        return is_active_superuser(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_active_superuser(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_active_superuser(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_active_superuser(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_active_superuser(request.user) and super().has_delete_permission(request, obj)


def decides_by_django_permissions(admin_class):
    return admin_class.has_module_permission is admin.ModelAdmin.has_module_permission


class PortalAdminSite(admin.AdminSite):
    site_header = "ROR – administration des référents"
    site_title = "ROR – administration"
    index_title = "Administration du territoire"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._app_dicts = {}  # _build_app_dict's
        self._app_dicts_lock = Lock()

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if decides_by_django_permissions(admin_class):
            namespace = {"__module__": admin_class.__module__}
            admin_class = type(admin_class.__name__, (SuperusersOnlyMixin, admin_class), namespace)
        super().register(model_or_iterable, admin_class, **options)

    # The app list (the index, the navigation sidebar of every admin page): what each model offers the user is
    # asked of its ModelAdmin on every request, as Django does; the dictionaries built from the answers (names,
    # about 30 URLs reversed, ≈ 1 ms a page) are kept per set of answers, which depends on the user's kind
    # (superuser, référent…), not on their territory.
    APP_DICTS_KEPT = 64

    def _build_app_dict(self, request, label=None):
        answers = []
        for model, model_admin in self._registry.items():
            if label and model._meta.app_label != label:
                continue
            shown = model_admin.has_module_permission(request)
            perms = model_admin.get_model_perms(request) if shown else {}
            answers.append((model, tuple(sorted(perms.items()))))
        key = (label, get_language(), get_script_prefix(), get_urlconf(), tuple(answers))
        app_dict = self._app_dicts.get(key)
        if app_dict is None:
            app_dict = super()._build_app_dict(request, label)
            with self._app_dicts_lock:
                if len(self._app_dicts) >= self.APP_DICTS_KEPT:
                    self._app_dicts.clear()
                self._app_dicts[key] = app_dict
        # A copy: get_app_list sorts the lists in place, and a caller may change what it receives.
        return {
            app_label: {**app, "models": [dict(entry, perms=dict(entry["perms"])) for entry in app["models"]]}
            for app_label, app in app_dict.items()
        }
