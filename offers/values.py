"""Values of an offer's fields as drafts keep them (JSON) and as the pages and the history show them."""

import datetime

from django.db import models


def to_raw(value):
    """A value as JSON: a row by its id or code, rows by their sorted ids, a date in ISO format."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(item.pk if isinstance(item, models.Model) else item for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def display(value):
    """The text shown for a value: OUI/NON, a date as JJ/MM/AAAA, rows by their labels, a structure by its name."""
    if isinstance(value, bool):
        return "OUI" if value else "NON"
    if value is None or value == "" or value == []:
        return "Non renseigné"
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return ", ".join(display(item) for item in value) or "Non renseigné"
    name = getattr(value, "name", None)
    if isinstance(value, models.Model) and isinstance(name, str):
        return name  # a structure
    return str(value)
