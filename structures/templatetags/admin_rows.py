"""The admin changelists' rows, the markup of Django's ``{% result_list %}``, written from a plan of each column
made once per page (templates/admin/change_list.html).

Django's ``items_for_result`` works each cell out from scratch: it looks the column's field up, asks the admin for
its empty value, works out the link and the CSS classes, and builds the same boolean icon with ``static`` each
time (about 0.2 ms a row of eight columns, a quarter of a national changelist's time). Here the plan (field,
classes, link, choices, icons) is made once per column; each cell only reads its value. Columns that are not
fields (``action_checkbox``, ``__str__``, an admin's method) follow Django's steps cell by cell, and editable
lists (``list_editable``) and a row whose related object is missing are Django's own.
tests/test_admin_rows.py checks the markup equal to Django's on every changelist of the site.
"""

import datetime
from pathlib import Path

from django import template
from django.contrib.admin import templatetags as admin_templatetags
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _boolean_icon,
    _coerce_field_name,
    admin_list_filter,
    items_for_result,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template import Context
from django.template.base import render_value_in_context
from django.urls import NoReverseMatch
from django.utils.encoding import iri_to_uri
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

register = template.Library()

NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)


class Column:
    """One column of the list: how each of its cells is written."""

    def __init__(self, cl, index, name, link, table_tag):
        self.model_admin = cl.model_admin
        self.name = name
        self.link = link
        self.table_tag = table_tag
        self.empty = cl.model_admin.get_empty_value_display()
        self.classes = f"field-{_coerce_field_name(name, index)}"
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName, TypeError):
            self.field = None  # not a field (a callable's name is not a string)
        if self.field is None or self.field.auto_created:
            self.field = None  # written as Django writes a value that is not a field's (``generic_cell``)
            return
        classes = self.classes
        if isinstance(self.field, NOWRAP_FIELDS):
            classes += " nowrap"
        self.row_class = mark_safe(f' class="{classes}"')
        self.foreign_key = isinstance(self.field.remote_field, models.ManyToOneRel)
        self.known = None  # value -> its markup, for choices and booleans
        if not self.foreign_key and getattr(self.field, "flatchoices", None):
            try:
                choices = dict(self.field.flatchoices)
            except TypeError:  # list-like choices: Django's own way, cell by cell
                pass
            else:
                self.known = lambda value: choices.get(value, self.empty)
        elif isinstance(self.field, models.BooleanField):
            icons = {value: _boolean_icon(value) for value in (True, False, None)}
            self.known = icons.__getitem__

    def generic_cell(self, result):
        """Django's steps for a column that is not a field: (class attribute, representation)."""
        _, attr, value = lookup_field(self.name, result, self.model_admin)
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        classes = ["action-checkbox"] if self.name == "action_checkbox" else [self.classes]
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        if isinstance(value, (datetime.date, datetime.time)):
            classes.append("nowrap")
        return mark_safe(f' class="{" ".join(classes)}"'), display_for_value(value, empty, boolean)

    def cell(self, result):
        """(class attribute, representation) of the cell of ``result``."""
        if self.field is None:
            return self.generic_cell(result)
        return self.row_class, self.representation(result)

    def representation(self, result):
        if self.foreign_key:
            value = getattr(result, self.field.name)
            return self.empty if value is None else value
        value = getattr(result, self.name)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if self.known is not None:
            try:
                return self.known(value)
            except (KeyError, TypeError):  # a boolean column holding something else
                pass
        return display_for_field(value, self.field, self.empty, avoid_link=self.link)


class RowWriter:
    """The cells of each row of ``cl``'s page, as ``items_for_result`` writes them."""

    def __init__(self, cl):
        self.cl = cl
        self.pk = cl.to_field or cl.lookup_opts.pk.attname
        self.preserved = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        self.suffixes = {}  # the query string add_preserved_filters appends, per kind of link (``with_filters``)
        self.columns = []
        first = True  # the first link column is a <th>, as in Django
        for index, name in enumerate(cl.list_display):
            link = self.link_in_column(first, name)
            self.columns.append(Column(cl, index, name, link, "th" if link and first else "td"))
            first = first and not link

    def link_in_column(self, first, name):
        links = self.cl.list_display_links
        if links is None:
            return False
        if first and not links:
            return True
        return name in links

    def cells(self, result):
        try:
            return self.written_cells(result)
        except ObjectDoesNotExist:  # a related object missing: Django's code says so in its own way
            return list(items_for_result(self.cl, result, None))

    def written_cells(self, result):
        cells = []
        for column in self.columns:
            row_class, shown = column.cell(result)
            if column.link:
                try:
                    url = self.cl.url_for_result(result)
                except NoReverseMatch:
                    shown = conditional_escape(shown)
                else:
                    url = self.with_filters(url)
                    popup = (
                        format_html(' data-popup-opener="{}"', result.serializable_value(self.pk))
                        if self.cl.is_popup
                        else ""
                    )
                    shown = f'<a href="{conditional_escape(url)}"{popup}>{conditional_escape(shown)}</a>'
            else:
                shown = conditional_escape(shown)
            cells.append(mark_safe(f"<{column.table_tag}{row_class}>{shown}</{column.table_tag}>"))
        return cells

    def with_filters(self, url):
        """``add_preserved_filters(url)``: the list's filters added to a row's link. Django resolves each link to
        know its view (≈ 60 µs); links that differ only by the object's id (``…/<id>/change/``) are the same view
        and get the same query string, worked out for the first of them."""
        if not self.cl.preserved_filters:
            return url if "?" not in url and "#" not in url else add_preserved_filters(self.preserved, url)
        head, _, tail = url.rpartition("/")  # "/admin/app/model/<id>/change" + "/" + ""
        head, _, action = head.rpartition("/")
        kind = (head.rpartition("/")[0], action, tail)
        if "?" in url or "#" in url or not action:
            return add_preserved_filters(self.preserved, url)
        suffix = self.suffixes.get(kind)
        if suffix is None:
            preserved = add_preserved_filters(self.preserved, url)
            if not preserved.startswith(url):
                return preserved
            suffix = self.suffixes[kind] = preserved[len(url) :]
        return url + suffix


def rows(cl):
    if cl.formset:  # an editable list: each row has its form, Django's code writes it
        return list(results(cl))
    writer = RowWriter(cl)
    return [ResultList(None, writer.cells(result)) for result in cl.result_list]


def result_list(cl):
    """Django's ``result_list`` inclusion tag's context, its rows written by ``rows``."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": rows(cl),
    }


@register.tag(name="result_rows")
def result_rows_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="change_list_results.html", takes_context=False
    )


# --- the list's filters -----------------------------------------------------------------------------------------

FILTER_TEMPLATE = "admin/filter.html"
_djangos_filter_template = {}  # the template engine -> whether FILTER_TEMPLATE is Django admin's own file


def is_djangos_filter_template(engine):
    if engine not in _djangos_filter_template:
        origin = engine.get_template(FILTER_TEMPLATE).origin.name
        own = Path(admin_templatetags.__file__).parent.parent / "templates" / FILTER_TEMPLATE
        _djangos_filter_template[engine] = Path(origin) == own
    return _djangos_filter_template[engine]


def iri_encoded(value):
    """``{{ value|iriencode }}`` in an autoescaped template."""
    return iri_to_uri(value) if isinstance(value, SafeData) else escape(iri_to_uri(value))


@register.simple_tag(takes_context=True)
def list_filter(context, cl, spec):
    """Django's ``{% admin_list_filter cl spec %}`` (``admin/filter.html``), written in Python while that template is
    Django admin's own: the départements' filter of the structures (101 choices) rendered its template's loop in
    ≈ 3 ms a page. Another template (a filter's own, an override) is rendered as Django renders it."""
    if spec.template != FILTER_TEMPLATE or not is_djangos_filter_template(context.template.engine):
        return admin_list_filter(cl, spec)
    values = Context(autoescape=True)
    title = render_value_in_context(spec.title, values)
    by = gettext(" By %(filter_title)s ") % {"filter_title": title}
    selected = ' class="selected"'
    items = "".join(
        f"\n    <li{selected if choice['selected'] else ''}>\n"
        f'    <a href="{iri_encoded(choice["query_string"])}">'
        f"{render_value_in_context(choice['display'], values)}</a></li>\n  "
        for choice in spec.choices(cl)
    )
    return mark_safe(  # noqa: S308 - every value escaped as the template escapes it
        f'\n<details data-filter-title="{title}" open>\n  <summary>\n    {by}\n  </summary>\n  <ul>\n  {items}\n'
        "  </ul>\n</details>\n"
    )
