"""URLs built once per process: the tables' rows link to an object each, and ``reverse`` per row was a
noticeable part of a page (≈ 40 µs a call, 150 a page in the admin's changelists)."""

from django.urls import get_script_prefix, reverse

SENTINEL = 987654321
_patterns = {}
_fixed = {}


def object_url(url_name, pk):
    """``reverse(url_name, args=[pk])`` for a URL whose only argument is an integer id, from one reverse per
    URL name (and script prefix) per process."""
    key = (get_script_prefix(), url_name)
    if key not in _patterns:
        prefix, _, suffix = reverse(url_name, args=[SENTINEL]).partition(str(SENTINEL))
        _patterns[key] = (prefix, suffix)
    prefix, suffix = _patterns[key]
    return f"{prefix}{int(pk)}{suffix}"


def fixed_url(url_name):
    """``reverse(url_name)`` for a URL without arguments, once per URL name (and script prefix) per process."""
    key = (get_script_prefix(), url_name)
    if key not in _fixed:
        _fixed[key] = reverse(url_name)
    return _fixed[key]
