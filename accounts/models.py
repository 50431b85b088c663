from django.contrib.auth.models import AbstractUser, UserManager
from django.db import connections, models, router
from django.db.models import Exists, OuterRef, Q, Value
from django.utils.functional import cached_property

from structures import departements, roles
from structures.models import EntiteJuridique, Structure


class UserQuerySet(models.QuerySet):
    """Which accounts a référent ROR sees and manages in the admin.

    A référent manages (password, activation, deletion, habilitations) an account only when every one of its
    habilitations lies inside their territory; an account that also holds a habilitation elsewhere is
    read-only for them. Accounts without any habilitation are managed by superusers and by the référent who
    created them. Superusers are managed by superusers only.
    """

    def visible_in_admin_to(self, user):
        if user.is_superuser:
            return self.all()
        touching = Habilitation.objects.touching_territory_of(user).filter(user=OuterRef("pk"))
        created_empty = Q(created_by=user) & ~Exists(Habilitation.objects.filter(user=OuterRef("pk")))
        return self.filter(is_superuser=False).filter(Exists(touching) | created_empty)

    def administered_by(self, user):
        if user.is_superuser:
            return self.all()
        return self.visible_in_admin_to(user).exclude(_habilitation_outside(user))

    def visible_with_administered(self, user):
        """``visible_in_admin_to`` with each account's ``administered`` flag (it is in ``administered_by``): the
        admin's change page reads its account and whether it may change it in one query."""
        if user.is_superuser:
            return self.annotate(administered=Value(True))
        return self.visible_in_admin_to(user).annotate(administered=~_habilitation_outside(user))


def _habilitation_outside(user):
    """An account has a habilitation not lying entirely in ``user``'s territory. Its own habilitations are
    tested one by one (not ``pk NOT IN`` every habilitation of the territory, which PostgreSQL computes over the
    whole table for a national référent)."""
    return Exists(Habilitation.objects.filter(user=OuterRef("pk")).exclude(Habilitation.objects.administered_q(user)))


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A portal user; what they may see and do comes from their habilitations."""

    created_by = models.ForeignKey(
        "self",
        verbose_name="créé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = PortalUserManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def habilitation_rows(self):
        """(role, EG id, EJ id, département) of each habilitation, read once per instance (i.e. per request)."""
        return self._habilitations[0]

    @property
    def habilitation_trees(self):
        """(role, tree id) of each EG covered by an EG or EJ habilitation: the habilitation's EG, or every EG of
        its EJ. Read in the same query as ``habilitation_rows``. A tree id is never renumbered (a new EG
        takes a new tree), so the scopes compare the rows' ``tree_id`` to these literal values instead of a
        subquery on the EG, which costs more to build than to run."""
        return self._habilitations[1]

    @property
    def access_key(self):
        """Everything the scopes read of the user, as one hashable value: the key of a compiled query built for
        them (``ror_portal.compiled``). A new or removed habilitation changes it."""
        return (
            self.pk,
            self.is_active,
            self.is_superuser,
            tuple(self.habilitation_rows),
            tuple(self.habilitation_trees),
        )

    @cached_property
    def _habilitations(self):
        if self.pk is None:
            return [], []
        habilitation, structure = Habilitation._meta.db_table, Structure._meta.db_table
        database = router.db_for_read(Habilitation, instance=self)
        quote = connections[database].ops.quote_name
        # One fixed statement: the scopes of every page start here, and the ORM took longer to write the
        # joins than PostgreSQL to run them.
        sql = (
            f"SELECT h.role, h.etablissement_id, h.entite_juridique_id, h.departement, "
            f"COALESCE(eg.tree_id, ej_eg.tree_id) "
            f"FROM {quote(habilitation)} h "
            f"LEFT JOIN {quote(structure)} eg ON eg.id = h.etablissement_id AND eg.level = 0 "
            f"LEFT JOIN {quote(structure)} ej_eg ON ej_eg.entite_juridique_id = h.entite_juridique_id "
            f"AND ej_eg.level = 0 "
            f"WHERE h.user_id = %s ORDER BY h.role, h.id"
        )
        with connections[database].cursor() as cursor:
            cursor.execute(sql, [self.pk])
            fetched = cursor.fetchall()
        rows = list(dict.fromkeys(row[:4] for row in fetched))
        trees = sorted({(row[0], row[4]) for row in fetched if row[4] is not None})
        return rows, trees

    @cached_property
    def is_referent(self):
        """Cached on the instance: the admin asks it many times per request."""
        return self.is_superuser or any(row[0] == Habilitation.Role.REFERENT for row in self.habilitation_rows)


def referent_departements(user):
    """The départements where ``user`` is référent ROR (read from the habilitations cached on the instance)."""
    return sorted({row[3] for row in user.habilitation_rows if row[0] == Habilitation.Role.REFERENT and row[3]})


class HabilitationQuerySet(models.QuerySet):
    def administered_by(self, user):
        """Habilitations whose whole scope lies in ``user``'s territory: the ones a référent may grant, change
        or remove. An EJ habilitation covers every EG of the EJ, so the EJ must lie entirely inside."""
        return self if user.is_superuser else self.filter(self.administered_q(user))

    def touching_territory_of(self, user):
        """Habilitations that cover at least part of ``user``'s territory (shown to them, maybe read-only)."""
        if user.is_superuser:
            return self
        # The EJ touches the territory when one of its EG lies in it: probed on the EG of the row's EJ. Through the
        # EJ table (``EntiteJuridique.touching_territory_of``), PostgreSQL hashed every EJ with an EG in the
        # territory at each request (10,000 EJ read: 2.5 ms of the référent's accounts list).
        etablissements = Structure.objects.etablissements_administered_by(user)
        touching_ej = Exists(etablissements.filter(entite_juridique=OuterRef("entite_juridique_id")))
        return self.filter(_in_territory(user, touching_ej))

    @staticmethod
    def administered_q(user):
        """The condition of ``administered_by`` on a habilitation row, for a non-superuser."""
        inside = EntiteJuridique.objects.administered_by(user)
        return _in_territory(user, Exists(inside.filter(pk=OuterRef("entite_juridique_id"))))


def _in_territory(user, entite_juridique_condition):
    """A habilitation row whose EG is in ``user``'s territory, whose EJ meets ``entite_juridique_condition`` or
    whose département is one of theirs. One probe per habilitation row (its EG, its EJ), not a hash of every
    EG of a national territory."""
    etablissements = Structure.objects.etablissements_administered_by(user)
    return (
        Exists(etablissements.filter(pk=OuterRef("etablissement_id")))
        | entite_juridique_condition
        | Q(departement__inlined_in=referent_departements(user))
    )


class Habilitation(models.Model):
    """One role of a user on one scope: an EG, an EJ (all its EG) or a département."""

    Role = roles.Role  # structures/roles.py: the structures' scopes select by role
    MANAGING_ROLES = roles.MANAGING_ROLES

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

    objects = HabilitationQuerySet.as_manager()

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

    def grant_refusal(self, granter):
        """Why ``granter`` may not grant this habilitation (French), or None: everything it covers must lie in
        their territory."""
        if granter.is_superuser:
            return None
        if self.etablissement_id:
            if not Structure.objects.etablissements_administered_by(granter).filter(pk=self.etablissement_id).exists():
                return (
                    f"L'établissement « {self.etablissement} » n'est pas dans votre territoire : "
                    "vous ne pouvez pas accorder d'habilitation sur lui."
                )
            return None
        if self.entite_juridique_id:
            if EntiteJuridique.objects.administered_by(granter).filter(pk=self.entite_juridique_id).exists():
                return None
            return (
                f"L'entité juridique « {self.entite_juridique} » a des établissements hors de votre territoire : "
                "une habilitation sur elle couvrirait tous ses établissements. Habilitez sur les établissements "
                "de votre territoire, ou demandez à un référent de tous ses territoires."
            )
        if self.departement and self.departement not in referent_departements(granter):
            return (
                f"Le département {self.get_departement_display()} n'est pas dans votre territoire : "
                "vous ne pouvez pas accorder d'habilitation sur lui."
            )
        return None
