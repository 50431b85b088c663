"""What the Django admin shows a référent ROR: their territory, nothing else."""

from django.contrib import admin

from structures.models import EntiteJuridique, Structure


def is_admin_user(user):
    return user.is_active and user.is_staff and (user.is_superuser or user.is_referent)


class TerritoryAdmin(admin.ModelAdmin):
    """Base admin for rows that belong to a territory.

    ``territory_queryset`` narrows the changelist, the change views (an object outside is a 404) and the
    choices of every foreign key to a structure or an entité juridique, forged POSTs included.
    """

    def territory_queryset(self, request, queryset):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.territory_queryset(request, super().get_queryset(request))

    def has_module_permission(self, request):
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request):
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Structure:
            kwargs["queryset"] = Structure.objects.administered_by(request.user)
        elif db_field.related_model is EntiteJuridique:
            kwargs["queryset"] = administered_entites_juridiques(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def administered_entites_juridiques(user):
    if user.is_superuser:
        return EntiteJuridique.objects.all()
    return EntiteJuridique.objects.filter(
        pk__in=Structure.objects.etablissements_administered_by(user).values("entite_juridique")
    )


class TerritoryInlineMixin:
    """Inlines of a territory admin: the parent admin already narrowed the rows, référents may edit them."""

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user)
