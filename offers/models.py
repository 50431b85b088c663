"""The offer (HealthcareService in the ROR's FHIR model) and what it carries.

An offer is a plain row attached to one structure of the tree (an EG or an internal structure),
not a tree node: moving it is a one-row update.
"""

from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from nomenclatures.models import NiveauConfidentialite
from structures import departements
from structures.models import Structure


class OfferQuerySet(models.QuerySet):
    def managed_by(self, user):
        """Offers that ``user`` may change: responsables of the EG and référents of its territory."""
        return self.filter(structure__in=Structure.objects.managed_by(user))

    def visible_to(self, user):
        """Offers that ``user`` may open: managers and régulateurs."""
        return self.filter(structure__in=Structure.objects.visible_to(user))

    def restricted_visible_to(self, user):
        """Offers whose restricted details ``user`` may read: contacts "Visible régulation et gestion de
        crise" and everything about a sensitive unit. The arrêté du 26 décembre 2023 reserves them to
        regulation and crisis profiles; the EG's own responsables and its référents keep them up to date.
        """
        from accounts.models import Habilitation

        roles = [Habilitation.Role.RESPONSABLE, Habilitation.Role.REFERENT, Habilitation.Role.REGULATEUR]
        return self.filter(structure__in=Structure.objects.in_scope_of(user, roles))

    def with_access(self, user):
        """Annotate ``can_manage`` and ``can_read_restricted`` for ``user`` (in the same query)."""
        return self.annotate(
            can_manage=Exists(Offer.objects.managed_by(user).filter(pk=OuterRef("pk"))),
            can_read_restricted=Exists(Offer.objects.restricted_visible_to(user).filter(pk=OuterRef("pk"))),
        )


class OfferIdentifierSequence(models.Model):
    """Last sequence number given per region: identifiants de l'offre are "<region>/<n>", never reused."""

    region = models.CharField("code région", max_length=3, primary_key=True)
    last_value = models.PositiveIntegerField("dernière valeur", default=0)

    class Meta:
        verbose_name = "séquence d'identifiants d'offre"
        verbose_name_plural = "séquences d'identifiants d'offre"

    def __str__(self):
        return f"{self.region}/{self.last_value}"

    @classmethod
    @transaction.atomic
    def next_identifiant(cls, region):
        cls.objects.get_or_create(region=region)
        sequence = cls.objects.select_for_update().get(region=region)
        sequence.last_value = F("last_value") + 1
        sequence.save(update_fields=["last_value"])
        sequence.refresh_from_db(fields=["last_value"])
        return f"{region}/{sequence.last_value}"


class Offer(models.Model):
    RESTRICTED_LEVEL = NiveauConfidentialite.REGULATION

    structure = models.ForeignKey(
        Structure,
        verbose_name="rattachement organisationnel",
        on_delete=models.PROTECT,
        related_name="offers",
    )
    nom = models.CharField("nom de l'offre", max_length=255)
    champ_activite = models.ForeignKey(
        "nomenclatures.ChampActivite",
        verbose_name="champ d'activité",
        on_delete=models.PROTECT,
        related_name="+",
    )
    modele_saisie = models.CharField("modèle de saisie", max_length=50)
    unite_sensible = models.BooleanField("unité sensible", default=False)
    identifiant = models.CharField("identifiant de l'offre", max_length=20, editable=False)
    type_offre = models.ForeignKey(
        "nomenclatures.TypeOffre",
        verbose_name="type d'offre",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    mode_prise_en_charge = models.ForeignKey(
        "nomenclatures.ModePriseEnCharge",
        verbose_name="mode de prise en charge",
        on_delete=models.PROTECT,
        related_name="+",
    )
    activites = models.ManyToManyField(
        "nomenclatures.ActiviteOperationnelle", verbose_name="activités opérationnelles", related_name="+"
    )
    age_min = models.PositiveSmallIntegerField("âge minimum (ans)", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("âge maximum (ans)", null=True, blank=True)
    closed_on = models.DateField("date de fermeture", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)
    version = models.PositiveIntegerField("version", default=1, editable=False)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = "offre"
        verbose_name_plural = "offres"
        ordering = ["nom", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["identifiant"], name="offers_offer_identifiant_unique"),
            models.CheckConstraint(
                condition=Q(identifiant__contains="/"),
                name="offers_offer_identifiant_format",
                violation_error_message="L'identifiant de l'offre s'écrit « code région/numéro ».",
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True) | Q(age_max__isnull=True) | Q(age_min__lte=F("age_max")),
                name="offers_offer_age_min_lte_max",
                violation_error_message="L'âge minimum doit être inférieur ou égal à l'âge maximum.",
            ),
            models.CheckConstraint(
                condition=Q(age_max__isnull=True) | Q(age_max__lte=150),
                name="offers_offer_age_max_plausible",
                violation_error_message="L'âge maximum ne peut pas dépasser 150 ans.",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="offers_offer_version_positive"),
            models.CheckConstraint(condition=~Q(nom=""), name="offers_offer_nom_not_empty"),
        ]

    def __str__(self):
        return self.nom

    def save(self, *args, **kwargs):
        if not self.identifiant:
            eg = self.structure.etablissement_root()
            self.identifiant = OfferIdentifierSequence.next_identifiant(departements.region(eg.departement))
        super().save(*args, **kwargs)

    @property
    def is_closed(self):
        return self.closed_on is not None and self.closed_on <= timezone.localdate()

    @property
    def patientele_label(self):
        if self.age_min is not None and self.age_max is not None:
            return f"De {self.age_min} à {self.age_max} ans"
        if self.age_min is not None:
            return f"À partir de {self.age_min} ans"
        if self.age_max is not None:
            return f"Jusqu'à {self.age_max} ans"
        return "Tous âges"


class Contact(models.Model):
    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="contacts")
    nom = models.CharField("nom", max_length=255)
    fonction = models.ForeignKey(
        "nomenclatures.FonctionContact",
        verbose_name="fonction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    nature = models.ForeignKey(
        "nomenclatures.NatureContact",
        verbose_name="nature du contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.TextField("description", blank=True)
    confidentialite = models.ForeignKey(
        "nomenclatures.NiveauConfidentialite",
        verbose_name="niveau de confidentialité",
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["offer", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(nom=""), name="offers_contact_nom_not_empty")]

    def __str__(self):
        return self.nom

    @property
    def is_restricted_to_regulation(self):
        return self.confidentialite_id == NiveauConfidentialite.REGULATION


class Telecom(models.Model):
    class Canal(models.TextChoices):
        # FHIR ContactPoint.system, as the ROR IG uses it.
        TELEPHONE = "phone", "Téléphone"
        FAX = "fax", "Fax"
        EMAIL = "email", "Adresse électronique"
        URL = "url", "Site internet"
        SMS = "sms", "SMS"
        BIP = "pager", "Bip"
        AUTRE = "other", "Autre"

    contact = models.ForeignKey(Contact, verbose_name="contact", on_delete=models.CASCADE, related_name="telecoms")
    canal = models.CharField("canal", max_length=10, choices=Canal)
    valeur = models.CharField("valeur", max_length=255)
    confidentialite = models.ForeignKey(
        "nomenclatures.NiveauConfidentialite",
        verbose_name="niveau de confidentialité",
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "télécommunication"
        verbose_name_plural = "télécommunications"
        ordering = ["contact", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(valeur=""), name="offers_telecom_valeur_not_empty")]

    def __str__(self):
        return f"{self.get_canal_display()} : {self.valeur}"
