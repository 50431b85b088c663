"""Row ids read from a request: ASCII digits only, within the database's ``bigint`` range.

``str.isdigit()`` and ``int()`` accept far more ("²", "٣", "𝟙", " 7", "1_0"), and an integer out of the
column's range makes the database fail: every id from a path, a query string or a form goes through here.
"""

import re

MAX_ID = 2**63 - 1  # BigAutoField: PostgreSQL bigint, SQLite's 64-bit integers
ID_RE = re.compile(r"[0-9]{1,19}")


def parse_id(value):
    """The id written in ``value`` (a string from the request), or None when it is not one."""
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class IdConverter:
    """``<id:pk>`` in a URL: a path whose id is not one does not match (a 404)."""

    regex = ID_RE.pattern

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValueError(f"Not a row id: {value!r}")
        return number

    def to_url(self, value):
        return str(value)
