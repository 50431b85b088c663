"""The admin's navigation sidebar (``admin/nav_sidebar.html``), rendered once per app list and current page.

The sidebar lists every app and model the user may reach and marks the current ones; Django renders its two
templates on every admin page (≈ 3 ms of a changelist for a superuser, a sixth of it). Its markup depends only on
the app list (the names and URLs that ``PortalAdminSite._build_app_dict`` gives every user of a kind), on the
language and on which of those URLs the request's path contains: it is rendered once per such key and kept
(templates/admin/base_site.html). tests/test_admin_layout.py compares it with Django's rendering on every page.
"""

from threading import Lock
from urllib.parse import quote

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

SIDEBAR_TEMPLATE = "admin/nav_sidebar.html"
SIDEBARS_KEPT = 256

_sidebars = {}  # key -> the sidebar's markup
_lock = Lock()


def _contains(path, url):
    """``{% if url in request.path|urlencode %}``: false for a URL the entry does not have (None)."""
    try:
        return url in path
    except TypeError:
        return False


def sidebar_key(context):
    """What the sidebar's markup depends on: the language, every value its templates read from the app list, and
    whether the (URL-quoted) path contains each of its URLs."""
    path = quote(context["request"].path)
    apps = []
    for app in context.get("available_apps") or ():
        models = tuple(
            (
                model.get("object_name"),
                str(model.get("name")),
                model.get("admin_url"),
                model.get("add_url"),
                model.get("view_only"),
                _contains(path, model.get("admin_url")),
            )
            for model in app.get("models", ())
        )
        current = _contains(path, app.get("app_url"))
        apps.append((app.get("app_label"), str(app.get("name")), app.get("app_url"), current, models))
    return get_language(), tuple(apps)


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    """``{% include "admin/nav_sidebar.html" %}``, kept per ``sidebar_key``."""
    key = (context.template.engine, sidebar_key(context))
    markup = _sidebars.get(key)
    if markup is None:
        markup = mark_safe(context.template.engine.get_template(SIDEBAR_TEMPLATE).render(context))  # noqa: S308
        with _lock:
            if len(_sidebars) >= SIDEBARS_KEPT:
                _sidebars.clear()
            _sidebars[key] = markup
    return markup
