"""Form widgets whose HTML is built in Python where Django's templates cost more than the page's queries."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """A ``<select>`` rendered like Django's own, its options built in Python.

    Django renders each option through two templates; a formset of habilitations, each with the 101
    départements, spent most of the admin page's time there. Grouped choices (optgroups) keep Django's
    rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, (list, tuple)) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        selected = set(self.format_value(value))
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, mark_safe(" selected") if option in selected else "", label)
                for option, label in (("" if option is None else str(option), label) for option, label in choices)
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options)
