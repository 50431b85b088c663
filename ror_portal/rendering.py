from django.shortcuts import render
from django.utils.cache import patch_vary_headers

CONTENT_PARTIAL = "page-content"


def render_page(request, template, context, partials=None, status=None):
    """The full page, or one of its partials for an HTMX request.

    ``partials`` maps an HTMX target id to the partial that fills it; any other HTMX navigation gets the
    ``page-content`` partial. A history-restore request (back button after the htmx cache expired)
    needs the whole page.
    """
    if request.htmx and not request.htmx.history_restore_request:
        partial = (partials or {}).get(request.htmx.target, CONTENT_PARTIAL)
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
