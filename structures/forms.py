from django import forms
from django.db.models import Exists, OuterRef

from nomenclatures import cache
from nomenclatures.models import CategorieEtablissement
from structures import departements
from structures.finess import FINESS_RE
from structures.models import Structure


class EtablissementFilterForm(forms.Form):
    """Filters of "Mes établissements géographiques (EG)"; choices come from the user's own EG."""

    SORTS = {"nom": "nom (A → Z)", "-nom": "nom (Z → A)"}

    q = forms.CharField(label="Nom ou FINESS", required=False, max_length=100)
    departement = forms.ChoiceField(label="Département", required=False)
    categorie = forms.ChoiceField(label="Catégorie d'établissement", required=False)
    ej = forms.RegexField(label="Entité juridique (FINESS EJ)", regex=r"^[0-9][0-9AB][0-9]{7}$", required=False)
    tri = forms.ChoiceField(label="Trier par", required=False, choices=list(SORTS.items()))

    def __init__(self, data, etablissements, user):
        super().__init__(data)
        # Neither list reads the user's EG one by one: a national scope holds 50,000 of them.
        codes = Structure.objects.departements_visible_to(user)
        self.fields["departement"].choices = [("", "Tous les départements")] + sorted(
            (code, f"{code} – {departements.name(code)}") for code in codes
        )
        # One index probe per catégorie of the nomenclature (≈ 180) for a national scope, a semi-join over
        # the few EG of a small one: the database picks.
        codes = (
            CategorieEtablissement.objects.filter(
                Exists(etablissements.order_by().filter(categorie_id=OuterRef("code")))
            )
            .order_by("code")
            .values_list("code", flat=True)
        )
        self.fields["categorie"].choices = [("", "Toutes les catégories")] + [
            (code, str(cache.get(CategorieEtablissement, code))) for code in codes
        ]

    NAME_MIN_LENGTH = 3  # trigram indexes (PostgreSQL) need three characters; fewer would read every EG

    def clean_q(self):
        term = self.cleaned_data["q"].strip()
        if term and not FINESS_RE.match(term.upper()) and len(term) < self.NAME_MIN_LENGTH:
            raise forms.ValidationError(
                f"Saisissez au moins {self.NAME_MIN_LENGTH} caractères du nom, ou un numéro FINESS à 9 caractères."
            )
        return term

    def filter(self, queryset):
        data = self.cleaned_data
        if data["q"]:
            term = data["q"]
            if FINESS_RE.match(term.upper()):
                queryset = queryset.filter(finess_et=term.upper())
            else:
                queryset = queryset.filter(name__icontains=term)
        if data["departement"]:
            queryset = queryset.filter(departement=data["departement"])
        if data["categorie"]:
            queryset = queryset.filter(categorie_id=data["categorie"])
        if data["ej"]:
            queryset = queryset.filter(entite_juridique__finess_ej=data["ej"])
        return queryset

    @property
    def sort(self):
        return (self.cleaned_data.get("tri") if self.is_bound and self.is_valid() else None) or "nom"
