"""What the Django admin shows a référent ROR: their territory, nothing else.

Two sets per model, each a queryset method of the model:
- what a référent *sees* (``TerritoryAdmin.territory_queryset``): rows touching their territory; anything else
  is "not found";
- what a référent *changes or deletes* (``administered_by(user)`` on the model's queryset): rows lying entirely
  inside it. A row that is shared with another territory (an EJ with EG elsewhere, an account also habilitated
  elsewhere) is read-only.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import NestedObjects
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import F, OrderBy
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext

from nomenclatures import cache as nomenclature_cache
from ror_portal.links import object_url
from ror_portal.pagination import COUNT_LIMIT, LIST_PAGE_SIZE, BoundedCount, bounded_count
from structures.models import EntiteJuridique, Structure


def is_admin_user(user):
    return user.is_active and user.is_staff and (user.is_superuser or user.is_referent)


class BoundedPaginator(Paginator):
    """A paginator that counts at most ``bound`` rows (``ror_portal.pagination.bounded_count``, the portal's
    lists count the same way): ``COUNT(*)`` over a ``LIMIT bound + 1`` subquery.

    Above the bound, ``count`` is the bound, ``truncated`` is true (the templates of templates/admin/ then say
    "plus de 1 000") and only the pages up to the bound can be reached: the cost of a changelist no longer
    grows with the table, and its last reachable page skips at most ``bound`` rows. Beyond, the search and the
    filters narrow the list.
    """

    bound = COUNT_LIMIT

    @cached_property
    def bounded(self):
        return bounded_count(self.object_list, self.bound)

    @cached_property
    def count(self):
        return self.bounded.value

    @property
    def truncated(self):
        return self.bounded.capped

    @property
    def bound_label(self):
        return number_format(self.bound, force_grouping=True)


SEARCH_WINDOWS = "_admin_search_windows"  # request attribute: {model: the SearchWindow of the search}


@dataclass(frozen=True)
class SearchWindow:
    bound: int  # the matches listed at most (``BoundedChangeListMixin.search_bound``)
    ids: list  # the first bound + 1 matches' ids, in the list's order
    matches: object  # the queryset returned to the changelist: ``rows`` among ``ids``
    rows: object  # the list's rows, joins and order, without the search


def sorted_window(queryset, size):
    """The ids of the ``size`` rows of ``queryset`` that come first by primary key (``ORDER BY id LIMIT``: the
    primary key's index is read until ``size`` rows match, or the few matches of a rare term are sorted), then
    sorted in the database by ``queryset``'s ordering: the window's rows are sorted as read, in one query, instead
    of being read again by primary key to sort them (≈ 4 µs a row).

    The window is the same at each request whatever the plan, so the pages of a search list one set of rows.
    (Without an order, the first rows found depended on the plan and, in a sequential scan, on where
    PostgreSQL's synchronised scans started: the same search could list other rows from one page to the next.)"""
    keys, annotations = [], {}
    for key in queryset.query.order_by:
        direction = "ASC"
        if isinstance(key, str):
            direction, key = ("DESC" if key.startswith("-") else "ASC"), F(key.lstrip("-"))
        elif isinstance(key, OrderBy):
            direction = "DESC" if key.descending else "ASC"
            direction += " NULLS FIRST" if key.nulls_first else " NULLS LAST" if key.nulls_last else ""
            key = key.expression
        if key in annotations.values():
            continue  # a key repeated (the admin's ordering and its tie-breaker): the first decides
        annotations[f"window_key_{len(annotations) + 2}"] = key
        keys.append(f"{len(annotations) + 1} {direction}")
    window = queryset.order_by("pk").annotate(**annotations).values_list("pk", *annotations)[:size]
    sql, params = window.query.sql_with_params()
    order = f" ORDER BY {', '.join(keys)}" if keys else ""
    with connections[window.db].cursor() as cursor:
        # Positions, not names: the subquery's columns are the ORM's own aliases.
        cursor.execute(f"SELECT * FROM ({sql}) window_rows{order}", params)
        return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


class WindowPaginator(BoundedPaginator):
    """The pages of a search's window: its count is the window's size, a page the rows of its own ids."""

    def __init__(self, window, per_page, orphans=0, allow_empty_first_page=True):
        super().__init__(window.matches, per_page, orphans, allow_empty_first_page)
        self.window = window
        self.bound = window.bound
        self.bounded = BoundedCount(min(len(window.ids), self.bound), len(window.ids) > self.bound)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # Only the page's ids: with the window's too, PostgreSQL probed the 1,001 of them.
        return self._get_page(self.window.rows.filter(pk__any_of=self.window.ids[bottom:top]), number, self)


class BoundedChangeListMixin:
    """For every ModelAdmin of the site: a bounded count, no count of the unfiltered table, no facet counts,
    ``LIST_PAGE_SIZE`` rows a page, as the portal's lists."""

    paginator = BoundedPaginator
    # A search lists at most this many matches (10 pages of 25), "plus de 250 résultats" beyond: a frequent term
    # (« cardio »: 43,000 offers) asks for a more precise one. Its window is read at each page: 1,001 matches cost
    # 8–16 ms of SQL on the national data, 251 about a quarter of that.
    search_bound = 250
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    list_per_page = LIST_PAGE_SIZE
    # Nomenclature foreign keys shown in the list: set on the page's rows from nomenclatures.cache, not joined.
    list_nomenclatures = ()

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        fields = tuple(self.list_nomenclatures)

        class BoundedChangeList(changelist):
            def get_results(self, request):
                super().get_results(request)
                if fields:
                    nomenclature_cache.attach(self.result_list, *fields)

            def url_for_result(self, result):
                """Django's link of each row, without a ``reverse`` per row (integer keys; others as Django)."""
                pk = getattr(result, self.pk_attname)
                if type(pk) is not int:  # a nomenclature's code: Django's own (quoted) link
                    return super().url_for_result(result)
                site = self.model_admin.admin_site.name
                return object_url(f"{site}:{self.opts.app_label}_{self.opts.model_name}_change", pk)

        return BoundedChangeList

    def get_search_results(self, request, queryset, search_term):
        """Django's search, limited to ``search_bound`` + 1 matches (those first by id: ``sorted_window``).

        A frequent term ("cardio") matches tens of thousands of offers, and no index yields a substring's
        matches in the list's order: sorting them all cost 300–600 ms. The scan stops after ``search_bound`` + 1
        matches; those are sorted and paged, and the count says "plus de 250 résultats": a more precise term
        lists the others.
        """
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            # Read once, sorted: the count is their number, and a page looks up its own ids by primary key
            # (``SearchWindow``). The ids already satisfy the territory, the filters and the search, which are not
            # evaluated again (with them PostgreSQL scanned the trigram index twice more). The list's joins and
            # order are kept.
            ids = sorted_window(queryset, self.search_bound + 1)
            rows = self.get_queryset(request)
            rows.query.select_related = queryset.query.select_related
            if queryset.query.order_by:  # else the model's default ordering, as the search's queryset had
                first, *rest = queryset.query.order_by
                rows = rows.order_by(unindexed(first), *rest)
            window = SearchWindow(self.search_bound, ids, rows.filter(pk__any_of=ids), rows)
            request.__dict__.setdefault(SEARCH_WINDOWS, {})[self.model] = window
            return window.matches, False
        return queryset, may_have_duplicates

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        window = request.__dict__.get(SEARCH_WINDOWS, {}).get(self.model)
        if window is not None and window.matches is queryset:  # the changelist's own search
            return WindowPaginator(window, per_page, orphans, allow_empty_first_page)
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if window is not None:  # the search's queryset narrowed further (an autocomplete): count the window
            paginator.bound = window.bound
            paginator.bounded = BoundedCount(min(len(window.ids), window.bound), len(window.ids) > window.bound)
        return paginator

    def action_checkbox(self, obj):
        """Django's action checkbox, same markup, written without rendering the widget's template: that template
        took about 40 % of a changelist's time."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


def unindexed(key):
    """The ordering key ``key`` (a field name, "-name" or an expression) as ``COALESCE(x, x)``: the same order, which
    no index serves. A page of a search's matches (``id IN (…1,001 ids)``, 25 rows) is then read by primary key and
    sorted; with the bare key, PostgreSQL walked the list's index in name order to find 25 of the ids (38,000 rows
    for « cardio », 22 ms instead of 7)."""
    descending = False
    if isinstance(key, str):
        descending, expression = key.startswith("-"), F(key.lstrip("-"))
    elif isinstance(key, OrderBy):
        expression, descending = key.expression, key.descending
    else:
        expression = key
    fenced = Coalesce(expression, expression)
    return fenced.desc() if descending else fenced.asc()


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
