"""NOS nomenclatures used by the ROR, as read-only tables keyed on their official code."""

from django.db import models


class Nomenclature(models.Model):
    code = models.CharField("code", max_length=10, primary_key=True)
    label = models.CharField("libellé", max_length=255)
    in_ror = models.BooleanField(
        "retenu par le ROR", default=True, help_text="Le code appartient au jeu de valeurs du ROR."
    )

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return self.label


class ChampActivite(Nomenclature):
    label_with_acronym = models.CharField("libellé affiché", max_length=255)
    short_label = models.CharField("libellé court", max_length=50, blank=True)

    class Meta(Nomenclature.Meta):
        verbose_name = "champ d'activité"
        verbose_name_plural = "champs d'activité (TRE_R227)"

    def __str__(self):
        return self.label_with_acronym or self.label


class CategorieEtablissement(Nomenclature):
    class Domaine(models.TextChoices):
        SANITAIRE = "sanitaire", "Sanitaire"
        MEDICO_SOCIAL = "medico_social", "Médico-social"
        COORDINATION = "coordination", "Coordination"
        VILLE = "ville", "Offre de ville"
        NON_DEFINI = "non_defini", "Non défini"

    domaine = models.CharField("domaine ROR", max_length=20, choices=Domaine, default=Domaine.NON_DEFINI)
    agregat_code = models.CharField("agrégat de catégorie", max_length=10, blank=True)
    agregat_label = models.CharField("libellé de l'agrégat", max_length=255, blank=True)

    class Meta(Nomenclature.Meta):
        verbose_name = "catégorie d'établissement"
        verbose_name_plural = "catégories d'établissement (TRE_R66)"

    def __str__(self):
        return f"{self.code} – {self.label}"

    @property
    def is_sanitaire(self):
        return self.domaine == self.Domaine.SANITAIRE


class ActiviteOperationnelle(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "activité opérationnelle"
        verbose_name_plural = "activités opérationnelles (JDV_J17)"


class ModePriseEnCharge(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "mode de prise en charge"
        verbose_name_plural = "modes de prise en charge (JDV_J19)"


class TypeOffre(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "type d'offre"
        verbose_name_plural = "types d'offre (JDV_J238)"


class NiveauConfidentialite(Nomenclature):
    PUBLIC = "1"
    PROFESSIONNELS = "2"
    REGULATION = "3"  # "Visible régulation et gestion de crise" (formerly "Accès très restreint")

    previous_label = models.CharField("ancien libellé", max_length=255, blank=True)

    class Meta(Nomenclature.Meta):
        verbose_name = "niveau de confidentialité"
        verbose_name_plural = "niveaux de confidentialité (TRE_R283)"

    @classmethod
    def codes_up_to(cls, level):
        """The codes a reader of ``level`` (1, 2 or 3) may see: that level and those below it."""
        return [code for code in (cls.PUBLIC, cls.PROFESSIONNELS, cls.REGULATION) if int(code) <= level]


class FonctionContact(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "fonction du contact"
        verbose_name_plural = "fonctions du contact (TRE_R251)"


class NatureContact(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "nature du contact"
        verbose_name_plural = "natures du contact (TRE_R287)"


class TypeOrganisationInterne(Nomenclature):
    short_label = models.CharField("libellé court", max_length=50, blank=True)

    class Meta(Nomenclature.Meta):
        verbose_name = "type d'organisation interne"
        verbose_name_plural = "types d'organisation interne (JDV_J203)"


class PublicPrisEnCharge(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "public pris en charge"
        verbose_name_plural = "publics pris en charge (TRE_R239)"


class TemporaliteAccueil(Nomenclature):
    class Meta(Nomenclature.Meta):
        verbose_name = "temporalité d'accueil"
        verbose_name_plural = "temporalités d'accueil (TRE_R240)"


class TypeFermeture(Nomenclature):
    DEFINITIVE = "DEF"
    PROVISOIRE = "PRO"

    class Meta(Nomenclature.Meta):
        verbose_name = "type de fermeture"
        verbose_name_plural = "types de fermeture (TRE_R286)"
