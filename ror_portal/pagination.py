"""Keyset pagination and bounded counts: a list's last page costs what its first page costs.

``Paginator`` pages with ``OFFSET``: the database reads and throws away every row before the page (and
computes their select list), so page 2,000 of a national list reads 50,000 rows. Here a page starts after
(or ends before) the row whose id the link carries: ``WHERE key >= cursor_key AND (key > cursor_key OR
id > cursor_id) ORDER BY key, id LIMIT n + 1`` is one range of an index on ``(key, id)``, wherever it
starts. The cursor's key is read by a subquery (one index lookup) from the list itself, so a link carries
only an id, and an id outside the list starts nothing (the first page is shown).

Links: none (first page), ``apres=<id>`` (the rows after that row), ``avant=<id>`` (the rows before it),
``fin=1`` (the last page). Page numbers are not known without counting every row before the page; the
total is counted up to ``COUNT_LIMIT`` rows (``SEARCH_COUNT_LIMIT`` for a name search) and shown as "plus de …"
above it.
"""

from dataclasses import dataclass

from django.db.models import F, Q, Subquery

from ror_portal.compiled import CompiledQuery, Param
from ror_portal.converters import parse_id

COUNT_LIMIT = 1_000
# A name search counts its matches up to 250 (ten pages of the admin, "plus de 250" beyond): a frequent term
# ("saint") matches thousands of rows of a national scope, and counting 1,000 of them read 7,000 index entries.
SEARCH_COUNT_LIMIT = 250
# Rows a page of the portal's lists and of the admin's changelists: a DSFR table a référent reads at a glance,
# and a page whose cost (about 0.25 ms a row in the admin) stays within its target.
LIST_PAGE_SIZE = 25


@dataclass(frozen=True)
class BoundedCount:
    """The number of rows of a queryset, counted up to ``limit`` (``capped`` when there are more)."""

    value: int
    capped: bool

    def __bool__(self):
        return self.value > 0

    @property
    def text(self):
        """ "25", "1 234" or "plus de 1 000" (French digit grouping)."""
        number = f"{self.value:,}".replace(",", "\u00a0")
        return f"plus de {number}" if self.capped else number


def bounded_count(queryset, limit=None):
    """Count at most ``limit`` (default ``COUNT_LIMIT``) + 1 rows: ``SELECT COUNT(*) FROM (… LIMIT n)``,
    whatever the table's size."""
    limit = COUNT_LIMIT if limit is None else limit
    # values("pk"): the select list of the rows counted holds no annotation (e.g. a per-row subquery).
    value = queryset.order_by().values("pk")[: limit + 1].count()
    return BoundedCount(min(value, limit), value > limit)


@dataclass
class KeysetPage:
    object_list: list
    count: BoundedCount
    has_previous: bool
    has_next: bool
    previous_cursor: int | None
    next_cursor: int | None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next


class CompiledKeyset:
    """Pages of the rows ``build(*key)`` ordered by ``key`` (a field name or an expression), ties broken by ``pk``,
    every query compiled once per key and process (``ror_portal.compiled``): the bounded count and the page;
    ``plan_with_values(*key)`` for a list planned at each request with its values (a name search, whose count stops
    at ``SEARCH_COUNT_LIMIT``).

    ``build`` returns a queryset whose request values are ``Param`` placeholders; ``page(params, *key, **values)``
    returns the page that the request's ``params`` ask for. ``key`` and ``pk`` run in the same direction (both
    descending when ``descending``) so that one index on ``(key, id)`` serves both orders, read forwards or
    backwards.

    For the keys where ``plan_with_values`` is true (a name search), a page is read in two steps: the ids of its
    rows first (``ids_first``), then the rows by primary key. The first step reads only the columns that a covering
    index holds (structures_eg_name_cover_idx, structures_eg_dep_cover_idx), so PostgreSQL walks the index in key
    order and tests each entry without visiting the table; read in one step, every entry skipped cost a visit to
    its row (« saint » in the national EG list: 4,200 rows visited for 26 kept, 13 ms; 3 ms in two steps). The
    first page of such a list takes its count from the same walk (``first_ids``: the ids of the first
    ``SEARCH_COUNT_LIMIT`` + 1 rows, then the page's rows by primary key) instead of walking the index again.
    """

    def __init__(self, build, key, per_page, plan_with_values=None):
        self.build = build
        self.key = F(key) if isinstance(key, str) else key
        self.per_page = per_page
        with_values = plan_with_values or (lambda *key: False)
        self.ids_first = with_values
        self.counts = CompiledQuery(
            lambda limit, *key: build(*key).order_by().values("pk")[: limit + 1],
            plan_with_values=lambda limit, *key: with_values(*key),
        )
        self.rows = CompiledQuery(self._rows, plan_with_values=lambda forwards, cursor, *key: with_values(*key))
        self.first_ids = CompiledQuery(
            lambda limit, forwards, *key: self._ordered(build(*key), forwards).values_list("pk", flat=True)[
                : limit + 1
            ],
            plan_with_values=lambda limit, forwards, *key: with_values(*key),
        )
        self.rows_of = CompiledQuery(
            lambda forwards, *key: self._ordered(self._by_pk(build(*key), pk__any_of=Param("ids")), forwards)
        )

    def _ordered(self, queryset, forwards):
        order = ["_keyset_key", "pk"] if forwards else ["-_keyset_key", "-pk"]
        return queryset.annotate(_keyset_key=self.key).order_by(*order)

    @staticmethod
    def _by_pk(queryset, **ids):
        """The rows of ``ids`` (a lookup on ``pk``) with the list's columns (``only``) and related rows."""
        rows = queryset.model._default_manager.filter(**ids)
        rows.query.deferred_loading = queryset.query.deferred_loading
        rows.query.select_related = queryset.query.select_related
        return rows

    def _rows(self, forwards, with_cursor, *key):
        """``per_page`` + 1 rows in key order (``forwards``), after (before) the row ``Param("cursor")``."""
        queryset = self.build(*key)
        rows = queryset.annotate(_keyset_key=self.key)
        if with_cursor:
            # Read from the list itself: a row outside it (another user's scope, other filters) is no cursor,
            # and could otherwise tell where its name sorts.
            cursor = Param("cursor")
            cursor_key = Subquery(
                queryset.order_by().filter(pk=cursor).annotate(_keyset_key=self.key).values("_keyset_key")[:1]
            )
            if forwards:
                rows = rows.filter(Q(_keyset_key__gte=cursor_key), Q(_keyset_key__gt=cursor_key) | Q(pk__gt=cursor))
            else:
                rows = rows.filter(Q(_keyset_key__lte=cursor_key), Q(_keyset_key__lt=cursor_key) | Q(pk__lt=cursor))
        order = ["_keyset_key", "pk"] if forwards else ["-_keyset_key", "-pk"]
        if self.ids_first(*key):
            rows = self._by_pk(queryset, pk__in=rows.order_by(*order).values("pk")[: self.per_page + 1])
            rows = rows.annotate(_keyset_key=self.key)
        return rows.order_by(*order)[: self.per_page + 1]

    def page(self, params, *key, descending=False, **values):
        return KeysetPaginator(self, key, values, descending).page(params)

    def bounded_count(self, *key, **values):
        """``bounded_count`` of the rows, compiled."""
        limit = SEARCH_COUNT_LIMIT if self.ids_first(*key) else COUNT_LIMIT
        value = self.counts.count(limit, *key, **values)
        return BoundedCount(min(value, limit), value > limit)


class KeysetPaginator:
    """The page of a ``CompiledKeyset`` for one key and its values."""

    def __init__(self, keyset, key, values, descending):
        self.keyset, self.key, self.values = keyset, key, values
        self.per_page = keyset.per_page
        self.descending = descending

    def page(self, params):
        """The page the request's ``params`` (``request.GET``) ask for; a cursor that is not an id is ignored."""
        after, before = parse_id(params.get("apres")), parse_id(params.get("avant"))
        last = params.get("fin") == "1"
        if self.keyset.ids_first(*self.key) and after is None and before is None and not last:
            return self._first_search_page()
        count = self.keyset.bounded_count(*self.key, **self.values)
        page = self._page(count, after, before, last=last)
        if not page.object_list and (after or before):
            # The cursor's row is gone (or was never in this list): start again from the first page.
            return self._page(count, None, None, last=False)
        return page

    def _first_search_page(self):
        """The first page of a name search and its count from one walk of the index: the ids of the first
        ``SEARCH_COUNT_LIMIT`` + 1 matches in display order (the count, and the page's ids), then the page's rows
        by primary key. Counted apart, the count walked the same index entries again (« saint » in the national
        EG list: 4,400 entries, 3 ms)."""
        forwards, limit = not self.descending, SEARCH_COUNT_LIMIT
        ids = self.keyset.first_ids(limit, forwards, *self.key, **self.values)
        count = BoundedCount(min(len(ids), limit), len(ids) > limit)
        rows = self.keyset.rows_of(forwards, *self.key, ids=ids[: self.per_page]) if ids else []
        return self._make(rows, count, has_previous=False, has_next=len(ids) > self.per_page)

    def _page(self, count, after, before, last):
        if last:
            rows, more = self._fetch(reverse=True)
            return self._make(rows, count, has_previous=more, has_next=False)
        if before is not None:
            rows, more = self._fetch(cursor=before, reverse=True)
            return self._make(rows, count, has_previous=more, has_next=True)
        if after is not None:
            rows, more = self._fetch(cursor=after)
            return self._make(rows, count, has_previous=True, has_next=more)
        rows, more = self._fetch()
        return self._make(rows, count, has_previous=False, has_next=more)

    def _fetch(self, cursor=None, reverse=False):
        """``per_page`` rows after ``cursor`` (before it when ``reverse``) in display order, and whether more
        lie beyond them."""
        forwards = self.descending == reverse  # ascending key order when reading forwards
        values = self.values if cursor is None else {**self.values, "cursor": cursor}
        found = self.keyset.rows(forwards, cursor is not None, *self.key, **values)
        more = len(found) > self.per_page
        found = found[: self.per_page]
        return (found[::-1] if reverse else found), more

    @staticmethod
    def _make(rows, count, **flags):
        return KeysetPage(
            object_list=rows,
            count=count,
            previous_cursor=rows[0].pk if rows else None,
            next_cursor=rows[-1].pk if rows else None,
            **flags,
        )
