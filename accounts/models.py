from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from structures import departements


class User(AbstractUser):
    """A portal user; what they may see and do comes from their habilitations."""

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def habilitation_rows(self):
        """(role, EG id, EJ id, département) of each habilitation, read once per instance (i.e. per request)."""
        if self.pk is None:
            return []
        return list(self.habilitations.values_list("role", "etablissement_id", "entite_juridique_id", "departement"))

    @cached_property
    def is_referent(self):
        """Cached on the instance: the admin asks it many times per request."""
        return self.is_superuser or any(row[0] == Habilitation.Role.REFERENT for row in self.habilitation_rows)


class Habilitation(models.Model):
    """One role of a user on one scope: an EG, an EJ (all its EG) or a département."""

    class Role(models.TextChoices):
        RESPONSABLE = "responsable", "Responsable offre de structure"
        REFERENT = "referent", "Référent ROR"
        REGULATEUR = "regulateur", "Régulateur"

    MANAGING_ROLES = (Role.RESPONSABLE, Role.REFERENT)

    user = models.ForeignKey(User, verbose_name="utilisateur", on_delete=models.CASCADE, related_name="habilitations")
    role = models.CharField("rôle", max_length=20, choices=Role)
    etablissement = models.ForeignKey(
        "structures.Structure",
        verbose_name="établissement géographique",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        limit_choices_to={"kind": "EG"},
        related_name="habilitations",
    )
    entite_juridique = models.ForeignKey(
        "structures.EntiteJuridique",
        verbose_name="entité juridique",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="habilitations",
    )
    departement = models.CharField("département", max_length=3, blank=True, choices=departements.CHOICES, db_index=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "habilitation"
        verbose_name_plural = "habilitations"
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(etablissement__isnull=False, entite_juridique__isnull=True, departement="")
                    | Q(etablissement__isnull=True, entite_juridique__isnull=False, departement="")
                    | (Q(etablissement__isnull=True, entite_juridique__isnull=True) & ~Q(departement=""))
                ),
                name="accounts_habilitation_one_scope",
                violation_error_message=(
                    "Une habilitation porte sur un seul périmètre : un établissement, une entité juridique "
                    "ou un département."
                ),
            ),
            models.CheckConstraint(
                condition=Q(departement="") | Q(role__in=["referent", "regulateur"]),
                name="accounts_habilitation_departement_role",
                violation_error_message=(
                    "Seuls les référents ROR et les régulateurs sont habilités sur un département."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "etablissement"],
                condition=Q(etablissement__isnull=False),
                name="accounts_habilitation_unique_etablissement",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "entite_juridique"],
                condition=Q(entite_juridique__isnull=False),
                name="accounts_habilitation_unique_entite_juridique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "departement"],
                condition=~Q(departement=""),
                name="accounts_habilitation_unique_departement",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} – {self.scope_label}"

    @property
    def scope_label(self):
        if self.etablissement_id:
            return f"EG {self.etablissement}"
        if self.entite_juridique_id:
            return f"EJ {self.entite_juridique}"
        return f"département {self.get_departement_display()}"
