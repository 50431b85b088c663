from django import forms
from django.contrib import admin
from django.db.models import F

from offers.models import Contact, Offer, Telecom
from offers.moves import MovePolicy
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


class OfferAdminForm(forms.ModelForm):
    """The admin's offer form: a stale version is refused, a new rattachement goes through the move rules."""

    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Offer
        fields = [
            "nom", "champ_activite", "structure", "modele_saisie", "unite_sensible", "type_offre",
            "mode_prise_en_charge", "activites", "age_min", "age_max", "closed_on",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version_seen"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        structure = cleaned.get("structure")
        if not self.instance.pk:
            if structure is not None:
                reason = MovePolicy(self.instance, self.user).placement_refusal(structure)
                if reason:
                    self.add_error("structure", reason)
            return cleaned
        current = Offer.objects.filter(pk=self.instance.pk).values_list("version", flat=True).get()
        if cleaned.get("version_seen") != current:
            raise forms.ValidationError(
                "Cette offre a été modifiée entre-temps : rechargez la page pour partir de la version publiée."
            )
        if structure is not None and "structure" in self.changed_data:
            reason = Offer.objects.get(pk=self.instance.pk).move_refusal_reason(self.user, structure)
            if reason:
                self.add_error("structure", reason)
        return cleaned


@admin.register(Offer)
class OfferAdmin(TerritoryAdmin):
    form = OfferAdminForm
    list_display = ["nom", "identifiant", "structure", "champ_activite", "unite_sensible", "updated_at"]
    list_select_related = ["structure"]
    list_nomenclatures = ["champ_activite"]
    list_filter = ["champ_activite", "unite_sensible"]
    search_fields = ["nom", "identifiant"]  # trigram indexes (offers/migrations/0005_trigram_indexes.py)
    ordering = ["nom", "pk"]  # offers_offer_nom_id_idx
    sortable_by = ["nom", "identifiant"]  # the indexed orders
    autocomplete_fields = ["structure", "activites", "type_offre", "mode_prise_en_charge"]
    readonly_fields = ["identifiant", "version", "created_at", "updated_at"]
    fields = [
        "nom", "champ_activite", "structure", "modele_saisie", "unite_sensible", "type_offre",
        "mode_prise_en_charge", "activites", "age_min", "age_max", "closed_on",
        "identifiant", "version", "created_at", "updated_at",
        "version_seen",  # hidden: the version the form was based on, sent back by the browser
    ]  # fmt: skip
    inlines = [ContactInline]

    def territory_queryset(self, request, queryset):
        return queryset.administered_by(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def get_object(self, request, object_id, from_field=None):
        """On a POST, lock the offer row for the whole request (the admin wraps it in a transaction):
        the version check of the form and the save cannot interleave with a publication."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            locked = Offer.objects.select_for_update(of=("self",)).filter(pk=obj.pk).values_list("pk", flat=True)
            return obj if locked.first() is not None else None  # deleted meanwhile: "n'existe pas"
        return obj

    def save_related(self, request, form, formsets, change):
        """After the offer and its contacts are saved: sensitive units restrict their contacts; a change bumps
        the version once and is written to the history (fields edited, contacts, move)."""
        super().save_related(request, form, formsets, change)
        offer = form.instance
        if offer.unite_sensible:
            offer.restrict_contacts()
        if not change:
            return
        changed = list(form.changed_data)
        if any(formset.has_changed() for formset in formsets):
            changed.append("contacts")
        if not changed:
            return
        Offer.objects.filter(pk=offer.pk).update(version=F("version") + 1)
        offer.refresh_from_db()
        offer.write_history(request.user, changed, Structure.objects.get(pk=form.initial["structure"]))


@admin.register(Contact)
class ContactAdmin(TerritoryAdmin):
    list_display = ["nom", "offer", "confidentialite"]
    list_select_related = ["offer"]
    list_nomenclatures = ["confidentialite"]
    search_fields = ["nom", "offer__nom"]  # trigram indexes
    ordering = ["nom", "pk"]  # offers_contact_nom_id_idx
    sortable_by = ["nom"]
    autocomplete_fields = ["offer"]
    inlines = [TelecomInline]

    def territory_queryset(self, request, queryset):
        return queryset.administered_by(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "offer":
            kwargs["queryset"] = Offer.objects.administered_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return False  # reached from an offer's contacts
