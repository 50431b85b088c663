import hashlib

from django import forms
from django.core.cache import cache as shared_cache
from django.db.models import Exists, OuterRef, Q

from nomenclatures import cache
from nomenclatures.models import CategorieEtablissement
from ror_portal.compiled import Param
from ror_portal.forms import MAX_VERSION, DateInput, NumberField
from ror_portal.validators import validate_code, validate_name
from structures import departements
from structures.finess import FINESS_RE
from structures.models import Structure

CATEGORIES_KEPT = 600  # seconds


def categories_in_scope(user):
    """The catégories of the EG in ``user``'s scope, the EG list's filter choices: kept 10 minutes per scope in
    Django's cache (a new habilitation is a new scope; a FINESS import's new catégorie shows within 10 minutes).
    The query probes one index range per catégorie of the nomenclature (≈ 330) for a national scope: read at every
    request, it was a query of every EG list page."""
    key = "eg-categories:" + hashlib.sha256(repr(user.access_key).encode()).hexdigest()
    codes = shared_cache.get(key)
    if codes is None:
        etablissements = Structure.objects.etablissements_visible_to(user)
        codes = list(
            CategorieEtablissement.objects.filter(
                Exists(etablissements.order_by().filter(categorie_id=OuterRef("code")))
            )
            .order_by("code")
            .values_list("code", flat=True)
        )
        shared_cache.set(key, codes, CATEGORIES_KEPT)
    return codes


class EtablissementFilterForm(forms.Form):
    """Filters of "Mes établissements géographiques (EG)"; choices come from the user's own EG."""

    SORTS = {"nom": "nom (A → Z)", "-nom": "nom (Z → A)"}

    q = forms.CharField(label="Nom ou FINESS", required=False, max_length=100)
    departement = forms.ChoiceField(label="Département", required=False)
    categorie = forms.ChoiceField(label="Catégorie d'établissement", required=False)
    ej = forms.RegexField(label="Entité juridique (FINESS EJ)", regex=r"^[0-9][0-9AB][0-9]{7}$", required=False)
    tri = forms.ChoiceField(label="Trier par", required=False, choices=list(SORTS.items()))

    def __init__(self, data, user):
        super().__init__(data)
        # Neither list reads the user's EG one by one: a national scope holds 50,000 of them.
        codes = Structure.objects.departements_visible_to(user)
        self.fields["departement"].choices = [("", "Tous les départements")] + sorted(
            (code, f"{code} – {departements.name(code)}") for code in codes
        )
        self.fields["categorie"].choices = [("", "Toutes les catégories")] + [
            (code, str(cache.get(CategorieEtablissement, code))) for code in categories_in_scope(user)
        ]

    NAME_MIN_LENGTH = 3  # trigram indexes (PostgreSQL) need three characters; fewer would read every EG

    def clean_q(self):
        term = self.cleaned_data["q"].strip()
        if term and not FINESS_RE.match(term.upper()) and len(term) < self.NAME_MIN_LENGTH:
            raise forms.ValidationError(
                f"Saisissez au moins {self.NAME_MIN_LENGTH} caractères du nom, ou un numéro FINESS à 9 caractères."
            )
        return term

    # The condition of each filter, its value a placeholder of the compiled list (offers.structure_views).
    CONDITIONS = {
        "finess": Q(finess_et=Param("q")),
        "nom": Q(name__icontains=Param("q")),
        "departement": Q(departement=Param("departement")),
        "categorie": Q(categorie_id=Param("categorie")),
        "ej": Q(entite_juridique__finess_ej=Param("ej")),
    }
    INVALID = ("invalide",)

    def criteria(self):
        """(the filters asked for, by name: a key of the compiled list; their values), ``INVALID`` when the
        filters are not valid (no row)."""
        if not self.is_bound:
            return (), {}
        if not self.is_valid():
            return self.INVALID, {}
        data, filters, values = self.cleaned_data, [], {}
        if data["q"]:
            finess = FINESS_RE.match(data["q"].upper())
            filters.append("finess" if finess else "nom")
            values["q"] = data["q"].upper() if finess else data["q"]
        for name in ("departement", "categorie", "ej"):
            if data[name]:
                filters.append(name)
                values[name] = data[name]
        return tuple(filters), values

    @classmethod
    def filtered(cls, queryset, filters):
        """``queryset`` with the conditions of ``filters`` (``criteria``)."""
        if filters == cls.INVALID:
            return queryset.none()
        return queryset.filter(*(cls.CONDITIONS[name] for name in filters))

    @property
    def sort(self):
        return (self.cleaned_data.get("tri") if self.is_bound and self.is_valid() else None) or "nom"


# --- the internal organisation (structures.organisation states the rules; the models re-check them) ---------


def hidden_number(maximum):
    """A number the page sent back (a version, an id): anything else means a page tampered with or outdated."""
    return NumberField(
        widget=forms.HiddenInput,
        min_value=1,
        max_value=maximum,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), INCOMPLETE),
    )


INCOMPLETE = "La demande est incomplète : rechargez la page et recommencez."


class StructureForm(forms.Form):
    """ "Modifier" an internal structure: nom, date d'ouverture, code in the EG."""

    name = forms.CharField(
        label="Nom",
        max_length=255,
        validators=[validate_name],
        error_messages={
            "required": "Saisissez le nom de la structure.",
            "max_length": "Le nom ne dépasse pas 255 caractères.",
        },
    )
    opened_on = forms.DateField(
        label="Date d'ouverture",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Saisissez la date d'ouverture au format JJ/MM/AAAA."},
    )
    code = forms.CharField(
        label="Code dans l'établissement",
        required=False,
        max_length=20,
        validators=[validate_code],
        help_text="Facultatif : le code de la structure dans l'établissement, par exemple son code UF.",
        error_messages={"max_length": "Le code ne dépasse pas 20 caractères."},
    )
    version = hidden_number(MAX_VERSION)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    @property
    def changes(self):
        return {name: self.cleaned_data[name] for name in Structure.CHANGEABLE_FIELDS}


class StructureAddForm(StructureForm):
    """ "Ajouter une structure interne": the type (those allowed under ``parent``), then the fields of a change."""

    field_order = ["kind", "name", "opened_on", "code"]

    kind = forms.ChoiceField(
        label="Type",
        error_messages={
            "required": "Sélectionnez le type de la structure.",
            "invalid_choice": "Ce type de structure ne peut pas être ajouté ici.",
        },
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        labels = {Structure.Kind.SERVICE: "Structure interne ou service"}
        self.fields["kind"].choices = [("", "Sélectionnez le type")] + [
            (kind.value, labels.get(kind, kind.label)) for kind in kinds
        ]


class ClosingForm(forms.Form):
    """ "Fermer la structure": its date (everything below closes at the same date)."""

    closed_on = forms.DateField(
        label="Date de fermeture",
        widget=DateInput,
        error_messages={
            "required": "Saisissez la date de fermeture.",
            "invalid": "Saisissez la date de fermeture au format JJ/MM/AAAA.",
        },
    )
    version = hidden_number(MAX_VERSION)


class ReopeningForm(forms.Form):
    with_contents = forms.BooleanField(label="Rouvrir aussi ce qui a été fermé avec elle", required=False)
    version = hidden_number(MAX_VERSION)


class MoveForm(forms.Form):
    cible = hidden_number(2**63 - 1)
    version = hidden_number(MAX_VERSION)
