"""The table of a structure's page: its sub-structures in tree order, then its offers by name — one list, paged by
keyset so that a level of 300 UF costs what a level of 3 does, and its last page what its first does.

A page starts after (``apres``) or ends before (``avant``) a row, written "s<id>" for a structure and "o<id>" for
an offer; ``fin=1`` is the last page. The row's position is read from the list itself: a cursor outside it
(another node, another scope) shows the first page.

Each list is a ``KeysetList``: the rows of a node (``Param("node")``) in a keyset order, read by compiled queries
(``ror_portal.compiled``), so that a page writes no SQL. The offers' list is defined by the offers app
(``offers.models.STRUCTURE_OFFERS``), the sub-structures' here.
"""

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from ror_portal.compiled import CompiledQuery, Param
from ror_portal.converters import parse_id
from ror_portal.pagination import LIST_PAGE_SIZE
from structures.models import Structure

PER_PAGE = LIST_PAGE_SIZE
CURSOR = re.compile(r"([so])([0-9]{1,19})")


class KeysetList:
    """The rows ``base(*key)`` of a node, in the order of ``fields`` (the last one unique), paged by keyset."""

    def __init__(self, base, fields):
        self.base, self.fields = base, fields
        self.positions = CompiledQuery(self._position)
        self.pages = CompiledQuery(self._page)

    def _position(self, *key):
        return self.base(*key).filter(pk=Param("cursor")).values_list(*self.fields)

    def _page(self, forward, bounded, limit, *key):
        rows = self.base(*key)
        if bounded:  # after (before) the cursor's values: (a > x) or (a = x and b > y)…
            op = "gt" if forward else "lt"
            values = [Param(f"k{n}") for n in range(len(self.fields))]
            rows = rows.filter(
                reduce(
                    or_,
                    (
                        Q(**{f"{field}__{op}": values[n]}, **{f: values[m] for m, f in enumerate(self.fields[:n])})
                        for n, field in enumerate(self.fields)
                    ),
                )
            )
        return rows.order_by(*(field if forward else f"-{field}" for field in self.fields))[:limit]

    def of(self, node, *key):
        return NodeRows(self, node.pk, key)


@dataclass
class NodeRows:
    """One node's rows of a ``KeysetList``."""

    rows: KeysetList
    node: int
    key: tuple

    def position(self, pk):
        """The keyset values of row ``pk`` in this list, or None when it is not in it."""
        return self.rows.positions.first(*self.key, node=self.node, cursor=pk)

    def page(self, forward, position, limit):
        """Up to ``limit`` rows after (``forward``) or before ``position`` (from an end when None)."""
        values = {f"k{n}": value for n, value in enumerate(position or ())}
        return self.rows.pages(forward, position is not None, limit, *self.key, node=self.node, **values)


SUB_STRUCTURES = KeysetList(
    lambda: Structure.objects.filter(parent=Param("node")).only(*Structure.OUTLINE_FIELDS), fields=("lft",)
)


@dataclass
class ContentsPage:
    children: list
    offers: list
    has_previous: bool
    has_next: bool

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def previous_cursor(self):
        return f"s{self.children[0].pk}" if self.children else f"o{self.offers[0].pk}" if self.offers else None

    @property
    def next_cursor(self):
        return f"o{self.offers[-1].pk}" if self.offers else f"s{self.children[-1].pk}" if self.children else None


def parse_cursor(value):
    """("s" or "o", id) from a link's cursor, or None when it is not one."""
    match = CURSOR.fullmatch(value) if isinstance(value, str) else None
    pk = parse_id(match.group(2)) if match else None
    return (match.group(1), pk) if pk is not None else None


def contents_page(children, offers, params, per_page=PER_PAGE):
    """The page of ``children`` (a node's sub-structures) then ``offers`` (its offers), two ``NodeRows``, that
    ``params`` asks for."""
    after, before = parse_cursor(params.get("apres")), parse_cursor(params.get("avant"))
    if params.get("fin") == "1":
        page = _backward(children, offers, None, per_page)
    elif before is not None:
        page = _backward(children, offers, before, per_page)
    elif after is not None:
        page = _forward(children, offers, after, per_page)
    else:
        page = None
    return page or _forward(children, offers, None, per_page)


def _rows(rows, forward, cursor_pk, limit):
    """Up to ``limit`` rows of ``rows`` after (before) row ``cursor_pk``, from an end when None; None when the
    cursor is not in the list."""
    position = None
    if cursor_pk is not None:
        position = rows.position(cursor_pk)
        if position is None:
            return None
    return rows.page(forward, position, limit)


def _forward(children, offers, cursor, per_page):
    """``per_page`` rows after ``cursor`` (from the start when None); None when the cursor is not in the lists."""
    kids = []
    if cursor is None or cursor[0] == "s":
        kids = _rows(children, True, cursor and cursor[1], per_page + 1)
        if kids is None:
            return None
    offs = []
    if len(kids) <= per_page:
        offs = _rows(offers, True, cursor[1] if cursor and cursor[0] == "o" else None, per_page + 1)
        if offs is None:
            return None
    more = len(kids) + len(offs) > per_page
    kids = kids[:per_page]
    offs = offs[: per_page - len(kids)]
    return ContentsPage(kids, offs, has_previous=cursor is not None, has_next=more)


def _backward(children, offers, cursor, per_page):
    """``per_page`` rows before ``cursor`` (the last page when None), in display order."""
    offs = []
    if cursor is None or cursor[0] == "o":
        offs = _rows(offers, False, cursor and cursor[1], per_page + 1)
        if offs is None:
            return None
    kids = []
    if len(offs) <= per_page:
        kids = _rows(children, False, cursor[1] if cursor and cursor[0] == "s" else None, per_page + 1)
        if kids is None:
            return None
    more = len(offs) + len(kids) > per_page
    offs = offs[:per_page]
    kids = kids[: per_page - len(offs)]
    return ContentsPage(kids[::-1], offs[::-1], has_previous=more, has_next=cursor is not None)
