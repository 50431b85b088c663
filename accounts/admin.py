from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.utils.functional import cached_property

from accounts.models import Habilitation, User, referent_departements
from ror_portal.admin_lists import BoundedChangeListMixin
from ror_portal.admin_site import is_admin_user
from ror_portal.compiled import CompiledQuery, Param
from ror_portal.widgets import QuickSelect
from structures import departements
from structures.admin_scope import (
    ReferentsAdminMixin,
    TerritoryDeletionMixin,
    TerritoryInlineMixin,
    cached_per_request,
)
from structures.models import EntiteJuridique, Structure


class HabilitationForm(forms.ModelForm):
    """A habilitation granted in the admin: refused unless everything it covers lies in the granter's territory."""

    granter = None  # set per request by HabilitationInline.get_formset

    class Meta:
        model = Habilitation
        fields = ["role", "etablissement", "entite_juridique", "departement"]
        # Each form of the formset lists up to 101 départements.
        widgets = {"role": QuickSelect, "departement": QuickSelect}
        error_messages = {
            "etablissement": {"invalid_choice": "Cet établissement n'existe pas ou n'est pas dans votre territoire."},
            "entite_juridique": {
                "invalid_choice": "Cette entité juridique n'existe pas ou n'est pas dans votre territoire."
            },
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors or not self.has_changed():
            return cleaned
        candidate = Habilitation(
            role=cleaned.get("role"),
            etablissement=cleaned.get("etablissement"),
            entite_juridique=cleaned.get("entite_juridique"),
            departement=cleaned.get("departement") or "",
        )
        reason = candidate.grant_refusal(self.granter)
        if reason:
            raise forms.ValidationError(reason)
        return cleaned


class HabilitationInline(TerritoryInlineMixin, admin.TabularInline):
    model = Habilitation
    form = HabilitationForm
    extra = 1
    fields = ["role", "etablissement", "entite_juridique", "departement"]
    autocomplete_fields = ["etablissement", "entite_juridique"]

    def get_queryset(self, request):
        # Habilitations covering part of the territory; an account with any other is read-only (UserAdmin).
        return (
            super()
            .get_queryset(request)
            .touching_territory_of(request.user)
            .select_related("etablissement", "entite_juridique")
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type("HabilitationForm", (formset.form,), {"granter": request.user})
        # Django builds the inline's empty form anew each time the page asks for it (four times: the media, the
        # template's row to copy, the JavaScript's data): one per request.
        return type(formset.__name__, (formset,), {"empty_form": cached_property(BaseFormSet.empty_form.fget)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # What the référent may see; ``grant_refusal`` then says why a shared EJ may not be granted.
        if db_field.name == "etablissement":
            kwargs["queryset"] = Structure.objects.etablissements_administered_by(request.user)
        elif db_field.name == "entite_juridique":
            kwargs["queryset"] = EntiteJuridique.objects.touching_territory_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "departement" and not request.user.is_superuser:
            allowed = set(referent_departements(request.user))
            kwargs["choices"] = [("", "---------")] + [c for c in departements.CHOICES if c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


# The account of the admin's change page and whether the référent may change it (``UserAdmin.get_object``).
ACCOUNT_PAGE = CompiledQuery(lambda user: User.objects.visible_with_administered(user).filter(pk=Param("pk"))[:1])


@admin.register(User)
class UserAdmin(ReferentsAdminMixin, BoundedChangeListMixin, TerritoryDeletionMixin, DjangoUserAdmin):
    """Accounts: a référent sees those with a habilitation in their territory, and manages (password,
    activation, deletion, habilitations) only those lying entirely inside it (``User.objects.administered_by``)."""

    inlines = [HabilitationInline]
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    # Django's UserAdmin also filters by superuser and by group: groups are not the portal's (superusers' only,
    # ror_portal.admin_site), and listing them read the groups' table on every page.
    list_filter = ["is_staff", "is_active"]
    sortable_by = ["username"]  # unique, indexed: the default order (searches use trigram indexes)
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
        return super().get_queryset(request).visible_in_admin_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        """Django's, reading with the account whether the référent may change it (``is_administered``)."""
        field = User._meta.pk if from_field is None else User._meta.get_field(from_field)
        try:
            value = field.to_python(object_id)
            field.run_validators(value)
        except (ValidationError, ValueError, TypeError):
            return None
        if from_field is None:
            # get_queryset's accounts: visible_with_administered applies visible_in_admin_to itself (twice, it
            # cost ≈ 2.5 ms of ORM building per page for a référent); compiled once per référent.
            obj = ACCOUNT_PAGE.first(request.user, pk=value)
        else:
            obj = User.objects.visible_with_administered(request.user).filter(**{field.name: value}).first()
        if obj is None:
            return None
        cached_per_request(request, ("administered", User, obj.pk), lambda: obj.administered)  # primes it
        return obj

    def is_administered(self, request, obj):
        return cached_per_request(
            request,
            ("administered", User, obj.pk),
            lambda: User.objects.administered_by(request.user).filter(pk=obj.pk).exists(),
        )

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user) and (obj is None or self.is_administered(request, obj))

    has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user  # the référent who created an account manages it until it has habilitations
        if not request.user.is_superuser:
            obj.is_superuser = False
        super().save_model(request, obj, form, change)
