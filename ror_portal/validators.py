"""Validators shared by the portal's forms and the admin (every app may import this module)."""

import re
import unicodedata

from django.core.exceptions import ValidationError

# Letters with no glyph (Hangul fillers, the Braille blank, the Mongolian vowel separator…): they count as
# invisible although their Unicode category says "letter" or "symbol".
BLANK_CHARACTERS = frozenset("\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")
# Embeddings, overrides and isolates reorder the text around them (a name can then display as another).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters (C0, DEL, C1), line and paragraph separators: a one-line name never holds them.
LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
VISIBLE = ("L", "N", "P", "S")  # letters, numbers, punctuation, symbols


def is_visible(character):
    return unicodedata.category(character).startswith(VISIBLE) and character not in BLANK_CHARACTERS


def validate_name(value):
    """A one-line name (offer, structure, contact): at least one visible character, no control character.

    Spaces, zero-width characters (U+200B…U+200D, U+2060, U+FEFF), combining marks and blank letters are
    allowed between visible characters but are not a name on their own.
    """
    for character in value:
        if unicodedata.category(character) in LINE_BREAKING or character in BIDI_CONTROLS:
            raise ValidationError(
                "Le nom contient un caractère de contrôle (U+%(code)04X) : retirez-le.",
                code="control_character",
                params={"code": ord(character)},
            )
    if not any(is_visible(character) for character in value):
        raise ValidationError(
            "Le nom ne contient aucun caractère visible : saisissez des lettres ou des chiffres.", code="invisible"
        )


CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,19}")


def validate_code(value):
    """An internal structure's code in its EG (a code UF): ASCII letters and digits, then . _ / - at most."""
    if not CODE_RE.fullmatch(value):
        raise ValidationError(
            "Le code s'écrit avec des lettres sans accent, des chiffres et les signes . _ / - (20 caractères au plus).",
            code="invalid_code",
        )
