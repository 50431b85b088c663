"""The client systems of the FHIR API and the journal of their calls.

A client is an OAuth2 application of django-oauth-toolkit (client credentials) with what the ROR decides about it:
its confidentiality level (TRE_R283: 1 grand public, 2 professionnels, 3 régulation et gestion de crise) and,
optionally, the départements it may read. What each level sees is decided by the offers' querysets
(``Offer.objects.for_client``), not here.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from structures import departements


def validate_departements(value):
    if not isinstance(value, list) or any(code not in departements.DEPARTEMENTS for code in value):
        raise ValidationError("Indiquez des codes de département existants (par exemple 81, 2A, 971).")


class ApiClient(models.Model):
    class Niveau(models.IntegerChoices):
        PUBLIC = 1, "1 – Visible du grand public"
        PROFESSIONNELS = 2, "2 – Visible par les professionnels"
        REGULATION = 3, "3 – Visible régulation et gestion de crise"

    application = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name="application OAuth2",
        on_delete=models.CASCADE,
        related_name="ror_client",
    )
    niveau = models.PositiveSmallIntegerField("niveau de confidentialité", choices=Niveau)
    departements = models.JSONField(
        "départements",
        default=list,
        blank=True,
        validators=[validate_departements],
        help_text="Vide : tout le territoire national.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "client de l'API FHIR"
        verbose_name_plural = "clients de l'API FHIR"
        constraints = [
            models.CheckConstraint(condition=models.Q(niveau__in=[1, 2, 3]), name="fhir_api_apiclient_niveau")
        ]

    def __str__(self):
        return self.application.name


class ApiCall(models.Model):
    """One call of the API: who, what was asked (the query string, which holds no personal data: codes, names of
    offers and structures, dates), how many resources were returned, how long it took."""

    client = models.ForeignKey(ApiClient, verbose_name="client", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    method = models.CharField("méthode", max_length=10)
    path = models.CharField("chemin", max_length=255)
    query = models.CharField("paramètres", max_length=2000, blank=True)
    status = models.PositiveSmallIntegerField("statut HTTP")
    count = models.PositiveIntegerField("ressources renvoyées", default=0)
    duration_ms = models.PositiveIntegerField("durée (ms)")

    class Meta:
        verbose_name = "appel de l'API FHIR"
        verbose_name_plural = "journal de l'API FHIR"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.method} {self.path} ({self.status})"
