"""The portal's admin site: the référents' territory and the superusers' tools.

The référents' rights are their habilitations, never Django's permission tables: every ModelAdmin of the
project says who may use it (``ReferentsAdminMixin``, ``TerritoryAdmin``, the nomenclatures' and the login
journal's admins). An admin that leaves the decision to Django's permissions (``auth.Group``, DSFR's settings,
django-oauth-toolkit's tables, registered by their apps) is the active superusers' alone: a permission granted
by mistake opens nothing, and a référent's page no longer reads their (empty) permissions twice to hide them.
"""

from django.contrib import admin


def is_active_superuser(user):
    return user.is_active and user.is_staff and user.is_superuser


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

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if decides_by_django_permissions(admin_class):
            namespace = {"__module__": admin_class.__module__}
            admin_class = type(admin_class.__name__, (SuperusersOnlyMixin, admin_class), namespace)
        super().register(model_or_iterable, admin_class, **options)
