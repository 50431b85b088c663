"""The roles of a habilitation (``accounts.Habilitation.role``): whom a structure's scope is read for.

Defined here, below the accounts app, because the structures' scopes (``StructureQuerySet``) select by role; the
habilitations themselves (who holds which role where) are the accounts app's.
"""

from django.db import models


class Role(models.TextChoices):
    RESPONSABLE = "responsable", "Responsable offre de structure"
    REFERENT = "referent", "Référent ROR"
    REGULATEUR = "regulateur", "Régulateur"


# The roles that change what they see (a régulateur reads only).
MANAGING_ROLES = (Role.RESPONSABLE, Role.REFERENT)
