"""The admin's lists at national size, for every ModelAdmin of the site (``BoundedChangeListMixin``): a bounded
count, searches read as a bounded window sorted after its LIMIT, the rows' nomenclatures from the cache.

What a référent may see and change in them (their territory) is ``structures.admin_scope``'s.
"""

from dataclasses import dataclass

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ShowFacets
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, OrderBy
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext

from nomenclatures import cache as nomenclature_cache
from ror_portal.links import object_url
from ror_portal.pagination import COUNT_LIMIT, LIST_PAGE_SIZE, SEARCH_COUNT_LIMIT, BoundedCount, bounded_count


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
    search_bound = SEARCH_COUNT_LIMIT
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
