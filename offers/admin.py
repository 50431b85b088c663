from django import forms
from django.contrib import admin
from django.db import transaction

from nomenclatures.admin import NomenclatureListFilter
from offers.forms import ContactForm, TelecomForm, publishable_fields
from offers.models import Contact, ModeleSaisie, Offer, PartEdits, Telecom
from offers.moves import MovePolicy
from ror_portal.admin_lists import BoundedChangeListMixin
from structures.admin_scope import ReferentsAdminMixin, TerritoryAdmin, TerritoryInlineMixin


class ContactInline(TerritoryInlineMixin, admin.StackedInline):
    model = Contact
    form = ContactForm
    extra = 0
    show_change_link = True  # telecoms are edited on the contact's own page
    fields = ContactForm._meta.fields


class TelecomInline(TerritoryInlineMixin, admin.TabularInline):
    model = Telecom
    form = TelecomForm
    extra = 0
    fields = TelecomForm._meta.fields


class OfferAdminForm(forms.ModelForm):
    """The admin's offer form: a stale version is refused, a new rattachement goes through the move rules."""

    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Offer
        fields = [
            "nom", "champ_activite", "structure", "modele_saisie", "unite_sensible", "type_offre",
            "mode_prise_en_charge", "activites", "temporalite_accueil", "publics", "age_min", "age_max", "closed_on",
            "closing_type", "reopening_on",
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
                policy = MovePolicy(self.instance, self.user)
                reason = policy.creation_refusal(structure)
                if reason:
                    self.add_error("structure", reason)
                modele, champ = cleaned.get("modele_saisie"), cleaned.get("champ_activite")
                categorie = policy.etablissement(structure.tree_id).categorie
                valid = ModeleSaisie.objects.valid_for(categorie, champ).filter(identifiant=modele)
                if modele and champ and not valid.exists():
                    self.add_error(
                        "modele_saisie",
                        f"Le modèle de saisie « {modele} » n'existe pas ou ne s'applique pas à la catégorie "
                        f"{categorie} et au champ d'activité « {champ} ».",
                    )
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
    list_display = [
        "nom", "identifiant", "structure", "champ_activite", "unite_sensible", "published", "closed_on", "updated_at",
    ]  # fmt: skip
    list_select_related = ["structure"]
    list_nomenclatures = ["champ_activite"]
    list_filter = [("champ_activite", NomenclatureListFilter), "unite_sensible", "published"]
    search_fields = ["nom", "identifiant"]  # trigram indexes (offers/migrations/0005_trigram_indexes.py)
    ordering = ["nom", "pk"]  # offers_offer_nom_id_idx
    sortable_by = ["nom", "identifiant"]  # the indexed orders
    autocomplete_fields = ["structure", "activites", "type_offre", "mode_prise_en_charge"]
    readonly_fields = ["identifiant", "version", "created_at", "updated_at"]
    fields = [
        "nom", "champ_activite", "structure", "modele_saisie", "unite_sensible", "type_offre",
        "mode_prise_en_charge", "activites", "temporalite_accueil", "publics", "age_min", "age_max", "closed_on",
        "closing_type", "reopening_on", "identifiant", "version", "created_at", "updated_at",
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

    # An offer created as a draft in the portal and never published is changed there (its creation page).

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.published)

    def get_readonly_fields(self, request, obj=None):
        # The modèle de saisie is chosen when the offer is created, then kept.
        return [*self.readonly_fields, "modele_saisie"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        # A change is published in save_related, with the many-to-many fields and the contacts.

    def save_related(self, request, form, formsets, change):
        """A new offer: saved as Django does, its contacts restricted if it is sensitive. A change: published by
        ``Offer.publish`` (version, rules, contact restriction, history), the contacts' formset included."""
        if not change:
            super().save_related(request, form, formsets, change)
            form.instance.after_write(request.user, [], first_publication=True)  # as Offer.create ends
            return
        fields = publishable_fields()
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in fields}
        for formset in formsets:
            if formset.model is Contact:
                changes["contacts"] = PartEdits.from_formset(formset)
        form.instance.publish(request.user, changes, base_version=form.cleaned_data.get("version_seen"))


class ContactAdminForm(ContactForm):
    """A contact's own page (its télécoms inline): the offer is chosen when the contact is added, then kept; a
    contact changed meanwhile (its offer published since the page was opened) is refused."""

    offer_version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta(ContactForm.Meta):
        fields = ["offer", *ContactForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["offer_version_seen"] = self.instance.offer.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Offer.objects.filter(pk=self.instance.offer_id).values_list("version", flat=True).first()
            if cleaned.get("offer_version_seen") != current:
                raise forms.ValidationError(
                    "L'offre de ce contact a été modifiée entre-temps : rechargez la page pour partir de la "
                    "version publiée."
                )
        return cleaned


@admin.register(Contact)
class ContactAdmin(TerritoryAdmin):
    form = ContactAdminForm
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

    def get_fields(self, request, obj=None):
        return [*ContactAdminForm.Meta.fields, "offer_version_seen"]

    def get_readonly_fields(self, request, obj=None):
        return ["offer"] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.offer.published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.offer.published)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "offer":
            kwargs["queryset"] = Offer.objects.administered_by(request.user).published()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return False  # reached from an offer's contacts

    # Every change of a contact or of its télécoms is a publication of its offer (Offer.publish).

    def save_model(self, request, obj, form, change):
        pass  # published in save_related, with the télécoms

    def save_related(self, request, form, formsets, change):
        contact = form.instance
        changed = [name for name in form.changed_data if name in ContactForm.Meta.fields]
        edits = PartEdits(changed=[(contact, changed)] if changed else []) if change else PartEdits(added=[contact])
        changes = {"contacts": edits}
        for formset in formsets:
            if formset.model is Telecom:
                changes["telecoms"] = PartEdits.from_formset(formset)
        base = form.cleaned_data.get("offer_version_seen") if change else None
        Offer.objects.get(pk=contact.offer_id).publish(request.user, changes, base_version=base)

    def delete_model(self, request, obj):
        Offer.objects.get(pk=obj.offer_id).publish(request.user, {"contacts": PartEdits(removed=[obj])})

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            contacts = list(queryset.select_related("offer").order_by("offer_id", "pk"))
            for offer_id in dict.fromkeys(contact.offer_id for contact in contacts):
                removed = [contact for contact in contacts if contact.offer_id == offer_id]
                Offer.objects.get(pk=offer_id).publish(request.user, {"contacts": PartEdits(removed=removed)})


@admin.register(ModeleSaisie)
class ModeleSaisieAdmin(ReferentsAdminMixin, BoundedChangeListMixin, admin.ModelAdmin):
    """The modèles de saisie offered when an offer is created: national reference data that référents keep up
    to date. A modèle is withdrawn ("Proposé à la création" unchecked), never deleted: offers keep its
    identifiant."""

    list_display = ["identifiant", "libelle", "actif"]
    list_filter = ["actif", ("champs", NomenclatureListFilter)]
    search_fields = ["identifiant", "libelle"]
    fields = ["identifiant", "libelle", "champs", "categories", "actif"]
    autocomplete_fields = ["categories"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            return super().formfield_for_manytomany(db_field, request, **kwargs)  # autocomplete: 180 catégories
        kwargs["widget"] = forms.CheckboxSelectMultiple
        return db_field.formfield(**kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["identifiant"] if obj is not None else []  # what offers keep

    def has_delete_permission(self, request, obj=None):
        return False
