"""The layout's fixed parts (templates/base.html), built once per process.

The DSFR's style sheets and scripts, htmx's script and the links of the header and footer are the same on every page
(static files' URLs and URLs without arguments); rendered at every request they were half of the layout's time
(0.25 of 0.5 ms, and every full page has the layout).
"""

import threading

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from ror_portal.links import fixed_url

register = template.Library()

ASSETS = {
    "head": "{% load dsfr_tags %}{% dsfr_css %}{% dsfr_favicon %}",
    "scripts": "{% load dsfr_tags django_htmx %}{% dsfr_js %}{% htmx_script %}",
}
_rendered = {}
_lock = threading.Lock()


@register.simple_tag
def layout_assets(part):
    """The ``<link>`` (``head``) or ``<script>`` (``scripts``) elements of the DSFR and htmx, rendered once."""
    if part not in _rendered:
        markup = engines["django"].from_string(ASSETS[part]).render()
        with _lock:
            _rendered[part] = mark_safe(markup)  # noqa: S308 - the tags' own output, no user input
    return _rendered[part]


@register.simple_tag
def url_for(name):
    """``{% url name %}`` for a URL without arguments, reversed once per process (``ror_portal.links``)."""
    return fixed_url(name)
