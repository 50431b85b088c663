"""The API's client systems in the référents' admin: a référent creates and changes clients limited to départements
of their territory; only a superuser creates a national client. The secret is shown once, at creation."""

from django import forms
from django.contrib import admin, messages

from fhir_api.clients import create_client
from fhir_api.models import ApiCall, ApiClient
from ror_portal.admin_site import is_admin_user
from structures import departements
from structures.admin_scope import ReferentsAdminMixin
from structures.models import habilitation_sets, referent_roles


def territory_of(user):
    """The départements a référent may give a client (every one for a superuser)."""
    if user.is_superuser:
        return set(departements.DEPARTEMENTS)
    return habilitation_sets(user, referent_roles())[2]


class ApiClientForm(forms.ModelForm):
    nom = forms.CharField(label="Nom du système client", max_length=255)
    departements = forms.MultipleChoiceField(
        label="Départements",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ceux que le client peut lire. Aucun : tout le territoire national (administrateurs nationaux).",
    )

    class Meta:
        model = ApiClient
        fields = ["niveau", "departements"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = territory_of(user)
        self.fields["departements"].choices = [choice for choice in departements.CHOICES if choice[0] in allowed]
        if self.instance.pk:
            self.fields["nom"].initial = self.instance.application.name

    def clean_departements(self):
        chosen = sorted(self.cleaned_data["departements"])
        if not chosen and not self.user.is_superuser:
            raise forms.ValidationError("Choisissez au moins un département de votre territoire.")
        return chosen


@admin.register(ApiClient)
class ApiClientAdmin(ReferentsAdminMixin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["__str__", "niveau", "territoire", "client_id", "created_by", "created_at"]
    fields = ["nom", "niveau", "departements"]

    @admin.display(description="territoire")
    def territoire(self, obj):
        return ", ".join(obj.departements) or "national"

    @admin.display(description="client_id")
    def client_id(self, obj):
        return obj.application.client_id

    def get_queryset(self, request):
        clients = super().get_queryset(request).select_related("application", "created_by")
        if request.user.is_superuser:
            return clients
        allowed = territory_of(request.user)
        # A client lies in the territory when every one of its départements does (a national one never does).
        rows = ApiClient.objects.values_list("pk", "departements")
        inside = [pk for pk, codes in rows if codes and set(codes) <= allowed]
        return clients.filter(pk__in=inside)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=request.user, **kwargs)

        return WithUser

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            obj.application.name = form.cleaned_data["nom"]
            obj.application.save(update_fields=["name"])
            obj.save()
            return
        client, client_id, secret = create_client(
            form.cleaned_data["nom"], obj.niveau, obj.departements, created_by=request.user
        )
        obj.pk, obj.application, obj.created_by = client.pk, client.application, request.user
        obj._state.adding = False
        messages.warning(
            request,
            f"Client créé. client_id : {client_id} — client_secret : {secret} — notez le secret maintenant : il "
            "n'est plus affiché ensuite (il est conservé haché).",
        )

    def delete_model(self, request, obj):
        obj.application.delete()  # the client, its tokens and its rows go with it


@admin.register(ApiCall)
class ApiCallAdmin(ReferentsAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "client", "method", "path", "query", "status", "count", "duration_ms"]
    list_filter = ["status"]
    list_select_related = ["client__application"]
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
