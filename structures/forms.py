from django import forms

from nomenclatures.models import CategorieEtablissement
from structures import departements
from structures.finess import FINESS_RE


class EtablissementFilterForm(forms.Form):
    """Filters of "Mes établissements géographiques (EG)"; choices come from the user's own EG."""

    SORTS = {"nom": "nom (A → Z)", "-nom": "nom (Z → A)"}

    q = forms.CharField(label="Nom ou FINESS", required=False, max_length=100)
    departement = forms.ChoiceField(label="Département", required=False)
    categorie = forms.ChoiceField(label="Catégorie d'établissement", required=False)
    ej = forms.RegexField(label="Entité juridique (FINESS EJ)", regex=r"^[0-9][0-9AB][0-9]{7}$", required=False)
    tri = forms.ChoiceField(label="Trier par", required=False, choices=list(SORTS.items()))

    def __init__(self, data, etablissements):
        super().__init__(data)
        codes = etablissements.order_by().values_list("departement", flat=True).distinct()
        self.fields["departement"].choices = [("", "Tous les départements")] + sorted(
            (code, f"{code} – {departements.name(code)}") for code in codes
        )
        categories = CategorieEtablissement.objects.filter(
            code__in=etablissements.order_by().values("categorie_id")
        ).order_by("code")
        self.fields["categorie"].choices = [("", "Toutes les catégories")] + [
            (categorie.code, str(categorie)) for categorie in categories
        ]

    def filter(self, queryset):
        data = self.cleaned_data
        if data["q"]:
            term = data["q"].strip()
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
