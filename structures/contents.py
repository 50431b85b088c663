"""The table of a structure's page: its sub-structures in tree order, then its offers by name — one list, paged by
keyset so that a level of 300 UF costs what a level of 3 does, and its last page what its first does.

A page starts after (``apres``) or ends before (``avant``) a row, written "s<id>" for a structure and "o<id>" for
an offer; ``fin=1`` is the last page. The row's position is read from the list itself: a cursor outside it
(another node, another scope) shows the first page.
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from ror_portal.converters import parse_id
from ror_portal.pagination import LIST_PAGE_SIZE

PER_PAGE = LIST_PAGE_SIZE
CURSOR = re.compile(r"([so])([0-9]{1,19})")


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
    """The page of ``children`` (a node's sub-structures) then ``offers`` (its offers) that ``params`` asks for."""
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


def _after_child(children, pk, reverse=False):
    lft = children.filter(pk=pk).values_list("lft", flat=True).first()
    if lft is None:
        return None
    return children.filter(lft__lt=lft) if reverse else children.filter(lft__gt=lft)


def _after_offer(offers, pk, reverse=False):
    nom = offers.filter(pk=pk).values_list("nom", flat=True).first()
    if nom is None:
        return None
    if reverse:
        return offers.filter(Q(nom__lt=nom) | Q(nom=nom, pk__lt=pk))
    return offers.filter(Q(nom__gt=nom) | Q(nom=nom, pk__gt=pk))


def _forward(children, offers, cursor, per_page):
    """``per_page`` rows after ``cursor`` (from the start when None); None when the cursor is not in the lists."""
    kids = []
    if cursor is None or cursor[0] == "s":
        rows = children if cursor is None else _after_child(children, cursor[1])
        if rows is None:
            return None
        kids = list(rows.order_by("lft")[: per_page + 1])
    offs = []
    if len(kids) <= per_page:
        rows = offers if cursor is None or cursor[0] == "s" else _after_offer(offers, cursor[1])
        if rows is None:
            return None
        offs = list(rows.order_by("nom", "pk")[: per_page - len(kids) + 1])
    more = len(kids) + len(offs) > per_page
    kids = kids[:per_page]
    offs = offs[: per_page - len(kids)]
    return ContentsPage(kids, offs, has_previous=cursor is not None, has_next=more)


def _backward(children, offers, cursor, per_page):
    """``per_page`` rows before ``cursor`` (the last page when None), in display order."""
    offs = []
    if cursor is None or cursor[0] == "o":
        rows = offers if cursor is None else _after_offer(offers, cursor[1], reverse=True)
        if rows is None:
            return None
        offs = list(rows.order_by("-nom", "-pk")[: per_page + 1])
    kids = []
    if len(offs) <= per_page:
        rows = children if cursor is None or cursor[0] == "o" else _after_child(children, cursor[1], reverse=True)
        if rows is None:
            return None
        kids = list(rows.order_by("-lft")[: per_page - len(offs) + 1])
    more = len(offs) + len(kids) > per_page
    offs = offs[:per_page]
    kids = kids[: per_page - len(offs)]
    return ContentsPage(kids[::-1], offs[::-1], has_previous=more, has_next=cursor is not None)
