"""The blocks of an offer: one form per block, which lists the block's fields (named as the ``Offer`` fields) and
their labels. Drafts store each block's values under its key, history and differences take their labels here,
and ``Offer.publish`` accepts the fields of these forms and nothing else."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models

from nomenclatures import cache
from nomenclatures.fields import NomenclatureChoiceField, NomenclatureMultipleChoiceField
from nomenclatures.models import (
    ActiviteOperationnelle,
    ChampActivite,
    FonctionContact,
    ModePriseEnCharge,
    NatureContact,
    NiveauConfidentialite,
    PublicPrisEnCharge,
    TemporaliteAccueil,
    TypeFermeture,
    TypeOffre,
)
from offers.models import OFFER_CODES, PARTS, Contact, ModeleSaisie, Offer, Telecom
from offers.values import display, to_raw
from ror_portal.compiled import CompiledQuery, Param
from ror_portal.forms import MAX_VERSION, DateInput, NumberField
from ror_portal.validators import validate_name
from structures.models import Structure

SENSITIVE_HELP = (
    "Les informations que je vais saisir présentent des risques d'utilisation à des fins malveillantes. "
    "Elles ne seront présentées qu'aux régulateurs et gestionnaires de crise. Le niveau de confidentialité "
    'des contacts sera automatiquement "très restreint".'
)
AGE_LIMIT = 120


class BlockForm(forms.Form):
    """A block of the offer page. Subclasses set ``block`` (its key in a draft) and ``title``, and list their
    fields; ``legends`` gives the label of a field whose form label is a sentence (a checkbox's)."""

    do_not_call_in_templates = True  # the class itself is handed to templates (its title, its slug)
    block = None
    slug = None  # in the URL of the block's own page (the general block has the offer's edit page)
    title = None
    legends = {}

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)

    def __init__(self, *args, offer, policy=None, partial=False, **kwargs):
        """``partial``: a new offer's draft, where a field left empty is allowed (what is given is checked)."""
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.policy = policy
        if partial:
            for field in self.fields.values():
                field.marked_required, field.required = field.required, False  # still marked "*" on the page

    @classmethod
    def field_names(cls):
        return [name for name in cls.base_fields if name != "version"]

    @classmethod
    def label(cls, name):
        return cls.legends.get(name) or cls.base_fields[name].label

    @classmethod
    def raw_values(cls, offer):
        """The offer's published values of the block, as a draft stores them."""
        return {name: raw_value(offer, name) for name in cls.field_names()}

    @property
    def changes(self):
        """What to publish: {field name: value} of every field of the block."""
        return {name: self.cleaned_data[name] for name in self.field_names()}

    def draft_values(self):
        """The block's cleaned values as a draft stores them (JSON: ids, codes, ISO dates)."""
        return {name: to_raw(self.cleaned_data[name]) for name in self.field_names()}


class GeneralForm(BlockForm):
    """ "Informations générales". The rattachement is checked by the move rules."""

    block = "general"
    title = "Informations générales"
    legends = {"unite_sensible": "Unité sensible"}

    nom = forms.CharField(
        label="Nom de l'offre",
        max_length=255,
        validators=[validate_name],
        error_messages={"required": "Saisissez le nom de l'offre."},
    )
    champ_activite = NomenclatureChoiceField(
        ChampActivite,
        label="Champ d'activité",
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "structure" in self.fields:
            self.fields["structure"].queryset = self.policy.picker_structures()

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


class ModeleSelect(forms.Select):
    """The modèles' options, each with the champs d'activité it applies to (``data-champs``, rendered by
    ``select_options``): the page's script shows those of the chosen champ; without JavaScript all are listed
    and the server checks the pair."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_attrs = {}


class CreationForm(GeneralForm):
    """ "Créer une offre": the general block without the rattachement (the structure whose page it is) and with
    the modèle de saisie, among those valid for the EG's catégorie and the champ d'activité; the offer keeps the
    modèle's identifiant afterwards."""

    block = "creation"  # not a block of BLOCKS: the modèle is not published afterwards
    structure = None

    modele_saisie = forms.ChoiceField(
        label="Modèle de saisie",
        widget=ModeleSelect,
        error_messages={
            "required": "Sélectionnez le modèle de saisie.",
            "invalid_choice": "Ce modèle de saisie n'existe pas ou ne s'applique pas à cet établissement.",
        },
    )

    field_order = ["nom", "champ_activite", "modele_saisie", "unite_sensible"]

    def __init__(self, *args, categorie, **kwargs):
        super().__init__(*args, **kwargs)
        categorie = getattr(categorie, "pk", categorie)
        self.modeles, self.modele_champs = {}, {}  # identifiant -> the modèle, and its champs d'activité
        for pk, identifiant, libelle, champ in VALID_MODELES(categorie=categorie):
            if identifiant not in self.modeles:
                self.modeles[identifiant] = ModeleSaisie(pk=pk, identifiant=identifiant, libelle=libelle, actif=True)
                self.modele_champs[identifiant] = []
            if champ is not None:
                self.modele_champs[identifiant].append(champ)
        self.fields["modele_saisie"].widget.option_attrs = {
            identifiant: {"data-champs": " ".join(champs)} for identifiant, champs in self.modele_champs.items()
        }
        self.fields["modele_saisie"].choices = [("", "Sélectionnez un modèle de saisie")] + [
            (identifiant, str(modele)) for identifiant, modele in self.modeles.items()
        ]

    def clean_modele_saisie(self):
        # One of the choices (ChoiceField checked it): the modèle read in __init__.
        return self.modeles[self.cleaned_data["modele_saisie"]]

    def clean(self):
        cleaned = super().clean()
        modele, champ = cleaned.get("modele_saisie"), cleaned.get("champ_activite")
        if modele is not None and champ is not None and champ.pk not in self.modele_champs[modele.identifiant]:
            self.add_error(
                "modele_saisie",
                f"Le modèle de saisie « {modele.identifiant} » ne s'applique pas au champ d'activité « {champ} » : "
                "choisissez-en un autre.",
            )
        return cleaned

    @property
    def changes(self):
        return super().changes | {"modele_saisie": self.cleaned_data["modele_saisie"].identifiant}

    @classmethod
    def raw_values(cls, offer):
        return {name: raw_value(offer, name) for name in ("nom", "champ_activite", "unite_sensible")} | {
            "modele_saisie": offer.modele_saisie
        }


def age_field(bound):
    """ "Âge minimum (ans)" or "Âge maximum (ans)": optional, 0 to AGE_LIMIT years, in ASCII digits."""
    return NumberField(
        label=f"Âge {bound} (ans)",
        required=False,
        min_value=0,
        max_value=AGE_LIMIT,
        error_messages={
            "invalid": f"Saisissez l'âge {bound} en années, en chiffres.",
            "min_value": f"L'âge {bound} ne peut pas être négatif.",
            "max_value": f"L'âge {bound} ne peut pas dépasser {AGE_LIMIT} ans.",
        },
    )


class CharacteristicsForm(BlockForm):
    """ "Caractéristiques de l'offre": type, mode de prise en charge, activités opérationnelles, patientèle."""

    block = "characteristics"
    slug = "caracteristiques"
    title = "Caractéristiques de l'offre"

    type_offre = NomenclatureChoiceField(
        TypeOffre,
        label="Type d'offre",
        required=False,
        empty_label="Non renseigné",
        error_messages={"invalid_choice": "Ce type d'offre n'existe pas dans la nomenclature du ROR."},
    )
    mode_prise_en_charge = NomenclatureChoiceField(
        ModePriseEnCharge,
        label="Mode de prise en charge",
        empty_label="Sélectionnez un mode de prise en charge",
        error_messages={
            "required": "Sélectionnez le mode de prise en charge.",
            "invalid_choice": "Ce mode de prise en charge n'existe pas dans la nomenclature du ROR.",
        },
    )
    activites = NomenclatureMultipleChoiceField(
        ActiviteOperationnelle,
        label="Activités opérationnelles",
        error_messages={
            "required": "Sélectionnez au moins une activité opérationnelle.",
            "invalid_choice": "Cette activité opérationnelle n'existe pas dans la nomenclature du ROR.",
            "invalid_pk_value": "Cette activité opérationnelle n'existe pas dans la nomenclature du ROR.",
        },
    )
    temporalite_accueil = NomenclatureChoiceField(
        TemporaliteAccueil,
        label="Temporalité d'accueil",
        required=False,
        empty_label="Non renseignée",
        error_messages={"invalid_choice": "Cette temporalité d'accueil n'existe pas dans la nomenclature du ROR."},
    )
    publics = NomenclatureMultipleChoiceField(
        PublicPrisEnCharge,
        label="Public pris en charge",
        required=False,
        error_messages={
            "invalid_choice": "Ce public n'existe pas dans la nomenclature du ROR.",
            "invalid_pk_value": "Ce public n'existe pas dans la nomenclature du ROR.",
        },
    )
    age_min = age_field("minimum")
    age_max = age_field("maximum")

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", "L'âge maximum doit être supérieur ou égal à l'âge minimum.")
        return cleaned


class ClosingForm(BlockForm):
    """ "Fermeture": the date, the kind (définitive or provisoire, TRE_R286) and, for a provisional closing, the
    expected date of reopening. Reopening publishes the three fields empty."""

    block = "closing"
    slug = "fermeture"
    title = "Fermeture"

    closed_on = forms.DateField(
        label="Date de fermeture",
        widget=DateInput,
        error_messages={
            "required": "Saisissez la date de fermeture.",
            "invalid": "Saisissez la date de fermeture au format JJ/MM/AAAA.",
        },
    )
    closing_type = NomenclatureChoiceField(
        TypeFermeture,
        label="Type de fermeture",
        empty_label="Sélectionnez le type de fermeture",
        error_messages={
            "required": "Sélectionnez le type de fermeture.",
            "invalid_choice": "Ce type de fermeture n'existe pas dans la nomenclature du ROR.",
        },
    )
    reopening_on = forms.DateField(
        label="Date prévisionnelle de réouverture",
        widget=DateInput,
        required=False,
        help_text="Pour une fermeture provisoire.",
        error_messages={"invalid": "Saisissez la date de réouverture au format JJ/MM/AAAA."},
    )

    def clean(self):
        cleaned = super().clean()
        closed_on, kind, reopening_on = (cleaned.get(name) for name in ("closed_on", "closing_type", "reopening_on"))
        if reopening_on is not None:
            if kind is not None and kind.pk != TypeFermeture.PROVISOIRE:
                self.add_error("reopening_on", "Seule une fermeture provisoire a une date de réouverture.")
            elif closed_on is not None and reopening_on <= closed_on:
                self.add_error("reopening_on", "La date de réouverture doit suivre la date de fermeture.")
        return cleaned


BLOCKS = {form.block: form for form in (GeneralForm, CharacteristicsForm, ClosingForm)}
BLOCK_PAGES = {form.slug: form for form in (CharacteristicsForm, ClosingForm)}  # edited on a page of their own
REOPENING = dict.fromkeys(ClosingForm.field_names())  # "Rouvrir l'offre": what it publishes


def confidentialite_field():
    return NomenclatureChoiceField(
        NiveauConfidentialite,
        ror_only=False,
        label="Niveau de confidentialité",
        empty_label="Sélectionnez un niveau",
        error_messages={
            "required": "Sélectionnez le niveau de confidentialité.",
            "invalid_choice": "Ce niveau de confidentialité n'existe pas dans la nomenclature du ROR.",
        },
    )


class ContactForm(forms.ModelForm):
    """A contact of the offer (the "Contacts" block, one form per contact)."""

    fonction = NomenclatureChoiceField(
        FonctionContact,
        label="Fonction",
        required=False,
        empty_label="Non renseignée",
        error_messages={"invalid_choice": "Cette fonction n'existe pas dans la nomenclature du ROR."},
    )
    nature = NomenclatureChoiceField(
        NatureContact,
        ror_only=False,
        label="Nature",
        required=False,
        empty_label="Non renseignée",
        error_messages={"invalid_choice": "Cette nature de contact n'existe pas dans la nomenclature du ROR."},
    )
    confidentialite = confidentialite_field()

    class Meta:
        model = Contact
        fields = ["nom", "fonction", "nature", "description", "confidentialite"]
        error_messages = {"nom": {"required": "Saisissez le nom du contact."}}


PHONE_CANALS = {Telecom.Canal.TELEPHONE, Telecom.Canal.FAX, Telecom.Canal.SMS}
NATIONAL_NUMBER = re.compile(r"0[1-9][0-9]{8}")
INTERNATIONAL_NUMBER = re.compile(r"\+[1-9][0-9]{7,14}")
PHONE_SEPARATORS = re.compile(r"[ .\-]")
PHONE_MESSAGE = (
    "Saisissez un numéro français à 10 chiffres (05 61 00 00 00) ou un numéro international commençant par + "
    "(+33 5 61 00 00 00)."
)


def normalised_value(canal, value):
    """The value of a télécom checked for its canal, in its usual writing; ValidationError (French) otherwise."""
    value = " ".join(value.split())
    if canal in PHONE_CANALS:
        digits = PHONE_SEPARATORS.sub("", value)
        if NATIONAL_NUMBER.fullmatch(digits):
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        if INTERNATIONAL_NUMBER.fullmatch(digits):
            return digits
        raise forms.ValidationError(PHONE_MESSAGE)
    if canal in (Telecom.Canal.EMAIL, Telecom.Canal.MSSANTE):
        try:
            validate_email(value)
        except ValidationError:
            raise forms.ValidationError("Saisissez une adresse électronique valide (nom@domaine.fr).") from None
        if canal == Telecom.Canal.MSSANTE and not value.lower().endswith(".mssante.fr"):
            raise forms.ValidationError(
                "Une adresse de messagerie sécurisée de santé se termine par .mssante.fr (nom@hopital.mssante.fr)."
            )
        return value
    if canal == Telecom.Canal.URL:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise forms.ValidationError("Saisissez l'adresse complète du site web (https://www.exemple.fr).") from None
    return value


class TelecomForm(forms.ModelForm):
    """A télécom of a contact: the value is checked for its canal (French phone numbers, e-mail, web address)."""

    class Meta:
        model = Telecom
        fields = ["canal", "valeur", "confidentialite"]
        error_messages = {
            "canal": {"required": "Sélectionnez le canal.", "invalid_choice": "Ce canal n'existe pas."},
            "valeur": {"required": "Saisissez la valeur (numéro, adresse…)."},
        }

    confidentialite = confidentialite_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canal"].choices = [("", "Sélectionnez un canal"), *Telecom.Canal.choices]

    def clean(self):
        cleaned = super().clean()
        canal, value = cleaned.get("canal"), cleaned.get("valeur")
        if canal and value:
            try:
                cleaned["valeur"] = normalised_value(canal, value)
                self.instance.valeur = cleaned["valeur"]
            except forms.ValidationError as error:
                self.add_error("valeur", error)
        return cleaned


class BaseTelecomFormSet(forms.BaseInlineFormSet):
    default_error_messages = {
        **forms.BaseInlineFormSet.default_error_messages,
        "too_few_forms": "Saisissez au moins une télécom (canal et valeur).",
    }

    def clean(self):
        super().clean()
        # Django treats a submitted id that is not one of the contact's télécoms as a new row: refuse it.
        if any(form.instance.pk is None for form in self.initial_forms):
            raise forms.ValidationError("Une télécom envoyée n'appartient pas à ce contact : rechargez la page.")


TelecomFormSet = forms.inlineformset_factory(
    Contact, Telecom, form=TelecomForm, formset=BaseTelecomFormSet, extra=1, min_num=1, validate_min=True,
    can_delete=True,
)  # fmt: skip


def contact_forms(data, contact, offer, prefix=None):
    """A contact's form and its télécoms' formset (bound to ``data``, or empty); a sensitive unit's new contact
    and new télécoms are offered "Visible régulation et gestion de crise" first."""
    level = {"confidentialite": Offer.RESTRICTED_LEVEL} if offer is not None and offer.unite_sensible else {}
    form = ContactForm(data, instance=contact, prefix=prefix, initial=level if contact.pk is None else {})
    formset = TelecomFormSet(data, instance=contact, prefix="telecoms", form_kwargs={"initial": level})
    return form, formset


PART_FORMS = {Contact: ContactForm, Telecom: TelecomForm}


def part_fields(model):
    return PART_FORMS[model]._meta.fields


def part_label(model, row, name=None):
    """ "Contact « Secrétariat »", "Télécom de « Secrétariat »", or the label of one of the row's fields."""
    if name is not None:
        return str(PART_FORMS[model].base_fields[name].label)
    if model is Contact:
        return f"Contact « {row.nom} »"
    return f"Télécom de « {row.contact.nom} »"


def block_of(name):
    """The block form that lists the field ``name``, or None."""
    return next((form for form in BLOCKS.values() if name in form.field_names()), None)


def publishable_fields():
    """What ``Offer.publish`` accepts: the fields of the blocks, and the contacts and their télécoms."""
    return {name for form in BLOCKS.values() for name in form.field_names()} | set(PARTS)


def field_label(name):
    if name in PARTS:
        return str(PARTS[name]._meta.verbose_name_plural).capitalize()
    form = block_of(name)
    return form.label(name) if form else name


# The active modèles de saisie for an EG's catégorie with the champs d'activité of each (the creation page), in one
# query: a row per modèle and champ, a modèle without champs on one row with None.
VALID_MODELES = CompiledQuery(
    lambda: (
        ModeleSaisie.objects.valid_for(Param("categorie"))
        .order_by("identifiant", "champs__code")
        .values_list("pk", "identifiant", "libelle", "champs__code")
    )
)


# --- values as drafts keep them (JSON) ------------------------------------------------------------------


def raw_value(offer, name):
    """The offer's published value of ``name`` as a draft stores it."""
    field = Offer._meta.get_field(name)
    if field.many_to_many:  # the codes of the nomenclature rows (their primary keys)
        activites, publics = Offer.group_codes(OFFER_CODES(offer=offer.pk)).get(offer.pk, ([], []))
        return {"activites": activites, "publics": publics}[name]
    return to_raw(getattr(offer, field.attname))


def raw_structure_ids(raw_blocks):
    """The structure ids that a draft's blocks mention (read together, for the differences)."""
    return {values["structure"] for values in raw_blocks.values() if isinstance(values.get("structure"), int)}


def display_raw(name, raw, structures):
    """The text shown for a draft's raw value; ``structures`` maps structure ids to the structures read."""
    field = Offer._meta.get_field(name)
    if raw is None or raw == [] or raw == "":
        return display(None)
    if not field.is_relation:
        return display(datetime.date.fromisoformat(raw) if isinstance(field, models.DateField) else raw)
    if field.related_model is Structure:
        node = structures.get(raw)
        return node.name if node else "Structure supprimée"
    codes = raw if field.many_to_many else [raw]
    rows = [cache.get(field.related_model, code) for code in codes]
    return ", ".join(str(row) if row else f"code inconnu « {code} »" for row, code in zip(rows, codes, strict=True))
