"""The nomenclatures kept in memory by each process, in place of a join on every page.

The NOS tables are small (a few hundred rows each) and read-only: ``load_nomenclatures`` writes them, the admin
only reads them. Joining them into a page's queries costs more than it looks on PostgreSQL: three nomenclature
joins on the offer's query took its planning from 0.7 to 2.6 ms, on top of the ORM's work on their columns. So
pages fetch the codes and ``attach`` sets the related objects from here, as ``select_related`` would.

A table is read once per process and read again after ``MAX_AGE`` seconds (a label corrected by a new
load shows within that delay), at once when a code is missing (a code added by a load is never shown as
absent), and whenever a row is saved or deleted in this process (``nomenclatures.apps``). The rows given out
are shared: read them, never change them.
"""

import threading
import time

MAX_AGE = 300

_tables = {}  # model -> (read at, {code: row})
_lock = threading.Lock()


def clear():
    with _lock:
        _tables.clear()


def table(model, refresh=False):
    """{code: row} of one nomenclature model."""
    entry = _tables.get(model)
    if refresh or entry is None or time.monotonic() - entry[0] > MAX_AGE:
        rows = {row.pk: row for row in model._default_manager.all()}
        entry = (time.monotonic(), rows)
        with _lock:
            _tables[model] = entry
    return entry[1]


def get(model, code):
    """The row of ``code``, or None if the table does not have it (even after reading it again)."""
    rows = table(model)
    if code not in rows:
        rows = table(model, refresh=True)
    return rows.get(code)


def attach(instances, *field_names):
    """Set the nomenclature foreign keys ``field_names`` of ``instances`` (of one model) from the cache.

    Afterwards ``instance.<field>`` reads no query, as after ``select_related(<field>)``. A field may also be a
    path through a relation already loaded (``"offer__champ_activite"``)."""
    instances = [instance for instance in instances if instance is not None]
    for name in field_names:
        head, _, rest = name.partition("__")
        if rest:
            attach([getattr(instance, head) for instance in instances], rest)
            continue
        for instance in instances:
            field = instance._meta.get_field(name)
            code = getattr(instance, field.attname)
            field.set_cached_value(instance, None if code is None else get(field.related_model, code))
    return instances
