from django import forms

from nomenclatures.models import ChampActivite
from ror_portal.validators import validate_name

SENSITIVE_HELP = (
    "Les informations que je vais saisir présentent des risques d'utilisation à des fins malveillantes. "
    "Elles ne seront présentées qu'aux régulateurs et gestionnaires de crise. Le niveau de confidentialité "
    'des contacts sera automatiquement "très restreint".'
)


class OfferEditForm(forms.Form):
    """ "Informations générales" of an offer. The rattachement is checked by the move rules."""

    nom = forms.CharField(
        label="Nom de l'offre",
        max_length=255,
        validators=[validate_name],
        error_messages={"required": "Saisissez le nom de l'offre."},
    )
    champ_activite = forms.ModelChoiceField(
        label="Champ d'activité",
        queryset=ChampActivite.objects.filter(in_ror=True),
        empty_label="Sélectionnez un champ d'activité",
        error_messages={
            "required": "Sélectionnez le champ d'activité.",
            "invalid_choice": "Ce champ d'activité n'existe pas dans la nomenclature du ROR.",
        },
    )
    structure = forms.ModelChoiceField(
        label="Rattachement organisationnel",
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choisissez le rattachement organisationnel de l'offre.",
            "invalid_choice": "Ce rattachement n'existe pas ou ne vous est pas accessible.",
        },
    )
    unite_sensible = forms.BooleanField(
        label="Cette offre est à caractère sensible", required=False, help_text=SENSITIVE_HELP
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)  # the column's range

    def __init__(self, *args, offer, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.policy = policy
        self.fields["structure"].queryset = policy.picker_structures()

    def clean_nom(self):
        nom = " ".join(self.cleaned_data["nom"].split())
        if not nom:
            raise forms.ValidationError("Saisissez le nom de l'offre.")
        return nom

    def clean_structure(self):
        structure = self.cleaned_data["structure"]
        if structure.pk != self.offer.structure_id:
            reason = self.policy.refusal(structure)
            if reason:
                raise forms.ValidationError(reason)
        return structure

    @property
    def changes(self):
        return {name: self.cleaned_data[name] for name in ("nom", "champ_activite", "structure", "unite_sensible")}
