"""Entités juridiques and the structure tree: one MPTT tree per établissement géographique (EG).

The root of each tree is an EG (FINESS ET); its descendants are the EG's internal organisation
(pôle, service, UF, unité élémentaire — TRE_R207). Internal structures never leave their EG, so a
write to one EG's tree never touches another EG's rows. No ``order_insertion_by``: inserting a root
with it would renumber the ``tree_id`` of every other EG. Children are ordered by name when read.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from mptt.exceptions import InvalidMove
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from ror_portal import closing, lookups  # noqa: F401 (lookups: registers ``any_of``)
from ror_portal.compiled import CompiledQuery, JsonParam, Param
from ror_portal.validators import validate_code, validate_name
from structures import departements
from structures.roles import MANAGING_ROLES, Role


class EntiteJuridiqueQuerySet(models.QuerySet):
    def visible_to(self, user):
        """EJ with at least one EG that ``user`` may read (the portal's "Mes entités juridiques (EJ)").

        ``EXISTS`` per EJ, not ``id IN (EG in scope)``: a bounded count or a page of a national scope then
        probes one EJ at a time and stops, where the ``IN`` merges every EG of the scope first.
        """
        etablissements = Structure.objects.etablissements_visible_to(user)
        return self.filter(models.Exists(etablissements.filter(entite_juridique=models.OuterRef("pk"))))

    def for_client(self, departements=()):
        """EJ a client system of the FHIR API reads: all, or those with an EG in ``departements``."""
        if not departements:
            return self.all()
        etablissements = Structure.objects.etablissements().filter(departement__inlined_in=sorted(departements))
        return self.filter(models.Exists(etablissements.filter(entite_juridique=models.OuterRef("pk"))))

    def touching_territory_of(self, user):
        """EJ with at least one EG that ``user`` administers as a référent: shown to them, read-only when shared."""
        if user.is_superuser:
            return self.all()
        # EXISTS per EJ (as ``visible_to``): a page of a national territory probes one EJ at a time.
        etablissements = Structure.objects.etablissements_administered_by(user)
        return self.filter(models.Exists(etablissements.filter(entite_juridique=models.OuterRef("pk"))))

    def administered_by(self, user):
        """EJ lying entirely inside ``user``'s territory: at least one EG, and every EG administered by them.

        Only these may be changed by a référent or granted as a habilitation scope: an EJ habilitation covers
        every EG of the EJ, including those of another territory.
        """
        if user.is_superuser:
            return self.all()
        # An EG of the EJ outside the territory, tested on that EG's row: ``pk NOT IN`` (the EG administered)
        # would make PostgreSQL hash every EG of a national territory for each EJ asked about.
        outside = (
            Structure.objects.etablissements()
            .filter(entite_juridique=models.OuterRef("pk"))
            .exclude(habilitation_scope(user, referent_roles()))
        )
        return self.touching_territory_of(user).exclude(models.Exists(outside))


class EntiteJuridique(models.Model):
    finess_ej = models.CharField("FINESS EJ", max_length=9, unique=True)
    raison_sociale = models.CharField("raison sociale", max_length=255, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)

    objects = EntiteJuridiqueQuerySet.as_manager()

    class Meta:
        verbose_name = "entité juridique"
        verbose_name_plural = "entités juridiques"
        ordering = ["finess_ej"]

    def __str__(self):
        if self.raison_sociale:
            return f"{self.raison_sociale} ({self.finess_ej})"
        return f"Entité juridique {self.finess_ej}"


def habilitation_sets(user, roles):
    """(EG ids, EJ ids, départements) of ``user``'s habilitations with one of ``roles``, read from the
    habilitations cached on the user instance (one small query per request)."""
    etablissements, entites, departements_ = set(), set(), set()
    for role, etablissement, entite, departement in user.habilitation_rows:
        if role in roles:
            etablissements.add(etablissement)
            entites.add(entite)
            departements_.add(departement)
    etablissements.discard(None)
    entites.discard(None)
    departements_.discard("")
    return etablissements, entites, departements_


def habilitation_trees(user, roles):
    """The tree ids of the EG covered by ``user``'s EG and EJ habilitations with one of ``roles``."""
    return sorted({tree for role, tree in user.habilitation_trees if role in roles})


def habilitation_scope(user, roles):
    """The Q on EG rows (tree roots) covered by ``user``'s habilitations with one of ``roles``.

    The habilitations are inlined as literal values: ``id IN (…) OR entite_juridique_id IN (…) OR
    departement IN (…)`` lets PostgreSQL combine three index scans, where the same test written with
    subqueries scans every EG.
    """
    etablissements, entites, departements_ = habilitation_sets(user, roles)
    return (
        Q(pk__in=sorted(etablissements))
        | Q(entite_juridique_id__in=sorted(entites))
        | Q(departement__inlined_in=sorted(departements_))
    )


def as_flag(condition):
    """A scope condition (a Q or an expression, or True / False for every or no row) as a boolean column."""
    if isinstance(condition, bool):
        return Value(condition, output_field=models.BooleanField())
    return ExpressionWrapper(condition, output_field=models.BooleanField())


def sees_everything(user):
    """An active superuser's scope is every node: the scope methods then add no condition at all."""
    return user.is_authenticated and user.is_active and user.is_superuser


def managing_roles():
    return MANAGING_ROLES


def referent_roles():
    return (Role.REFERENT,)


def all_roles():
    return tuple(Role)


class StructureQuerySet(TreeQuerySet):
    def etablissements(self):
        return self.filter(kind=Structure.Kind.ETABLISSEMENT)

    def etablissements_in_scope_of(self, user, roles):
        """The EG covered by ``user``'s habilitations with one of ``roles``."""
        etablissements = self.etablissements()
        if not (user.is_authenticated and user.is_active):
            return etablissements.none()
        if user.is_superuser:
            return etablissements
        return etablissements.filter(habilitation_scope(user, roles))

    def in_scope_of(self, user, roles):
        """Every node of the EG covered by ``user``'s habilitations with one of ``roles``."""
        condition = self._scope_condition(user, roles)
        return self.all() if condition is True else self.filter(condition) if condition else self.none()

    def _scope_condition(self, user, roles, per_row=False):
        """The Q on nodes in ``user``'s scope for ``roles``; True for every node, False for none.

        ``per_row``: for a value computed on each row (``with_access``), the département branch is an EXISTS
        on the row's root (one index probe) instead of ``tree_id IN (…)``, which a select list evaluates by
        hashing the roots of every département (50,000 for a national référent: 30 ms)."""
        if sees_everything(user):
            return True  # every tree has its EG at the root: no subquery over 50,000 EG to ask
        if not (user.is_authenticated and user.is_active):
            return False
        # The trees of the EG and EJ habilitations as literal values; a département's EG by a subquery on
        # the roots (``level=0`` says the same as ``kind=EG`` and lets PostgreSQL use the unique index of
        # roots, one row per tree; written into the statement, so that a generic plan can use it too).
        _, _, departements_ = habilitation_sets(user, roles)
        condition = Q(tree_id__in=habilitation_trees(user, roles))
        if departements_:
            roots = self.model.objects.filter(level__inlined=0, departement__inlined_in=sorted(departements_))
            if per_row:
                condition |= Exists(roots.filter(tree_id=OuterRef("tree_id")))
            else:
                condition |= Q(tree_id__in=roots.values("tree_id"))
        return condition

    def with_access(self, user):
        """Annotate ``can_manage`` for ``user`` (in the same query): the managing scope's condition on each row,
        as ``managed_by`` tests it."""
        return self.annotate(can_manage=as_flag(self._scope_condition(user, managing_roles(), per_row=True)))

    def path_to(self, pk):
        """The node ``pk`` and its ancestors, from the EG down, in one query (the node's position read by three
        primary-key subqueries); empty when the node is not in this queryset."""
        node = self.model.objects.filter(pk=pk)
        return self.filter(
            tree_id=Subquery(node.values("tree_id")),
            lft__lte=Subquery(node.values("lft")),
            rght__gte=Subquery(node.values("rght")),
        ).order_by("lft")

    def for_client(self, departements=()):
        """Every node a client system of the FHIR API reads: all, or those of the EG of ``departements``."""
        if not departements:
            return self.all()
        roots = self.model.objects.filter(level__inlined=0, departement__inlined_in=sorted(departements))
        return self.filter(tree_id__in=roots.values("tree_id"))

    def ancestors_of(self, nodes):
        """The ancestors of ``nodes`` (any number, any trees; or a ``Param`` of their ids), found by walking
        ``parent_id`` up.

        The nested-set test (``lft < node.lft AND rght > node.rght``) reads, for each node, every node before it
        in its tree: a search's 20 results in a CHU of 1,141 nodes read 20 × 961 index entries (9.5 ms). The
        recursive walk reads one row per ancestor (SQLite and PostgreSQL both have ``WITH RECURSIVE``).
        """
        connection = connections[self.db]
        if isinstance(nodes, Param):  # a compiled query's list of ids: one parameter (an array, or JSON on SQLite)
            postgresql = connection.vendor == "postgresql"
            among, params = ("= ANY(%s)", [nodes]) if postgresql else ("IN (SELECT value FROM json_each(%s))", [
                JsonParam(nodes.name)
            ])  # fmt: skip
        else:
            ids = sorted({node.pk for node in nodes})
            if not ids:
                return self.none()
            among, params = f"IN ({', '.join(['%s'] * len(ids))})", ids
        table = connection.ops.quote_name(self.model._meta.db_table)
        walk = RawSQL(
            f"WITH RECURSIVE up (id) AS ("
            f"SELECT parent_id FROM {table} WHERE id {among} AND parent_id IS NOT NULL "
            f"UNION SELECT s.parent_id FROM {table} s INNER JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL"
            f") SELECT id FROM up",
            params,
        )
        return self.filter(pk__in=walk)

    # "What may this user see or change": every node of the EG in scope (``managed_by`` …), or the EG
    # themselves (``etablissements_managed_by`` …, one index-friendly test on the EG rows, for the lists).

    def managed_by(self, user):
        """Every node (EG and internal structures) that ``user`` may change."""
        return self.in_scope_of(user, managing_roles())

    def etablissements_managed_by(self, user):
        return self.etablissements_in_scope_of(user, managing_roles())

    def administered_by(self, user):
        """Every node of the territory that ``user`` administers as a référent ROR (the Django admin)."""
        return self.in_scope_of(user, referent_roles())

    def etablissements_administered_by(self, user):
        return self.etablissements_in_scope_of(user, referent_roles())

    def visible_to(self, user):
        """Every node that ``user`` may read (managers and régulateurs)."""
        return self.in_scope_of(user, all_roles())

    def etablissements_visible_to(self, user):
        return self.etablissements_in_scope_of(user, all_roles())

    def sync_etablissement_categories(self):
        """Give every structure of this queryset the catégorie of its EG (the root of its tree), in one UPDATE that
        writes only the rows that differ; the number written. For the trees whose EG changed catégorie."""
        root = self.model.objects.filter(tree_id=OuterRef("tree_id"), level=0).values("categorie_id")[:1]
        return self.exclude(etablissement_categorie=Subquery(root)).update(etablissement_categorie=Subquery(root))

    def departements_visible_to(self, user):
        """The codes of the départements of the EG that ``user`` may read, without reading those EG: the
        départements of their département habilitations, plus those of the EG of their EG and EJ
        habilitations (as many rows as those cover). Every département for a superuser."""
        if not (user.is_authenticated and user.is_active):
            return set()
        if user.is_superuser:
            return set(departements.DEPARTEMENTS)
        etablissements, entites, codes = habilitation_sets(user, all_roles())
        if etablissements or entites:
            codes |= set(COVERED_DEPARTEMENTS(user))
        codes.discard("")
        return codes


class StructureManager(TreeManager.from_queryset(StructureQuerySet)):
    def _move_child_within_tree(self, node, target, position):
        """django-mptt's move inside one tree, rewriting only the rows that move.

        django-mptt's UPDATE runs over the whole tree (``WHERE tree_id = …``: 1,141 rows for a CHU) although
        only the rows between the old and the new place change: the moved subtree and the rows it jumps over
        (their ``lft`` or ``rght`` lies between the two boundaries). The other rows were rewritten unchanged,
        leaving as many dead rows. Same computation as django-mptt 0.20 (``mptt/managers.py``), one condition
        more on the UPDATE.
        """
        left, right, level = node.lft, node.rght, node.level
        width = right - left + 1
        target_left, target_right, target_level = target.lft, target.rght, target.level
        if node == target:
            raise InvalidMove("A node may not be moved relative to itself.")
        if left < target_left < right:
            raise InvalidMove("A node may not be moved under one of its descendants.")
        if position in ("last-child", "first-child"):
            if position == "last-child":
                new_left = target_right - width if target_right > right else target_right
            else:
                new_left = target_left - width + 1 if target_left > left else target_left + 1
            level_change = level - target_level - 1
            parent = target
        elif position in ("left", "right"):
            if position == "left":
                new_left = target_left - width if target_left > left else target_left
            else:
                new_left = target_right - width + 1 if target_right > right else target_right + 1
            level_change = level - target_level
            parent = target.parent
        else:
            raise ValueError(f"An invalid position was given: {position}.")
        new_right = new_left + width - 1
        left_boundary, right_boundary = min(left, new_left), max(right, new_right)
        left_right_change = new_left - left
        gap_size = -width if left_right_change > 0 else width
        table = connection_quote(self, self.model._meta.db_table)
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table}
                SET level = CASE WHEN lft >= %s AND lft <= %s THEN level - %s ELSE level END,
                    lft = CASE WHEN lft >= %s AND lft <= %s THEN lft + %s
                               WHEN lft >= %s AND lft <= %s THEN lft + %s
                               ELSE lft END,
                    rght = CASE WHEN rght >= %s AND rght <= %s THEN rght + %s
                                WHEN rght >= %s AND rght <= %s THEN rght + %s
                                ELSE rght END
                WHERE tree_id = %s
                  AND (lft BETWEEN %s AND %s OR rght BETWEEN %s AND %s)
                """,
                [
                    left, right, level_change,
                    left, right, left_right_change, left_boundary, right_boundary, gap_size,
                    left, right, left_right_change, left_boundary, right_boundary, gap_size,
                    node.tree_id,
                    left_boundary, right_boundary, left_boundary, right_boundary,
                ],
            )  # fmt: skip
        node.lft, node.rght, node.level = new_left, new_right, level - level_change
        node.parent = parent
        node._mptt_cached_fields["parent"] = parent.pk


def connection_quote(manager, name):
    return connections[manager.db].ops.quote_name(name)


class Structure(MPTTModel):
    class Kind(models.TextChoices):
        # Codes of JDV_J203: TRE_R67 "EG" and TRE_R207 1–4.
        ETABLISSEMENT = "EG", "Établissement géographique"
        POLE = "1", "Pôle"
        SERVICE = "2", "Service"
        UF = "3", "Unité fonctionnelle"
        UE = "4", "Unité élémentaire"

    kind = models.CharField("type", max_length=2, choices=Kind)
    name = models.CharField("nom", max_length=255, validators=[validate_name])
    parent = TreeForeignKey(
        "self",
        verbose_name="structure parente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    identifiant_oi = models.CharField(
        "identifiant de l'organisation interne", max_length=50, unique=True, null=True, blank=True
    )
    opened_on = models.DateField("date d'ouverture", null=True, blank=True)
    closed_on = models.DateField("date de fermeture", null=True, blank=True)
    # An internal structure's own code in its EG (the code UF of the établissement's organisation), optional.
    code = models.CharField(
        "code dans l'établissement",
        max_length=20,
        blank=True,
        validators=[validate_code],
        help_text="Le code de la structure dans l'établissement, par exemple son code UF.",
    )
    # Bumped by every change made in the portal (name, dates, code, place): a form based on an older version is
    # refused instead of overwriting what someone else saved meanwhile.
    version = models.PositiveIntegerField("version", default=1, db_default=1, editable=False)

    # Établissement géographique only (FINESS cells), empty on internal structures.
    finess_et = models.CharField("FINESS ET", max_length=9, unique=True, null=True, blank=True)
    entite_juridique = models.ForeignKey(
        EntiteJuridique,
        verbose_name="entité juridique",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="etablissements",
    )
    categorie = models.ForeignKey(
        "nomenclatures.CategorieEtablissement",
        verbose_name="catégorie d'établissement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The catégorie of the structure's EG (the root of its tree; the EG's own catégorie on the EG), on every
    # structure: the picker's search reads the names of one catégorie's trees from one index
    # (structures_etablissement_categorie_name_trgm) instead of testing each name that contains the term (a term
    # in 29,000 sanitaire names, none médico-social: 340 ms for a superuser, 3 ms now). ``save`` sets it from the
    # parent or the catégorie and carries an EG's new catégorie to its tree; bulk writes use
    # ``sync_etablissement_categories``.
    etablissement_categorie = models.ForeignKey(
        "nomenclatures.CategorieEtablissement",
        verbose_name="catégorie de l'établissement",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # the picker's trigram index leads with it (PostgreSQL)
    )
    raison_sociale = models.CharField("raison sociale (FINESS)", max_length=255, blank=True)
    raison_sociale_longue = models.CharField("raison sociale longue (FINESS)", max_length=255, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    complement_raison_sociale = models.CharField("complément de raison sociale", max_length=255, blank=True)
    complement_distribution = models.CharField("complément de distribution", max_length=255, blank=True)
    numero_voie = models.CharField("numéro de voie", max_length=10, blank=True)
    type_voie = models.CharField("type de voie", max_length=10, blank=True)
    voie = models.CharField("libellé de voie", max_length=255, blank=True)
    complement_voie = models.CharField("complément de voie", max_length=10, blank=True)
    lieu_dit_bp = models.CharField("lieu-dit / BP", max_length=255, blank=True)
    commune = models.CharField("code commune", max_length=3, blank=True)
    departement = models.CharField("département", max_length=3, blank=True, db_index=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    ville = models.CharField("ville", max_length=255, blank=True)
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    telecopie = models.CharField("télécopie", max_length=20, blank=True)
    finess_updated_on = models.DateField("mise à jour FINESS", null=True, blank=True)

    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)

    objects = StructureManager()

    # What a breadcrumb, a tree walk, a link or a placement rule reads: the FINESS identity and address (about
    # twenty columns) stay in the database. The ORM's work grows with the columns it selects.
    OUTLINE_FIELDS = (
        "id", "kind", "name", "parent_id", "tree_id", "lft", "rght", "level", "opened_on", "closed_on",
        "finess_et", "identifiant_oi", "entite_juridique_id", "categorie_id", "departement", "code", "version",
    )  # fmt: skip

    def outline_path(self, include_self=True):
        """The node's ancestors from its EG down (and the node itself), with ``OUTLINE_FIELDS`` only (as
        ``get_ancestors``, from the node's tree columns)."""
        return OUTLINE_PATH(include_self, tree=self.tree_id, lft=self.lft, rght=self.rght)

    @property
    def kind_label(self):
        """ "Pôle", "Unité fonctionnelle"…: ``get_kind_display`` without building the choices' dict at each call (a
        table of 25 rows called it 25 times)."""
        return KIND_LABELS.get(self.kind, self.kind)

    def outline_children(self, limit):
        """The node's first ``limit`` children in tree order, with ``OUTLINE_FIELDS`` only."""
        return OUTLINE_CHILDREN(limit, parent=self.pk)

    @classmethod
    def detail_fields(cls, prefix=""):
        """The other columns (FINESS identity and address, timestamps), for ``defer`` on a related structure."""
        return [prefix + field.name for field in cls._meta.concrete_fields if field.attname not in cls.OUTLINE_FIELDS]

    class MPTTMeta:
        order_insertion_by = []

    class Meta:
        verbose_name = "structure"
        verbose_name_plural = "structures"
        ordering = ["tree_id", "lft"]
        indexes = [
            models.Index(fields=["tree_id", "lft"], name="structures_tree_lft_idx"),
            models.Index(fields=["kind", "name"], name="structures_kind_name_idx"),
            # "Mes établissements géographiques (EG)" is sorted by name, case-insensitively. A name search's page
            # reads its ids from the index alone (``CompiledKeyset``): it includes the name and the columns of the
            # scopes and of the list's filters (PostgreSQL; SQLite has no INCLUDE and indexes the keys).
            models.Index(
                Lower("name"),
                "id",
                include=["name", "departement", "entite_juridique", "categorie"],
                condition=Q(kind="EG"),
                name="structures_eg_name_cover_idx",
            ),
            # The offer picker's first level: the EG of one catégorie by name.
            models.Index("categorie", Lower("name"), "id", condition=Q(kind="EG"), name="structures_eg_cat_name_idx"),
            # A référent's EG in the admin: their département's EG by name (``StructureAdmin.territory_roots``).
            # Also a name search in their département (the same included columns as above).
            models.Index(
                "departement",
                Lower("name"),
                "id",
                include=["name", "entite_juridique", "categorie"],
                condition=Q(kind="EG"),
                name="structures_eg_dep_cover_idx",
            ),
            # The picker's search for a médico-social offer: the trees of the EG of one catégorie in a territory,
            # read from the index alone (15,000 EG of a catégorie nationally: 16 ms from the table). Only EG have
            # a catégorie; the predicate holds for a bound catégorie, so prepared statements use the index too.
            models.Index(
                fields=["categorie", "kind", "departement", "tree_id"],
                condition=Q(categorie__isnull=False),
                name="structures_eg_cat_dep_tree_idx",
            ),
            # The EJ lists (which EJ have an EG in the user's scope, and how many): the EG of an EJ with their
            # département, from the index alone. The foreign key's own index also holds the 300,000 internal
            # structures (no EJ), and the kind and the département were read from the table: counting a national
            # user's EJ took 5 to 7 ms, 1 ms from this index.
            models.Index(
                fields=["entite_juridique"],
                include=["departement"],
                condition=Q(kind="EG"),
                name="structures_eg_ej_idx",
            ),
            models.Index(fields=["updated_at"], name="structures_updated_idx"),  # the FHIR API's _lastUpdated
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tree_id"], condition=Q(level=0), name="structures_structure_one_root_per_tree"
            ),
            models.CheckConstraint(
                condition=(Q(kind="EG") & Q(parent__isnull=True)) | (~Q(kind="EG") & Q(parent__isnull=False)),
                name="structures_structure_eg_is_root",
                violation_error_message="Seul un établissement géographique est à la racine d'une arborescence.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="EG")
                    & Q(finess_et__isnull=False)
                    & Q(categorie__isnull=False)
                    & Q(entite_juridique__isnull=False)
                )
                | (
                    ~Q(kind="EG")
                    & Q(finess_et__isnull=True)
                    & Q(categorie__isnull=True)
                    & Q(entite_juridique__isnull=True)
                ),
                name="structures_structure_eg_identity",
                violation_error_message=(
                    "Un établissement géographique a un FINESS ET, une catégorie et une entité juridique ; "
                    "une structure interne n'en a pas."
                ),
            ),
            models.UniqueConstraint(
                fields=["tree_id", "code"],
                condition=~Q(code=""),
                name="structures_structure_code_unique_in_eg",
                violation_error_message="Ce code est déjà celui d'une autre structure de l'établissement.",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(opened_on__isnull=True)
                | Q(closed_on__gte=models.F("opened_on")),
                name="structures_structure_closed_after_opened",
                violation_error_message="La date de fermeture précède la date d'ouverture.",
            ),
        ]

    def __init__(self, *args, **kwargs):
        """django-mptt's ``__init__`` records the parent's id (to see a move at ``save``) through
        ``get_deferred_fields()``, a set of every column built for each row (a picker level of 100 EG: about 1 ms of
        its 17 in process). The same record, read directly (nothing else is tracked: no ``order_insertion_by``)."""
        models.Model.__init__(self, *args, **kwargs)
        self._mptt_cached_fields = {"parent": self.__dict__.get("parent_id", DeferredAttribute)}

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Also keep ``etablissement_categorie``: an EG's own catégorie, else its parent's. A saved EG (its
        catégorie may have changed) or a node moved to another tree (django-mptt moves what is below it; the
        portal and the admin refuse it, the ORM does not) carries it to every row of its tree afterwards."""
        update_fields = kwargs.get("update_fields")
        placed = update_fields is None or bool({"categorie", "parent"} & set(update_fields))
        adding, tree_before = self._state.adding, self.tree_id
        if placed:
            self.etablissement_categorie_id = self.categorie_id if self.parent_id is None else self.parent_categorie()
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "etablissement_categorie"]
        super().save(*args, **kwargs)
        if placed and not adding and (self.parent_id is None or self.tree_id != tree_before):
            Structure.objects.filter(tree_id=self.tree_id).sync_etablissement_categories()

    def parent_categorie(self):
        """The parent's ``etablissement_categorie``: from the parent in memory when it was read with it (under
        the tree's lock: ``locked``, ``save_in_tree``), else from the database."""
        parent = self._state.fields_cache.get("parent")
        if parent is not None and parent.pk == self.parent_id and "etablissement_categorie_id" in parent.__dict__:
            return parent.etablissement_categorie_id
        return Structure.objects.filter(pk=self.parent_id).values_list("etablissement_categorie", flat=True).get()

    @property
    def is_etablissement(self):
        return self.kind == self.Kind.ETABLISSEMENT

    @property
    def is_closed(self):
        return closing.is_closed(self.closed_on)

    @property
    def closing_label(self):
        """ "Fermée depuis le 30/11/2026", "Fermeture prévue le …", or "" when open."""
        return closing.closing_label(self.closed_on)

    INTERNAL_HEADINGS = {
        Kind.ETABLISSEMENT: "Dans cet établissement",
        Kind.POLE: "Structure interne du pôle",
        Kind.SERVICE: "Structure interne du service",
        Kind.UF: "Structure interne de l'unité fonctionnelle",
        Kind.UE: "Structure interne de l'unité élémentaire",
    }

    @property
    def internal_heading(self):
        """The title of the table of what sits inside this structure (labels of the real portal)."""
        return self.INTERNAL_HEADINGS[self.kind]

    @property
    def departement_name(self):
        return departements.name(self.departement)

    @property
    def address_lines(self):
        street = " ".join(part for part in (self.numero_voie, self.complement_voie, self.type_voie, self.voie) if part)
        city = " ".join(part for part in (self.code_postal, self.ville) if part)
        return [line for line in (self.complement_distribution, street, self.lieu_dit_bp, city) if line]

    def clean(self):
        super().clean()
        parent = self.parent
        if self.kind == self.Kind.ETABLISSEMENT:
            if parent is not None:
                raise ValidationError({"parent": "Un établissement géographique n'a pas de structure parente."})
            return
        if parent is None:
            raise ValidationError(
                {"parent": "Une structure interne est rattachée à un établissement ou une structure."}
            )
        if self.pk and parent.pk:
            # Internal structures never leave their EG. Read positions from the database: MPTT fields
            # of instances in memory go stale after other tree writes.
            current = Structure.objects.filter(pk=self.pk).values("tree_id", "lft", "rght").first()
            target = Structure.objects.filter(pk=parent.pk).values("tree_id", "lft").first()
            if current and target:
                if current["tree_id"] != target["tree_id"]:
                    raise ValidationError(
                        {"parent": "Une structure interne reste dans son établissement géographique."}
                    )
                if current["lft"] <= target["lft"] <= current["rght"]:
                    raise ValidationError({"parent": "Une structure ne peut pas être placée sous elle-même."})
        from structures.organisation import kind_refusal

        # The kind rule applies where a structure is placed; one already in place keeps it (older trees).
        moved_or_new = self.pk is None or getattr(self, "_mptt_cached_fields", {}).get("parent") != self.parent_id
        reason = kind_refusal(self.kind, parent.kind) if moved_or_new else None
        if reason:
            raise ValidationError({"parent": reason})

    def etablissement_root(self):
        """The EG this node belongs to, read from the database."""
        if self.is_etablissement:
            return self
        return Structure.objects.get(tree_id=Structure.objects.filter(pk=self.pk).values("tree_id")[:1], level=0)

    def lock_tree(self):
        """Serialise writes to this EG's tree: lock its root row until the transaction ends."""
        tree_id = Structure.objects.filter(pk=self.pk).values("tree_id")[:1]
        return Structure.objects.select_for_update().get(tree_id=tree_id, level=0)

    @staticmethod
    def lock_trees(*nodes):
        """Lock the roots of the trees of ``nodes`` (None ignored), in ``tree_id`` order so that two writers
        locking the same two trees never wait for each other."""
        pks = [node.pk for node in nodes if node is not None and node.pk]
        tree_ids = Structure.objects.filter(pk__in=pks).values("tree_id")
        list(Structure.objects.select_for_update().filter(tree_id__in=tree_ids, level=0).order_by("tree_id"))

    @transaction.atomic
    def save_in_tree(self, *args, **kwargs):
        """Save, serialised with every other write to the same EG's tree.

        django-mptt rewrites the positions of the tree's rows on an insert or a move: concurrent writes
        without a lock corrupt the tree. Lock the EG's root, re-read this node's position (instances in
        memory go stale), then save.
        """
        if self.pk:
            self.lock_tree()
            position = Structure.objects.filter(pk=self.pk).values("tree_id", "lft", "rght", "level").get()
            for name, value in position.items():
                setattr(self, name, value)
        if self.parent_id:
            Structure.objects.get(pk=self.parent_id).lock_tree()
            self.parent = Structure.objects.get(pk=self.parent_id)
        self.save(*args, **kwargs)

    # --- changes made in the portal (structures.organisation states the rules) ------------------------------

    def locked(self, base_version=None):
        """This node read again under the lock of its EG's tree; StaleStructure when ``base_version`` (what the
        user's form was based on) is no longer its version, StructureRefused when it is gone."""
        if not Structure.objects.filter(pk=self.pk).exists():
            raise StructureRefused("Cette structure n'existe plus.")
        self.lock_tree()
        node = Structure.objects.get(pk=self.pk)
        if base_version is not None and node.version != base_version:
            raise StaleStructure(node)
        return node

    @classmethod
    @transaction.atomic
    def add_internal(cls, user, parent, kind, name, opened_on=None, code=""):
        """ "Ajouter une structure interne": a new ``kind`` structure, last child of ``parent``, and its history's
        first row. The rules are read again under the EG's lock (StructureRefused with the French reason)."""
        from structures.organisation import OrganisationPolicy

        parent = parent.locked()
        reason = OrganisationPolicy(user).addition_refusal(parent, kind)
        if reason:
            raise StructureRefused(reason)
        node = cls(kind=kind, name=name, opened_on=opened_on, code=code, parent=parent)
        node.full_clean(exclude=["lft", "rght", "tree_id", "level"])
        node.check_code_unique(parent.tree_id)
        node.save()
        StructureEvent.objects.create(
            structure=node, author=user, kind=StructureEvent.Kind.CREATE, to_label=parent.name, version=node.version
        )
        return node

    def check_code_unique(self, tree_id):
        """The code is unique in the EG (structures_structure_code_unique_in_eg, checked under the EG's lock)."""
        if self.code and Structure.objects.filter(tree_id=tree_id, code=self.code).exclude(pk=self.pk).exists():
            raise ValidationError({"code": "Ce code est déjà celui d'une autre structure de l'établissement."})

    def deletion_refusal(self):
        """Why this structure may not be deleted (French), or None. Only a structure created by mistake is: an
        internal one with nothing below it and referenced by no row (no offer, no offer's history, no
        habilitation) — its own history goes with it. Any other is closed, never deleted."""
        if self.is_etablissement:
            return "Un établissement vient du FINESS : il y est fermé, jamais supprimé ici."
        relations = [
            field
            for field in Structure._meta.get_fields(include_hidden=True)
            if field.auto_created and not field.concrete
        ]  # every reverse relation, those without a related name ("+": an offer's history) included
        for relation in relations:
            if relation.related_model is StructureEvent or relation.many_to_many:
                continue
            rows = relation.related_model._base_manager.filter(**{relation.field.name: self.pk})
            if rows.exists():
                return (
                    f"« {self.name} » contient des sous-structures ou est référencé(e) "
                    f"({relation.related_model._meta.verbose_name_plural}) : fermez-la plutôt que de la supprimer."
                )
        return None

    CHANGEABLE_FIELDS = ("name", "opened_on", "code")

    @transaction.atomic
    def change(self, user, changes, base_version=None):
        """ "Modifier": write ``changes`` (name, opening date, code) and one history row with the old and new
        values. Nothing is written when nothing changed."""
        from structures.organisation import OrganisationPolicy

        unknown = set(changes) - set(self.CHANGEABLE_FIELDS)
        if unknown:
            raise ValueError(f"Not changeable here: {sorted(unknown)}")
        node = self.locked(base_version)
        reason = OrganisationPolicy(user).change_refusal(node)
        if reason:
            raise StructureRefused(reason)
        changed = [name for name, value in changes.items() if getattr(node, name) != value]
        if not changed:
            return node
        before = {name: getattr(node, name) for name in changed}
        for name in changed:
            setattr(node, name, changes[name])
        node.full_clean(exclude=["lft", "rght", "tree_id", "level", "parent"])
        node.check_code_unique(node.tree_id)
        node.version += 1
        node.save(update_fields=[*changed, "version", "updated_at"])
        StructureEvent.objects.create(
            structure=node,
            author=user,
            kind=StructureEvent.Kind.EDIT,
            changes=[[field_label(name), shown_value(before[name]), shown_value(changes[name])] for name in changed],
            version=node.version,
        )
        return node


class StructureRefused(Exception):
    """A change of the internal organisation breaks a rule; ``str(error)`` is the French reason."""


class StaleStructure(Exception):
    """The form was based on an older version of the structure: someone changed it meanwhile."""

    def __init__(self, node):
        self.node = node
        super().__init__(
            f"« {node.name} » a été modifié(e) entre-temps (le "
            f"{timezone.localtime(node.updated_at):%d/%m/%Y à %H:%M}) : rechargez la page, vos modifications "
            "n'ont pas été enregistrées."
        )


def field_label(name):
    label = str(Structure._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def shown_value(value):
    if value is None or value == "":
        return "—"
    if hasattr(value, "strftime"):
        return f"{value:%d/%m/%Y}"
    return str(value)


class StructureEventQuerySet(models.QuerySet):
    def administered_by(self, user):
        """The history of the structures of ``user``'s territory (it goes with a structure deleted in the admin)."""
        return self.filter(structure__in=Structure.objects.administered_by(user))


class StructureEvent(models.Model):
    """One change of a structure made in the portal (its "Historique"): who, when, what.

    A closing (or reopening) of a structure writes one row on it and one on each sub-structure it closed, whose
    ``cause`` is the first: reopening "with what was closed with it" follows that link."""

    class Kind(models.TextChoices):
        CREATE = "creation", "Création"
        EDIT = "modification", "Modification"
        CLOSE = "fermeture", "Fermeture"
        REOPEN = "reouverture", "Réouverture"
        MOVE = "deplacement", "Déplacement"

    structure = models.ForeignKey(Structure, verbose_name="structure", on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("date", default=timezone.now)
    kind = models.CharField("nature", max_length=20, choices=Kind)
    # [label, old value, new value] of each changed field.
    changes = models.JSONField("modifications", default=list, blank=True)
    from_label = models.CharField("depuis (libellé)", max_length=255, blank=True)
    to_label = models.CharField("vers (libellé)", max_length=255, blank=True)
    closed_on = models.DateField("date de fermeture", null=True, blank=True)
    cause = models.ForeignKey(
        "self",
        verbose_name="avec",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consequences",
    )
    # How many sub-structures and offers the change took with it (a closing, a reopening, a move).
    structures_count = models.PositiveIntegerField("sous-structures concernées", default=0)
    offers_count = models.PositiveIntegerField("offres concernées", default=0)
    version = models.PositiveIntegerField("version")

    objects = StructureEventQuerySet.as_manager()

    class Meta:
        verbose_name = "historique de la structure"
        verbose_name_plural = "historiques des structures"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["structure", "-created_at"], name="structures_event_date_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} de « {self.structure} »"

    @property
    def description(self):
        who = self.author or "un utilisateur supprimé"
        when = timezone.localtime(self.created_at)
        by = f"par {who} le {when:%d/%m/%Y à %H:%M}"
        cause = self.cause
        along = f" avec « {cause.structure} »" if cause is not None else ""
        counts = self.counts_text
        if self.kind == self.Kind.CREATE:
            return f"Créée dans « {self.to_label} » {by}"
        if self.kind == self.Kind.EDIT:
            edits = " ; ".join(f"{label} : « {old} » → « {new} »" for label, old, new in self.changes)
            return f"Modifiée {by} : {edits}"
        if self.kind == self.Kind.CLOSE:
            return f"Fermée au {self.closed_on:%d/%m/%Y}{along} {by}{counts}"
        if self.kind == self.Kind.REOPEN:
            return f"Rouverte{along} {by}{counts}"
        return f"Déplacée de « {self.from_label} » vers « {self.to_label} » {by}{counts}"

    @property
    def counts_text(self):
        parts = []
        if self.structures_count:
            parts.append(f"{self.structures_count} sous-structure{'s' if self.structures_count > 1 else ''}")
        if self.offers_count:
            parts.append(f"{self.offers_count} offre{'s' if self.offers_count > 1 else ''}")
        return f", avec {' et '.join(parts)}" if parts else ""


def _outline_path(include_self):
    within = {"lft__lte": Param("lft"), "rght__gte": Param("rght")} if include_self else {
        "lft__lt": Param("lft"), "rght__gt": Param("rght")
    }  # fmt: skip
    return Structure.objects.filter(tree_id=Param("tree"), **within).order_by("lft").only(*Structure.OUTLINE_FIELDS)


OUTLINE_PATH = CompiledQuery(_outline_path)


def _covered_departements(user):
    """The départements of the EG of ``user``'s EG and EJ habilitations."""
    etablissements, entites, _ = habilitation_sets(user, all_roles())
    covered = Structure.objects.etablissements().filter(
        Q(pk__in=sorted(etablissements)) | Q(entite_juridique_id__in=sorted(entites))
    )
    return covered.order_by().values_list("departement", flat=True).distinct()


COVERED_DEPARTEMENTS = CompiledQuery(_covered_departements)
OUTLINE_CHILDREN = CompiledQuery(
    lambda limit: (
        Structure.objects.filter(parent=Param("parent")).only(*Structure.OUTLINE_FIELDS).order_by("lft")[:limit]
    )
)

KIND_LABELS = {value: str(label) for value, label in Structure.Kind.choices}
