"""Compiled querysets: a page's queryset built and compiled once per process, then run with each request's values.

Django builds a queryset (filters, annotations, a scope's conditions) and compiles it to SQL at every request. On the
national data set the offer page's main query took 1.5 ms to build and 1.6 ms to compile, for 0.26 ms in
PostgreSQL: most of a page's time went into writing SQL that was the same at every request. A ``CompiledQuery``
keeps the SQL of a queryset built once, and runs it again with the values of the request:

    OFFER_PAGE = CompiledQuery(lambda user: Offer.objects.visible_to(user).filter(pk=Param("pk")))
    offer = OFFER_PAGE.first(request.user, pk=pk)

- ``build(*key)`` returns the queryset; its arguments are the cache's key, and the queryset depends on them only.
  An argument with an ``access_key`` (a user) is keyed by it: everything a scope reads of the user, so a new or
  removed habilitation builds the query again. Today's date is part of every key (a condition on open offers
  compares with it). Values that change at each request are ``Param("name")`` placeholders, given by name.
- A run returns a list (prefetches included): a compiled queryset is never filtered further, which would need
  another SQL text.
- ``plan_with_values(*key)``: whether PostgreSQL plans each run with its values instead of reusing a prepared
  statement's generic plan (a name search: the term's frequency decides the plan).
- ``settings.COMPILED_QUERIES_CHECK`` (on in the tests): every run also builds and compiles the queryset again and
  raises ``QueryChanged`` when the SQL differs from the cached one, so a key that misses an input fails the tests.
- The entries of a process are bounded (``settings.COMPILED_QUERIES_ENTRIES``, the least recently used go first;
  about 100 KB each): a miss costs what the plain queryset costs.
"""

import json
import threading
from collections import OrderedDict
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression
from django.utils import timezone


class Param(Expression):
    """A placeholder in a compiled queryset, filled by name at each run. ``field`` (a model field) prepares the value
    for the database as a lookup on that field would (a date on SQLite); without it the value is sent as given."""

    def __init__(self, name, field=None):
        super().__init__(output_field=field)
        self.name = name
        self.prep_field = field

    def as_sql(self, compiler, connection):
        return "%s", [self]

    def __repr__(self):
        return f"Param({self.name!r})"

    def value(self, values, connection):
        value = values[self.name]
        return value if self.prep_field is None else self.prep_field.get_db_prep_value(value, connection)


class JsonParam(Param):
    """A list placeholder sent as one JSON text (SQLite's ``json_each``: ``any_of`` with a ``Param``)."""

    def value(self, values, connection):
        return json.dumps(list(values[self.name]))


class QueryChanged(AssertionError):
    """A compiled query built again wrote another SQL text for the same key (``COMPILED_QUERIES_CHECK``)."""


@contextmanager
def planned_with_values(connection, on=True):
    """PostgreSQL plans the statements run inside with their values: no prepared statement, whose generic plan
    ignores them. For a search term, whose frequency decides the plan: "saint" is in a third of the EG's names (walk
    the names in order, keep the matches), a rare term in a few (read the trigram index, sort)."""
    if not on or connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = previous


class Entry:
    """A queryset built for one key, its SQL and what compiling it left on the compiler."""

    def __init__(self, queryset, plan_with_values=False):
        self.queryset = queryset
        self.plan_with_values = plan_with_values
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            self.sql, self.params = compiler.as_sql()
        except EmptyResultSet:  # e.g. a scope with no row at all: no query
            self.sql, self.params = None, ()
        # The selected columns, the models of select_related, the annotations' positions: read when the rows come
        # back. Not the compiler's query nor its connection, which are the run's own (a connection per thread).
        self.state = {name: value for name, value in vars(compiler).items() if name not in ("query", "connection")}
        missing = {param.name for param in self.params if isinstance(param, Param)}
        self.names = frozenset(missing)

    def same_sql(self, other):
        return self.sql == other.sql and list(map(repr, self.params)) == list(map(repr, other.params))

    def bind(self, values, connection):
        """The statement's parameters with ``values`` in place of the placeholders."""
        if set(values) != self.names:
            raise TypeError(f"Expected the values {sorted(self.names)}, got {sorted(values)}.")
        return [param.value(values, connection) if isinstance(param, Param) else param for param in self.params]

    def count(self, values):
        """The number of rows, counted by the database (``SELECT COUNT(*) FROM (…)``)."""
        if self.sql is None:
            return 0
        connection = connections[self.queryset.db]
        with planned_with_values(connection, self.plan_with_values), connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) counted", self.bind(values, connection))
            return cursor.fetchone()[0]

    def run(self, values):
        if self.sql is None:
            return []
        queryset = self.queryset._chain()
        connection = connections[queryset.db]
        params = self.bind(values, connection)
        compiler = queryset.query.get_compiler(using=queryset.db)  # a new one, given what compiling left
        vars(compiler).update(self.state)
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        with planned_with_values(connection, self.plan_with_values):
            return list(queryset)


class CompiledQuery:
    """A queryset built by ``build(*key)`` with ``Param`` placeholders, compiled once per key and process."""

    _entries = OrderedDict()  # (compiled query, key) → Entry, for every compiled query of the process
    _lock = threading.Lock()

    def __init__(self, build, plan_with_values=None):
        self.build = build
        self.plan_with_values = plan_with_values  # (*key) -> whether PostgreSQL plans each run with its values

    def __call__(self, *key, **values):
        """The rows for ``values``, as a list."""
        return self.entry(key).run(values)

    def count(self, *key, **values):
        """The number of rows the queryset would return (slice included): ``bounded_count`` of a page."""
        return self.entry(key).count(values)

    def first(self, *key, **values):
        """The first row, or None (the queryset limits itself: ``[:1]`` when it may find more)."""
        rows = self(*key, **values)
        return rows[0] if rows else None

    def entry(self, key):
        cache_key = (self, timezone.localdate(), *(getattr(part, "access_key", part) for part in key))
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is not None:
                self._entries.move_to_end(cache_key)
        if entry is None:
            entry = Entry(self.build(*key), bool(self.plan_with_values and self.plan_with_values(*key)))
            with self._lock:
                self._entries[cache_key] = entry
                while len(self._entries) > settings.COMPILED_QUERIES_ENTRIES:
                    self._entries.popitem(last=False)
        elif settings.COMPILED_QUERIES_CHECK:
            fresh = Entry(self.build(*key))
            if not fresh.same_sql(entry):
                raise QueryChanged(f"{self!r}: same key, other SQL.\n{entry.sql}\n{fresh.sql}")
        return entry

    def __repr__(self):
        return f"CompiledQuery({self.build.__module__}.{self.build.__qualname__})"

    @classmethod
    def clear(cls):
        with cls._lock:
            cls._entries.clear()


def attach(objects, name, rows, key):
    """Give each of ``objects`` its ``rows`` (those whose ``key(row)`` is its pk) as its prefetched ``name``, as
    ``prefetch_related(name)`` leaves them: ``obj.<name>.all()`` reads them without a query. For rows read by a
    compiled query instead of a prefetch, which Django builds and compiles again at every request."""
    grouped = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    for obj in objects:
        related = getattr(type(obj), name).rel.related_model
        queryset = related._default_manager.none()
        queryset._result_cache = grouped.get(obj.pk, [])
        queryset._prefetch_done = True
        if not hasattr(obj, "_prefetched_objects_cache"):
            obj._prefetched_objects_cache = {}
        obj._prefetched_objects_cache[name] = queryset
