from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q

from accounts.models import Habilitation, User
from structures import departements
from structures.admin_scope import (
    TerritoryInlineMixin,
    administered_entites_juridiques,
    is_admin_user,
)
from structures.models import Structure


def referent_departements(user):
    return list(
        user.habilitations.filter(role=Habilitation.Role.REFERENT)
        .exclude(departement="")
        .values_list("departement", flat=True)
    )


class HabilitationInline(TerritoryInlineMixin, admin.TabularInline):
    model = Habilitation
    extra = 1
    fields = ["role", "etablissement", "entite_juridique", "departement"]
    autocomplete_fields = ["etablissement", "entite_juridique"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("etablissement", "entite_juridique")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(territory_q(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "etablissement":
            kwargs["queryset"] = Structure.objects.etablissements_administered_by(request.user)
        elif db_field.name == "entite_juridique":
            kwargs["queryset"] = administered_entites_juridiques(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "departement" and not request.user.is_superuser:
            allowed = set(referent_departements(request.user))
            kwargs["choices"] = [("", "---------")] + [c for c in departements.CHOICES if c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


def territory_q(user):
    """Habilitations that fall inside the référent's territory."""
    return (
        Q(etablissement__in=Structure.objects.etablissements_administered_by(user))
        | Q(entite_juridique__in=administered_entites_juridiques(user))
        | Q(departement__in=referent_departements(user))
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [HabilitationInline]
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "email")}),
        ("Accès", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        return [*self.readonly_fields, "is_superuser"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # A référent manages the accounts of their territory, and accounts without any habilitation yet.
        in_territory = Habilitation.objects.filter(territory_q(request.user)).values("user")
        return (
            queryset.filter(is_superuser=False)
            .filter(Q(pk__in=in_territory) | Q(habilitations__isnull=True))
            .distinct()
        )

    def has_module_permission(self, request):
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission
