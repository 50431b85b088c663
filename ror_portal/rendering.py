from django.shortcuts import render
from django.utils.cache import patch_vary_headers

CONTENT_PARTIAL = "page-content"


def render_page(request, template, context):
    """The full page, or only its ``page-content`` partial for an HTMX navigation.

    A history-restore request (back button after the htmx cache expired) needs the whole page.
    """
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, f"{template}#{CONTENT_PARTIAL}" if partial else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
