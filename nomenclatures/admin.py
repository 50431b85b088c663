from django.contrib import admin

from nomenclatures import cache, models
from ror_portal.admin_lists import BoundedChangeListMixin
from ror_portal.admin_site import is_admin_user


class NomenclatureListFilter(admin.RelatedFieldListFilter):
    """The filter of a foreign key to a nomenclature, its choices from ``nomenclatures.cache`` (in the table's
    order, by code) instead of a read of the table at every page of the changelist."""

    def field_choices(self, field, request, model_admin):
        if self.field_admin_ordering(field, request, model_admin) or field.get_limit_choices_to():
            return super().field_choices(field, request, model_admin)
        return [(code, str(row)) for code, row in cache.table(field.related_model).items()]


class ReadOnlyNomenclatureAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    """Nomenclatures come from the NOS files: référents read them, nobody edits them here."""

    list_display = ["code", "label", "in_ror"]
    list_filter = ["in_ror"]
    search_fields = ["code", "label"]

    def has_module_permission(self, request):
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.CategorieEtablissement)
class CategorieEtablissementAdmin(ReadOnlyNomenclatureAdmin):
    list_display = ["code", "label", "domaine", "in_ror"]
    list_filter = ["domaine", "in_ror"]


@admin.register(models.ChampActivite)
class ChampActiviteAdmin(ReadOnlyNomenclatureAdmin):
    list_display = ["code", "label_with_acronym", "in_ror"]


for model in (
    models.ActiviteOperationnelle,
    models.ModePriseEnCharge,
    models.TypeOffre,
    models.NiveauConfidentialite,
    models.FonctionContact,
    models.NatureContact,
    models.TypeOrganisationInterne,
    models.PublicPrisEnCharge,
    models.TemporaliteAccueil,
    models.TypeFermeture,
):
    admin.site.register(model, ReadOnlyNomenclatureAdmin)
