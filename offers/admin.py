from django.contrib import admin
from django.db.models import F

from offers.models import Contact, Offer, Telecom
from structures.admin_scope import TerritoryAdmin, TerritoryInlineMixin
from structures.models import Structure


class ContactInline(TerritoryInlineMixin, admin.StackedInline):
    model = Contact
    extra = 0
    show_change_link = True  # telecoms are edited on the contact's own page
    fields = ["nom", "fonction", "nature", "description", "confidentialite"]


class TelecomInline(TerritoryInlineMixin, admin.TabularInline):
    model = Telecom
    extra = 0
    fields = ["canal", "valeur", "confidentialite"]


@admin.register(Offer)
class OfferAdmin(TerritoryAdmin):
    list_display = ["nom", "identifiant", "structure", "champ_activite", "unite_sensible", "updated_at"]
    list_select_related = ["structure", "champ_activite"]
    list_filter = ["champ_activite", "unite_sensible"]
    search_fields = ["nom", "identifiant"]
    autocomplete_fields = ["structure", "activites", "type_offre", "mode_prise_en_charge"]
    readonly_fields = ["identifiant", "version", "created_at", "updated_at"]
    fields = [
        "nom", "champ_activite", "structure", "modele_saisie", "unite_sensible", "type_offre",
        "mode_prise_en_charge", "activites", "age_min", "age_max", "closed_on",
        "identifiant", "version", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ContactInline]

    def territory_queryset(self, request, queryset):
        return queryset.filter(structure__in=Structure.objects.administered_by(request.user))

    def save_model(self, request, obj, form, change):
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])


@admin.register(Contact)
class ContactAdmin(TerritoryAdmin):
    list_display = ["nom", "offer", "confidentialite"]
    list_select_related = ["offer", "confidentialite"]
    search_fields = ["nom", "offer__nom"]
    autocomplete_fields = ["offer"]
    inlines = [TelecomInline]

    def territory_queryset(self, request, queryset):
        return queryset.filter(offer__structure__in=Structure.objects.administered_by(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "offer":
            kwargs["queryset"] = Offer.objects.filter(structure__in=Structure.objects.administered_by(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return False  # reached from an offer's contacts
