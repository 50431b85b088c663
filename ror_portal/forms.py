from django import forms
from django.contrib.auth.forms import AuthenticationForm

MAX_VERSION = 2**31 - 1  # the range of the version columns (a draft keeps the version it was based on)


class NumberField(forms.IntegerField):
    """An integer typed in ASCII digits: Django's ``int()`` would also read other scripts' digits ("١٢")."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DateInput(forms.DateInput):
    """The browser's date field (its value in ISO format; a typed JJ/MM/AAAA is read too)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class LoginForm(AuthenticationForm):
    """Django's login form, with the labels the page shows (the error summary repeats them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Identifiant"
        self.fields["password"].label = "Mot de passe"
