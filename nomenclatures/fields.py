"""Form fields choosing among a nomenclature's codes, listed and checked from ``nomenclatures.cache``.

A ``ModelChoiceField`` reads its table to render its options and again to check the choice: the offer's
characteristics form read five tables on every request, the creation page eleven. These read none (the cache
reads a table once per process). Only the codes the ROR retains (``in_ror``) are offered, unless told.
"""

from django import forms
from django.core.exceptions import ValidationError

from nomenclatures import cache


class NomenclatureChoiceField(forms.ChoiceField):
    """One code of ``model``; its cleaned value is the row. The first option is ``empty_label``."""

    def __init__(self, model, *, empty_label="---------", ror_only=True, **kwargs):
        self.model, self.ror_only, self.empty_label = model, ror_only, empty_label
        super().__init__(choices=self.options, **kwargs)

    def offered(self):
        rows = cache.table(self.model).values()
        return sorted((row for row in rows if row.in_ror or not self.ror_only), key=lambda row: row.pk)

    def options(self):
        return [("", self.empty_label), *((row.pk, str(row)) for row in self.offered())]

    def rows(self, codes):
        """The rows of ``codes`` (strings), None for a code not offered; the table is read again once at most
        when a code is missing (a code added by a load), whatever the number of codes sent."""
        table = cache.table(self.model)
        if any(code not in table for code in codes):
            table = cache.table(self.model, refresh=True)
        rows = [table.get(code) for code in codes]
        return [row if row is not None and (row.in_ror or not self.ror_only) else None for row in rows]

    def invalid(self, value):
        return ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        code = str(value)
        (row,) = self.rows([code])
        if row is None:
            raise self.invalid(code)
        return row

    def validate(self, value):
        forms.Field.validate(self, value)  # "required"; the code was checked by to_python

    def prepare_value(self, value):
        return getattr(value, "pk", value)

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        initial, data = self.prepare_value(initial), self.prepare_value(data)
        return str(initial if initial is not None else "") != str(data if data is not None else "")


class NomenclatureMultipleChoiceField(NomenclatureChoiceField):
    """Several codes of ``model``; its cleaned value is the list of rows, in code order."""

    widget = forms.SelectMultiple
    hidden_widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid_list": "Saisissez une liste de valeurs."}

    def options(self):
        return [(row.pk, str(row)) for row in self.offered()]

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        codes = list(dict.fromkeys(str(item) for item in value))
        rows = self.rows(codes)
        for code, row in zip(codes, rows, strict=True):
            if row is None:
                raise self.invalid(code)
        return sorted(rows, key=lambda row: row.pk)

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return [getattr(item, "pk", item) for item in value]
        return super().prepare_value(value)

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        initial = {str(code) for code in (self.prepare_value(initial) or [])}
        data = {str(code) for code in (self.prepare_value(data) or [])}
        return initial != data
