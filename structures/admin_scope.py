"""What the Django admin shows a référent ROR: their territory, nothing else.

Two sets per model, each a queryset method of the model:
- what a référent *sees* (``TerritoryAdmin.territory_queryset``): rows touching their territory; anything else
  is "not found";
- what a référent *changes or deletes* (``administered_by(user)`` on the model's queryset): rows lying entirely
  inside it. A row that is shared with another territory (an EJ with EG elsewhere, an account also habilitated
  elsewhere) is read-only.
"""

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import router

from ror_portal.admin_lists import BoundedChangeListMixin
from ror_portal.admin_site import is_admin_user
from structures.models import EntiteJuridique, Structure


def cached_per_request(request, key, compute):
    """``compute()`` once per request and ``key``: the admin asks the same permission several times a page."""
    cache = request.__dict__.setdefault("_territory_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def administered(model, user):
    """The rows of ``model`` lying entirely inside ``user``'s territory, or None for a model without territory."""
    queryset = model._default_manager.all()
    if not hasattr(queryset, "administered_by"):
        return None
    return queryset.administered_by(user)


def outside_territory(objs, request, model):
    """The objects that deleting ``objs`` would delete (cascades included) and that do not lie entirely in the
    référent's territory, or that belong to no territory (the admin's own history, for instance)."""
    if request.user.is_superuser:
        return []
    collector = NestedObjects(using=router.db_for_write(model))
    collector.collect(objs)
    outside = []
    for related_model, instances in collector.data.items():
        if related_model._meta.auto_created:
            continue  # the rows of a many-to-many relation go with the object being deleted
        inside = administered(related_model, request.user)
        pks = {obj.pk for obj in instances}
        allowed = set() if inside is None else set(inside.filter(pk__in=pks).values_list("pk", flat=True))
        outside.extend(obj for obj in instances if obj.pk not in allowed)
    return outside


class SafeAutocompleteMixin:
    """Django's autocomplete widget looks up the submitted values to re-render a form with errors, without
    checking them first: "²" or 2**63 in a forged POST made a 500. Only values the key field accepts are
    looked up; the form field itself refuses the others with its own message."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        field_name = getattr(remote, "field_name", None)  # a many-to-many relation points to the primary key
        key = remote.model._meta.get_field(field_name) if field_name else remote.model._meta.pk
        value = [v for v in value if is_valid_key(key, v)]
        if not value:
            # Nothing selected: Django's groups without filtering the choices' queryset (a territory's scope,
            # built again for each empty widget of an inline: an account page has six).
            options = (
                [] if self.is_required or self.allow_multiple_selected else [self.create_option(name, "", "", False, 0)]
            )
            return [(None, options, 0)]
        return super().optgroups(name, value, attr)


def is_valid_key(field, value):
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return value != ""


class SafeAutocompleteSelect(SafeAutocompleteMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteAdminMixin:
    """Admins and inlines whose autocomplete fields use the safe widgets."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TerritoryDeletionMixin:
    """Delete confirmation pages never list nor delete anything outside the référent's territory."""

    def get_deleted_objects(self, objs, request):
        outside = outside_territory(objs, request, self.model)
        if not outside:
            return super().get_deleted_objects(objs, request)
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in outside})
        message = (
            f"{len(outside)} objet(s) lié(s) hors de votre territoire ou sans territoire ({', '.join(kinds)}) : "
            "la suppression est réservée aux administrateurs nationaux."
        )
        return [], {}, set(), [message]


class ReferentsAdminMixin:
    """A ModelAdmin open to the référents and superusers (``is_admin_user``); a territory narrows it further
    (``TerritoryAdmin``)."""

    def has_module_permission(self, request):
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request):
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user)


class TerritoryAdmin(
    ReferentsAdminMixin, BoundedChangeListMixin, SafeAutocompleteAdminMixin, TerritoryDeletionMixin, admin.ModelAdmin
):
    """Base admin for rows that belong to a territory.

    ``territory_queryset`` narrows the changelist, the change views (an object outside is a 404) and the
    choices of every foreign key to a structure or an entité juridique, forged POSTs included. Changing or
    deleting an object also needs it to lie entirely inside the territory (``administered``).
    """

    def territory_queryset(self, request, queryset):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.territory_queryset(request, super().get_queryset(request))

    def is_administered(self, request, obj):
        def compute():
            inside = administered(self.model, request.user)
            return inside is None or inside.filter(pk=obj.pk).exists()

        return cached_per_request(request, ("administered", self.model, obj.pk), compute)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user) and (obj is None or self.is_administered(request, obj))

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user) and (obj is None or self.is_administered(request, obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Structure:
            kwargs["queryset"] = Structure.objects.administered_by(request.user)
        elif db_field.related_model is EntiteJuridique:
            kwargs["queryset"] = EntiteJuridique.objects.administered_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TerritoryInlineMixin(SafeAutocompleteAdminMixin):
    """Inlines follow their parent: editable only when the parent object may be changed."""

    def parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request, obj=None):
        return self.parent_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.parent_admin().has_change_permission(request, obj)
