"""Names (offer, structure, contact) need a visible character and hold no control character."""

import unicodedata
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from offers.models import Contact, Offer
from ror_portal.validators import validate_name
from structures.models import Structure
from tests.page_forms import post_forms

INVISIBLE = "Le nom ne contient aucun caractère visible"
CONTROL = "Le nom contient un caractère de contrôle"

# Zero-width and format characters, fillers and blanks that render as nothing.
INVISIBLES = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero width no-break space (BOM)
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u061c",  # arabic letter mark
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u2061",  # function application
    "\u2062",  # invisible times
    "\u2063",  # invisible separator
    "\u2064",  # invisible plus
    "\u115f",  # hangul choseong filler
    "\u1160",  # hangul jungseong filler
    "\u3164",  # hangul filler
    "\uffa0",  # halfwidth hangul filler
    "\u2800",  # braille pattern blank
    "\u180e",  # mongolian vowel separator
    "\u17b4",  # khmer vowel inherent aq
    "\u17b5",  # khmer vowel inherent aa
    "\u0301",  # a combining accent on nothing
    "\ue000",  # private use
    "\u00a0",  # no-break space
    "\u2007",  # figure space
    "\u202f",  # narrow no-break space
    "\u3000",  # ideographic space
]
C0_C1 = [chr(code) for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
OTHER_CONTROLS = ["\u2028", "\u2029", *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]


def messages(value):
    try:
        validate_name(value)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize("character", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
def test_a_name_of_invisible_characters_only_is_refused(character):
    assert messages(character)[0].startswith(INVISIBLE)
    assert messages(character * 3 + " " + character)[0].startswith(INVISIBLE)


def test_a_name_of_any_mix_of_invisible_characters_and_spaces_is_refused():
    assert messages(" ".join(INVISIBLES))[0].startswith(INVISIBLE)


@pytest.mark.parametrize("character", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_next_to_visible_ones_are_accepted(character):
    assert messages(f"Cardio{character}logie") == []


def test_every_c0_and_c1_control_character_is_refused_anywhere_in_a_name():
    refused = {
        f"U+{ord(c):04X}" for c in C0_C1 if messages(f"CH{c}Albi") == [f"{CONTROL} (U+{ord(c):04X}) : retirez-le."]
    }

    assert refused == {f"U+{ord(c):04X}" for c in C0_C1}
    assert len(refused) == 65
    assert all(unicodedata.category(c) == "Cc" for c in C0_C1)


@pytest.mark.parametrize("character", OTHER_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_line_separators_and_bidirectional_overrides_are_refused(character):
    assert messages(f"CH{character}Albi")[0].startswith(CONTROL)
    assert messages(character)[0].startswith(CONTROL)


def test_every_other_character_of_the_first_two_planes_is_accepted_between_letters():
    refused = {ord(c) for c in [*C0_C1, *OTHER_CONTROLS]}
    codes = [code for code in range(0x20000) if not 0xD800 <= code <= 0xDFFF and code not in refused]

    wrongly_refused = [f"U+{code:04X}" for code in codes if messages(f"A{chr(code)}B")]

    assert wrongly_refused == []


@pytest.mark.parametrize(
    "name",
    [
        "Unité de Soins Intensifs Cardiologie (USIC)",
        "E.H.P.A.D. L'Oustal",
        "Soins de suite – Rééducation’s «test»",
        "Œnologie & cœur",
        "42",
        "·",
        "SSR 🏥",
        "Infirmière 👩‍⚕️",  # a ZWJ sequence
        "مستشفى",
        "Médecine\u00a0interne",
    ],
)
def test_ordinary_names_are_accepted(name):
    assert messages(name) == []


# --- wired into the forms -------------------------------------------------------------------------------------


@pytest.fixture
def usic(seed):
    return Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)")


@pytest.mark.parametrize(
    ("nom", "message"), [("\u200b\u200b", INVISIBLE), ("USIC\u202eCISU", CONTROL), ("US\tIC", CONTROL)]
)
def test_the_portal_form_refuses_the_name(client_for, usic, nom, message):
    data = {
        "nom": nom,
        "champ_activite": usic.champ_activite_id,
        "structure": usic.structure_id,
        "version": usic.version,
        "action": "publier",
    }

    response = client_for("gestionnaire").post(reverse("offer_edit", args=[usic.pk]), data)

    assert response.status_code == 200
    assert message in unescape(response.text)
    assert Offer.objects.get(pk=usic.pk).nom == usic.nom


def admin_change(client, obj, field, value):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    form = next(form for form in post_forms(client.get(url).text) if field in form.names)
    data = form.data() | {field: [value], "_save": ["Enregistrer"]}
    return client.post(url, data)


@pytest.mark.parametrize(("nom", "message"), [("\u200b\ufeff", INVISIBLE), ("USIC\x07", CONTROL)])
@pytest.mark.parametrize(
    ("get_object", "field"),
    [
        (lambda: Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)"), "nom"),
        (lambda: Structure.objects.get(name="Cardiologie", kind=Structure.Kind.SERVICE), "name"),
        (lambda: Contact.objects.filter(offer__nom__startswith="Unité de Soins Intensifs").first(), "nom"),
        (lambda: Offer.objects.get(nom="Unité de Soins Intensifs Cardiologie (USIC)"), "contacts-0-nom"),
    ],
    ids=["offre", "structure", "contact", "contact de l'offre"],
)
def test_the_admin_forms_refuse_the_name(client, seed, superuser, get_object, field, nom, message):
    obj = get_object()
    client.force_login(superuser)

    response = admin_change(client, obj, field, nom)

    assert response.status_code == 200
    assert message in unescape(response.text)
    obj.refresh_from_db()
    assert "\u200b" not in str(obj) and "\x07" not in str(obj)
