from django import forms
from django.contrib import admin
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.html import format_html

from ror_portal.converters import parse_id
from ror_portal.links import fixed_url
from structures import departements
from structures.admin_scope import TerritoryAdmin
from structures.finess import IMPORTED_FIELDS
from structures.models import EntiteJuridique, Structure, StructureEvent, field_label, referent_roles, shown_value

FINESS_READONLY = ["finess_et", *[name.removesuffix("_id") for name in IMPORTED_FIELDS]]


class LevelFilter(admin.SimpleListFilter):
    """Browse the tree one level at a time: roots (EG) first, then the children of a chosen node.

    The tree can hold hundreds of thousands of nodes: never list it whole, never load it into a widget.
    """

    title = "niveau de l'arborescence"
    parameter_name = "parent"

    def __init__(self, request, params, model, model_admin):
        self.model_admin = model_admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        choices = [("racines", "Établissements géographiques")]
        value = self.value()
        if parse_id(value):
            node = model_admin.get_queryset(request).filter(pk=parse_id(value)).only("name").first()
            if node is not None:
                choices.append((value, f"Sous-structures de « {node.name} »"))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            # A search looks through every level; otherwise start from the roots.
            return queryset if request.GET.get("q") else self.model_admin.territory_roots(request, queryset)
        if value == "racines":
            return self.model_admin.territory_roots(request, queryset)
        if parse_id(value):
            return queryset.filter(parent_id=parse_id(value))
        return queryset.none()


class DepartementFilter(admin.SimpleListFilter):
    """Départements from the reference list: no DISTINCT over the whole territory to build the choices."""

    title = "département"
    parameter_name = "departement"

    def lookups(self, request, model_admin):
        user = request.user
        if user.is_superuser:
            return departements.CHOICES
        codes = {row[3] for row in user.habilitation_rows if row[0] in referent_roles() and row[3]}
        if any(row[0] in referent_roles() and (row[1] or row[2]) for row in user.habilitation_rows):
            # Référent of some EG or EJ only: their départements come from those EG.
            administered = Structure.objects.etablissements_administered_by(user).exclude(departement__in=codes)
            codes |= set(administered.order_by().values_list("departement", flat=True).distinct())
        return [choice for choice in departements.CHOICES if choice[0] in codes]

    def queryset(self, request, queryset):
        return queryset.filter(departement=self.value()) if self.value() else queryset


class StructureAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # Validate the new position under the lock of the tree(s), held until the admin's transaction ends:
        # two crossing moves (A under B, B under A) are serialised, the second sees the first and is refused.
        Structure.lock_trees(self.instance, cleaned.get("parent"))
        return cleaned


@admin.register(Structure)
class StructureAdmin(TerritoryAdmin):
    form = StructureAdminForm
    # The tree's links first: the table is wider than a 1280 px screen and the last columns scroll away.
    list_display = [
        "name",
        "sub_structures",
        "offers_link",
        "kind",
        "finess_et",
        "categorie",
        "departement",
        "closed_on",
    ]
    list_filter = [LevelFilter, "kind", DepartementFilter]
    list_select_related = []
    list_nomenclatures = ["categorie"]
    search_fields = ["name", "finess_et"]  # trigram indexes (structures/migrations/0004_trigram_indexes.py)
    # The EG of a level are read in the order of their index (structures_eg_name_cover_idx), the pk making
    # the pages stable; no other column sorts 50,000 rows on a click.
    ordering = [Lower("name"), "pk"]
    sortable_by = []
    autocomplete_fields = ["parent"]

    def territory_queryset(self, request, queryset):
        return queryset.administered_by(request.user)

    def territory_roots(self, request, queryset):
        """The EG of the territory, by the index of EG names. The territory's condition on nodes (their tree is
        one of the territory's) is repeated on the EG's own columns (``etablissements_administered_by``: its
        département, its EJ, itself), which PostgreSQL reads as an index range in name order
        (structures_eg_dep_cover_idx for a département's référent) instead of walking the names of the 50,000 EG
        to find theirs."""
        return queryset.etablissements() & Structure.objects.etablissements_administered_by(request.user)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.is_etablissement:
            return ["kind", "name", *FINESS_READONLY, "opened_on", "closed_on"]
        return ["kind", "name", "parent", "identifiant_oi", "code", "opened_on", "closed_on"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "kind" in form.base_fields:
            # Établissements come from FINESS (manage.py import_finess); the admin adds internal structures.
            form.base_fields["kind"].choices = [
                choice for choice in form.base_fields["kind"].choices if choice[0] != Structure.Kind.ETABLISSEMENT
            ]
        return form

    @admin.display(description="sous-structures")
    def sub_structures(self, obj):
        count = (obj.rght - obj.lft - 1) // 2
        if not count:
            return "—"
        url = fixed_url("admin:structures_structure_changelist") + f"?parent={obj.pk}"
        return format_html('<a href="{}">Parcourir ({} au total)</a>', url, count)

    @admin.display(description="offres")
    def offers_link(self, obj):
        url = fixed_url("admin:offers_offer_changelist") + f"?structure__id__exact={obj.pk}"
        return format_html('<a href="{}">Offres rattachées</a>', url)

    def has_delete_permission(self, request, obj=None):
        # An EG comes from FINESS: closed there. An internal structure is closed in the portal, with what is below
        # it; only one created by mistake (nothing below it, referenced by nothing) may be deleted here.
        if obj is not None and obj.deletion_refusal():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # "Supprimer les structures sélectionnées" would skip the rule above, which is read one structure at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_etablissement:
            return ["kind", *FINESS_READONLY]
        # Moving or closing an internal structure takes what is below it along (offers included, each with its
        # history): the portal's "Déplacer la structure" and "Fermer la structure" do it.
        return ["kind", "parent", "closed_on"]

    HISTORY_FIELDS = ("name", "opened_on", "code", "identifiant_oi")

    def save_model(self, request, obj, form, change):
        """Saved under the EG's lock; an internal structure's addition or change is a row of its history."""
        changed = [name for name in form.changed_data if name in self.HISTORY_FIELDS] if change else []
        if changed:
            obj.version = F("version") + 1  # a portal form based on the version before is then refused as stale
        obj.save_in_tree()
        obj.refresh_from_db(fields=["version"])
        if obj.is_etablissement:
            return
        if not change:
            StructureEvent.objects.create(
                structure=obj, author=request.user, kind=StructureEvent.Kind.CREATE, to_label=obj.parent.name,
                version=obj.version,
            )  # fmt: skip
        elif changed:
            StructureEvent.objects.create(
                structure=obj,
                author=request.user,
                kind=StructureEvent.Kind.EDIT,
                changes=[
                    [field_label(name), shown_value(form.initial.get(name)), shown_value(getattr(obj, name))]
                    for name in changed
                ],
                version=obj.version,
            )


@admin.register(EntiteJuridique)
class EntiteJuridiqueAdmin(TerritoryAdmin):
    list_display = ["finess_ej", "raison_sociale", "siren"]
    search_fields = ["finess_ej", "raison_sociale"]  # trigram indexes
    sortable_by = ["finess_ej"]  # unique, indexed: the default order
    readonly_fields = ["finess_ej"]

    def territory_queryset(self, request, queryset):
        # An EJ with EG in several territories is shown to each of their référents, read-only unless it lies
        # entirely inside the territory (``has_change_permission``).
        return queryset.touching_territory_of(request.user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_habilitation_autocomplete(request):
            # An EJ habilitation covers all the EJ's EG: offer only the EJ the référent may grant.
            queryset = queryset & EntiteJuridique.objects.administered_by(request.user)
        return queryset, may_have_duplicates

    def has_add_permission(self, request):
        return False  # entités juridiques come from FINESS

    def has_delete_permission(self, request, obj=None):
        return False  # closed in FINESS, never deleted here


def is_habilitation_autocomplete(request):
    return (
        request.resolver_match is not None
        and request.resolver_match.url_name == "autocomplete"
        and request.GET.get("app_label") == "accounts"
        and request.GET.get("model_name") == "habilitation"
    )
