"""The offer (HealthcareService in the ROR's FHIR model) and what it carries.

An offer is a plain row attached to one structure of the tree (an EG or an internal structure),
not a tree node: moving it is a one-row update.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.dispatch import receiver
from django.utils import timezone

from nomenclatures import cache as nomenclature_cache
from nomenclatures.models import ActiviteOperationnelle, NiveauConfidentialite, PublicPrisEnCharge
from offers.moves import MovePolicy, MoveRefused
from offers.values import display, to_raw
from ror_portal import closing
from ror_portal.compiled import CompiledQuery, Param, attach
from ror_portal.validators import validate_name
from structures import departements
from structures.contents import KeysetList
from structures.models import (
    Structure,
    all_roles,
    as_flag,
    habilitation_sets,
    habilitation_trees,
    managing_roles,
    referent_roles,
    sees_everything,
)
from structures.signals import etablissements_relocated


class StaleOffer(Exception):
    """The form was based on an older version of the offer: someone else published meanwhile."""

    def __init__(self, offer):
        self.offer = offer
        super().__init__(
            "Cette offre a été modifiée entre-temps (version "
            f"{offer.version}, le {timezone.localtime(offer.updated_at):%d/%m/%Y à %H:%M}) : "
            "vos modifications n'ont pas été publiées."
        )


def scope_condition(user, roles, structure="structure"):
    """The Q on rows that carry their offer's ``departement`` (offers, contacts) in ``user``'s scope for
    ``roles``, ``structure`` leading from the row to the offer's structure; True for every row, False for none."""
    if sees_everything(user):
        return True  # a superuser's scope: every offer, without a semi-join over 50,000 EG
    if not (user.is_authenticated and user.is_active):
        return False
    _, _, departements_ = habilitation_sets(user, roles)
    trees = habilitation_trees(user, roles)
    # Literal values only: the départements, and the trees of the EG and EJ habilitations; a branch only
    # when it has values (an empty ``structure__tree_id__in`` would still join every row's structure).
    branches = [Q(departement__inlined_in=sorted(departements_))] if departements_ else []
    branches += [Q(**{f"{structure}__tree_id__in": trees})] if trees else []
    if not branches:
        return False
    return branches[0] if len(branches) == 1 else branches[0] | branches[1]


class OfferQuerySet(models.QuerySet):
    # Each scope is "attached to a node of an EG in scope". A département habilitation reads the offer's own
    # ``departement`` (an index range on (departement, nom, id) for a référent's lists); EG and EJ
    # habilitations add ``structure__tree_id IN (…)``, the trees of those EG as literal values, read with the
    # habilitations (one join). The EG side of the rule is ``structures.models.habilitation_scope``.

    def managed_by(self, user):
        """Offers that ``user`` may change: responsables of the EG and référents of its territory."""
        return self._in_scope_of(user, managing_roles())

    def administered_by(self, user):
        """Offers of the territory that ``user`` administers as a référent ROR (the Django admin)."""
        return self._in_scope_of(user, referent_roles())

    def visible_to(self, user):
        """Offers that ``user`` may open: managers and régulateurs; an offer never published (a creation's
        draft) only for the managers of its EG."""
        visible = self._scope_condition(user, all_roles())
        if visible is False:
            return self.none()
        managed = self._scope_condition(user, managing_roles())
        if managed is True:
            return self.all()
        drafts_seen = Q(published=True) | managed if managed else Q(published=True)
        return self.filter(drafts_seen) if visible is True else self.filter(visible, drafts_seen)

    def published(self):
        """Offers published at least once: what régulateurs, counts and client systems see."""
        return self.filter(published=True)

    def for_client(self, level, departements=()):
        """Offers a client system of the FHIR API receives at confidentiality ``level`` (TRE_R283: 1 grand public,
        2 professionnels, 3 régulation et gestion de crise), in ``departements`` when given: published offers, and
        an unité sensible's only at level 3 (the IG: "uniquement Profil 1 et Profil 4 si uniteSensible = Oui")."""
        offers = self.published()
        if level < int(NiveauConfidentialite.REGULATION):
            offers = offers.filter(unite_sensible=False)
        return offers.filter(departement__inlined_in=sorted(departements)) if departements else offers

    def _in_scope_of(self, user, roles):
        condition = self._scope_condition(user, roles)
        return self.all() if condition is True else self.filter(condition) if condition else self.none()

    def _scope_condition(self, user, roles):
        return scope_condition(user, roles)

    def with_access(self, user):
        """Annotate ``can_manage`` for ``user`` (in the same query): the managing scope's condition evaluated
        on each row, with no second pass over the offers.

        Whoever may open an offer also reads its restricted details (contacts "Visible régulation et gestion
        de crise", everything about a sensitive unit): the arrêté du 26 décembre 2023 reserves them to
        regulation and crisis profiles, and the EG's responsables and its référents keep them up to date;
        those are the portal's only roles. The FHIR API (issue 11) is where a client system's level will filter.
        """
        return self.annotate(can_manage=as_flag(self._scope_condition(user, managing_roles())))


class OfferPartQuerySet(models.QuerySet):
    """Rows that belong to one offer (``offer_path`` leads to it): in a territory when their offer is."""

    offer_path = "offer"

    def for_client(self, level):
        """Contacts or télécoms a client system of confidentiality ``level`` receives: those of that level or below
        (a télécom is also hidden when its contact is: ``Offer.contacts_for_client`` reads both)."""
        return self.filter(confidentialite_id__in=NiveauConfidentialite.codes_up_to(level))

    def administered_by(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(**{f"{self.offer_path}__in": Offer.objects.administered_by(user)})


class ContactQuerySet(OfferPartQuerySet):
    def administered_by(self, user):
        """A référent's contacts: read on the contact's own ``departement`` (an index range on
        (departement, nom, id) for the admin's list, instead of sorting every contact of the territory's offers)
        and its offer's tree."""
        condition = scope_condition(user, referent_roles(), structure="offer__structure")
        return self.all() if condition is True else self.filter(condition) if condition else self.none()


class TelecomQuerySet(OfferPartQuerySet):
    offer_path = "contact__offer"


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


class ModeleSaisieQuerySet(models.QuerySet):
    def valid_for(self, categorie, champ=None):
        """The active modèles for an EG of ``categorie`` (and an offer of ``champ``, when given)."""
        modeles = self.filter(actif=True, categories=categorie)
        return modeles.filter(champs=champ) if champ is not None else modeles


class ModeleSaisie(models.Model):
    """A modèle de saisie: the entry form an offer is created with, for some catégories d'établissement and
    champs d'activité (the IG's ``ror-questionnaire-healthcareservice``: identifier, title, useContext catEG and
    champAct). The offer keeps its identifiant; a modèle is withdrawn (``actif``), never deleted."""

    identifiant = models.CharField("identifiant", max_length=50, unique=True, validators=[validate_name])
    libelle = models.CharField("libellé", max_length=255, validators=[validate_name])
    categories = models.ManyToManyField(
        "nomenclatures.CategorieEtablissement", verbose_name="catégories d'établissement", related_name="+"
    )
    champs = models.ManyToManyField("nomenclatures.ChampActivite", verbose_name="champs d'activité", related_name="+")
    actif = models.BooleanField("proposé à la création", default=True)

    objects = ModeleSaisieQuerySet.as_manager()

    class Meta:
        verbose_name = "modèle de saisie"
        verbose_name_plural = "modèles de saisie"
        ordering = ["identifiant"]

    def __str__(self):
        return f"{self.identifiant} – {self.libelle}"


@dataclass
class PartEdits:
    """Rows of a part of an offer (its contacts, or their télécoms) to add, change and remove in one
    publication, as a formset gives them after ``save(commit=False)``."""

    added: list = dataclass_field(default_factory=list)
    changed: list = dataclass_field(default_factory=list)  # (row, names of its changed fields)
    removed: list = dataclass_field(default_factory=list)

    @classmethod
    def from_formset(cls, formset):
        formset.save(commit=False)
        return cls(list(formset.new_objects), list(formset.changed_objects), list(formset.deleted_objects))

    def __bool__(self):
        return bool(self.added or self.changed or self.removed)


class Offer(models.Model):
    RESTRICTED_LEVEL = NiveauConfidentialite.REGULATION

    structure = models.ForeignKey(
        Structure,
        verbose_name="rattachement organisationnel",
        on_delete=models.PROTECT,
        related_name="offers",
    )
    nom = models.CharField("nom de l'offre", max_length=255, validators=[validate_name])
    champ_activite = models.ForeignKey(
        "nomenclatures.ChampActivite",
        verbose_name="champ d'activité",
        on_delete=models.PROTECT,
        related_name="+",
    )
    modele_saisie = models.CharField("modèle de saisie", max_length=50)
    unite_sensible = models.BooleanField("unité sensible", default=False)
    # Given on the first publication ("<region>/<n>"); an offer saved as a draft at its creation has none (NULL:
    # the unique constraint holds for every published offer and lets drafts share "no identifiant").
    identifiant = models.CharField("identifiant de l'offre", max_length=20, null=True, editable=False)  # noqa: DJ001
    # False for an offer created as a draft and never published: only the managers of its EG see it.
    published = models.BooleanField("publiée", default=True, db_default=True, editable=False)
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
        null=True,  # only while a new offer is a draft (offers_offer_published_complete)
        related_name="+",
    )
    activites = models.ManyToManyField(
        "nomenclatures.ActiviteOperationnelle", verbose_name="activités opérationnelles", related_name="+"
    )
    publics = models.ManyToManyField(
        "nomenclatures.PublicPrisEnCharge", verbose_name="publics pris en charge", blank=True, related_name="+"
    )
    temporalite_accueil = models.ForeignKey(
        "nomenclatures.TemporaliteAccueil",
        verbose_name="temporalité d'accueil",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    age_min = models.PositiveSmallIntegerField("âge minimum (ans)", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("âge maximum (ans)", null=True, blank=True)
    closed_on = models.DateField("date de fermeture", null=True, blank=True)
    closing_type = models.ForeignKey(
        "nomenclatures.TypeFermeture",
        verbose_name="type de fermeture",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reopening_on = models.DateField("date prévisionnelle de réouverture", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)
    version = models.PositiveIntegerField("version", default=1, editable=False)

    class Completeness(models.TextChoices):
        # offers.completeness computes it; stored so that an EG's counts and the EG list read one column.
        FINALISE = "finalise", "Finalisé"
        EN_COURS = "en_cours", "En cours"
        A_FAIRE = "a_faire", "À faire"

    completeness = models.CharField(
        "complétude",
        max_length=10,
        choices=Completeness,
        default=Completeness.A_FAIRE,
        db_default=Completeness.A_FAIRE,
        editable=False,
    )
    # The département of the offer's EG, copied here so that a référent's lists read one index range
    # (departement, nom, id) instead of walking every offer of the country in name order. ``save`` keeps it
    # when the rattachement changes; an EG moved to another département by FINESS updates it
    # (``structures.signals.etablissements_relocated``).
    departement = models.CharField("département", max_length=3, blank=True, editable=False)
    # The EG of the rattachement, kept by ``save`` as the département is (an internal structure never leaves its
    # EG, so only the offer's own move changes it): an EG's counts read an index range of its offers instead of
    # joining every structure of its tree (the CHU: 1,024 structures, 2,121 offers, 3 → 1 ms).
    etablissement = models.ForeignKey(
        Structure,
        verbose_name="établissement géographique",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # offers_offer_eg_counts_idx leads with it
    )

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = "offre"
        verbose_name_plural = "offres"
        ordering = ["nom", "pk"]
        indexes = [
            models.Index(fields=["nom", "id"], name="offers_offer_nom_id_idx"),  # the admin's list
            models.Index(fields=["departement", "nom", "id"], name="offers_offer_dep_nom_id_idx"),  # a territory's
            # The FHIR API: a synchronisation's "_lastUpdated=ge…", and the count of the published offers (an
            # index-only scan of this partial index instead of the table's 500,000 rows).
            models.Index(fields=["updated_at"], name="offers_offer_updated_idx"),
            models.Index(fields=["id"], condition=Q(published=True), name="offers_offer_published_idx"),
            # An EG's counts by completeness (the EG list, the EG page): an index-only scan of the EG's offers.
            models.Index(
                fields=["etablissement", "published", "completeness", "closed_on", "id"],
                name="offers_offer_eg_counts_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["identifiant"], name="offers_offer_identifiant_unique"),
            models.CheckConstraint(
                condition=Q(identifiant__isnull=True) | Q(identifiant__contains="/"),
                name="offers_offer_identifiant_format",
                violation_error_message="L'identifiant de l'offre s'écrit « code région/numéro ».",
            ),
            models.CheckConstraint(
                condition=Q(published=False, identifiant__isnull=True)
                | Q(published=True, identifiant__isnull=False, mode_prise_en_charge__isnull=False),
                name="offers_offer_published_complete",
                violation_error_message=(
                    "Une offre publiée a un identifiant et un mode de prise en charge ; un brouillon n'a pas "
                    "d'identifiant."
                ),
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
            models.CheckConstraint(
                condition=Q(reopening_on__isnull=True) | Q(closed_on__lt=F("reopening_on")),
                name="offers_offer_reopening_after_closing",
                violation_error_message="La date de réouverture suit la date de fermeture.",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="offers_offer_version_positive"),
            models.CheckConstraint(condition=~Q(nom=""), name="offers_offer_nom_not_empty"),
        ]

    def __str__(self):
        return self.nom

    def save(self, *args, update_fields=None, **kwargs):
        """Also set the EG and the département from the rattachement (on a full save, or when it changes) and
        give a published offer its identifier."""
        relocated = False
        if update_fields is None or "structure" in update_fields:
            eg = self.structure.etablissement_root()
            relocated = not self._state.adding and self.departement != eg.departement
            self.etablissement, self.departement = eg, eg.departement
            if update_fields is not None:
                update_fields = [*update_fields, "etablissement", "departement"]
        if self.published and not self.identifiant:
            region = departements.region(self.departement or self.structure.etablissement_root().departement)
            self.identifiant = OfferIdentifierSequence.next_identifiant(region)
            if update_fields is not None:
                update_fields = [*update_fields, "identifiant"]
        super().save(*args, update_fields=update_fields, **kwargs)
        if relocated:  # moved to an EG of another département: its contacts follow
            Contact.objects.filter(offer=self).update(departement=self.departement)

    STATUS_BADGES = {Completeness.FINALISE: "success", Completeness.EN_COURS: "info", Completeness.A_FAIRE: "warning"}

    @property
    def status(self):
        """(label, DSFR badge colour) of the structure's table: "Brouillon" for an offer never published, else
        its stored completeness."""
        if not self.published:
            return "Brouillon", "new"
        return self.get_completeness_display(), self.STATUS_BADGES[self.completeness]

    @property
    def is_closed(self):
        return closing.is_closed(self.closed_on)

    @property
    def closing_label(self):
        """ "Fermée depuis le 30/11/2026", "Fermeture prévue le …", or "" when open."""
        return closing.closing_label(self.closed_on)

    def coded_lists(self):
        """(activités opérationnelles, publics pris en charge) in code order (the rows come from the nomenclature
        cache)."""
        activites, publics = Offer.group_codes(OFFER_CODES(offer=self.pk)).get(self.pk, ([], []))
        return (
            [nomenclature_cache.get(ActiviteOperationnelle, code) for code in activites],
            [nomenclature_cache.get(PublicPrisEnCharge, code) for code in publics],
        )

    @staticmethod
    def codes_of(pks):
        """{offer id: (activité codes, public codes)} in code order, for offers ``pks``: one query over both link
        tables, whatever the number of offers."""
        return Offer.group_codes(codes_query(offer__in=pks))

    @staticmethod
    def group_codes(rows):
        codes = {}
        for offer_id, part, code in rows:
            codes.setdefault(offer_id, ([], []))[0 if part == "a" else 1].append(code)
        for activites_, publics_ in codes.values():
            activites_.sort()
            publics_.sort()
        return codes

    def contact_list(self):
        """The offer's contacts with their télécoms (``contact.telecoms.all()``), in two compiled queries."""
        contacts = CONTACTS_OF_OFFER(offer=self.pk)
        attach(contacts, "telecoms", TELECOMS_OF_OFFER(offer=self.pk), key=attrgetter("contact_id"))
        return contacts

    @property
    def patientele_label(self):
        if self.age_min is not None and self.age_max is not None:
            return f"De {self.age_min} à {self.age_max} ans"
        if self.age_min is not None:
            return f"À partir de {self.age_min} ans"
        if self.age_max is not None:
            return f"Jusqu'à {self.age_max} ans"
        return "Tous âges"

    # --- moving and publishing --------------------------------------------------------------------------

    def move_refusal_reason(self, user, target):
        """Why ``user`` may not attach this offer to ``target`` (French), or None when the move is allowed."""
        return MovePolicy(self, user).refusal(target)

    def move(self, user, target, base_version=None):
        """Attach the offer to ``target``, keeping everything else; see ``publish``."""
        return self.publish(user, {"structure": target}, base_version=base_version)

    @classmethod
    @transaction.atomic
    def create(cls, user, structure, changes, publish=True):
        """A new offer under ``structure`` from the creation page: ``changes`` holds the fields of the blocks
        and the modèle de saisie, and "contacts"/"telecoms" PartEdits.

        Published at once (``publish``: its identifiant from the region's sequence, a "Création" row in its
        history), or kept as a draft that only the managers of its EG see, with no identifiant, until
        ``publish`` is called on it. MoveRefused (French reason) when ``user`` may not create an offer there;
        the rule is read under a lock of the structure's row.
        """
        target = Structure.objects.select_for_update().filter(pk=structure.pk).first()
        if target is None:
            raise MoveRefused("Cette structure n'existe plus.")
        reason = MovePolicy(cls(structure=target), user).creation_refusal(target)
        if reason:
            raise MoveRefused(reason)
        changes = dict(changes)
        parts = {name: changes.pop(name) for name in PARTS if name in changes}
        many = {name: changes.pop(name) for name in list(changes) if cls._meta.get_field(name).many_to_many}
        if publish:
            check_publishable(changes.get("mode_prise_en_charge"), many.get("activites"))
        offer = cls(structure=target, published=publish, **changes)
        offer.save()
        for name, rows in many.items():
            getattr(offer, name).set(rows)
        for name, part in parts.items():
            if part:
                offer.apply_part(PARTS[name], part)
        offer.after_write(user, [], first_publication=publish)
        return offer

    @transaction.atomic
    def publish(self, user, changes, base_version=None, kind=None, undoes=None, cause=None):
        """Apply ``changes`` ({field: value} for fields of the block forms, ``offers.forms.BLOCKS``) atomically
        and bump the version: the only way a published offer changes (portal, admin, commands, undo), and the
        first publication of an offer created as a draft (its identifiant is given then).

        Locks the offer row, refuses a stale ``base_version`` (StaleOffer) and re-checks the move rules
        under the lock (MoveRefused). Writes the history: one row for the edited fields with their old and new
        values, one for a move ("Création" for a first publication). A refusal changes nothing; changes equal
        to the published values publish nothing.
        """
        return self._write(user, changes, base_version, publication=True, kind=kind, undoes=undoes, cause=cause)

    @transaction.atomic
    def save_draft(self, user, changes, base_version=None):
        """Write ``changes`` into an offer created as a draft and never published: it stays unpublished, with no
        history (the rules and the stale check of ``publish`` apply)."""
        return self._write(user, changes, base_version, publication=False)

    def _write(self, user, changes, base_version, publication, kind=None, undoes=None, cause=None):
        from offers.forms import field_label, publishable_fields

        # The modèle de saisie is chosen while the offer is a creation's draft, then kept.
        unknown = set(changes) - publishable_fields() - (set() if self.published else {"modele_saisie"})
        if unknown:
            raise ValueError(f"Not publishable through publish(): {sorted(unknown)}")
        # Lock the offer row alone: with a join, PostgreSQL re-checks the joined row after waiting for the
        # lock and drops the offer when its structure changed meanwhile.
        offer = Offer.objects.select_for_update(of=("self",)).get(pk=self.pk)
        if base_version is not None and offer.version != base_version:
            raise StaleOffer(offer)
        if offer.published and (not publication or "modele_saisie" in changes):
            raise ValueError("A published offer changes through publish() and keeps its modèle de saisie.")
        first_publication = publication and not offer.published
        policy = MovePolicy(offer, user)
        reason = policy.source_refusal()
        if not reason and first_publication:
            # Its unit may have been closed since the draft was saved: the placement rules of a creation.
            reason = policy.creation_refusal(offer.structure)
        if reason:
            raise MoveRefused(reason)
        changes = dict(changes)
        if "structure" in changes:
            # Tree positions of instances in memory go stale: read the target again (it may be gone).
            changes["structure"] = Structure.objects.filter(pk=changes["structure"].pk).first()
            if changes["structure"] is None:
                raise MoveRefused("Ce rattachement n'existe plus : choisissez-en un autre.")
        parts = {name: changes.pop(name) for name in PARTS if name in changes}
        many = {name for name in changes if Offer._meta.get_field(name).many_to_many}
        before = {name: offer.current_value(name) for name in changes}
        changed = [name for name, value in changes.items() if comparable(before[name]) != comparable(value)]
        if not changed and not any(parts.values()) and not first_publication:
            return offer
        source = offer.structure
        if "structure" in changed:
            policy.check(changes["structure"])
        elif "closed_on" in changed and changes["closed_on"] is None:
            reason = policy.reopening_refusal()
            if reason:
                raise MoveRefused(reason)
        for name in changed:
            if name not in many:
                setattr(offer, name, changes[name])
        if first_publication:
            check_publishable(offer.mode_prise_en_charge_id, changes.get("activites", offer.activites.all()))
            offer.published = True
        offer.version += 1
        fields = [name for name in changed if name not in many]
        offer.save(update_fields=[*fields, "version", "updated_at", *(["published"] if first_publication else [])])
        for name in many & set(changed):
            getattr(offer, name).set(changes[name])
        edits = [
            [field_label(name), display(before[name]), display(sorted_rows(changes[name]))]
            for name in changed
            if name != "structure"
        ]
        for name, part in parts.items():
            edits += offer.apply_part(PARTS[name], part) if part else []
        if publication:
            moved_from = source if "structure" in changed and not first_publication else None
            offer.after_write(
                user, edits, moved_from, kind=kind, undoes=undoes, first_publication=first_publication, cause=cause
            )
        else:
            offer.after_write(user, [], history=False)
        self.refresh_from_db()
        return offer

    def after_write(
        self, user, edits, source=None, kind=None, undoes=None, first_publication=False, history=True, cause=None
    ):
        """What every write ends with: a sensitive unit's contacts restricted, the stored completeness, the
        history (a first publication is one "Création" row)."""
        from offers.completeness import refresh

        if self.unite_sensible:
            self.restrict_contacts()
        refresh(Offer.objects.filter(pk=self.pk))
        if first_publication:
            OfferEvent.objects.create(
                offer=self,
                author=user,
                kind=OfferEvent.Kind.CREATE,
                to_structure=self.structure,
                to_label=self.structure.name,
                version=self.version,
            )
        elif history:
            self.write_history(user, edits, source, kind=kind, undoes=undoes, cause=cause)

    @transaction.atomic
    def discard_draft(self, user, base_version=None):
        """ "Supprimer le brouillon" of an offer never published: the offer, its contacts and télécoms go."""
        offer = Offer.objects.select_for_update(of=("self",)).get(pk=self.pk)
        if offer.published:
            raise ValueError("A published offer is closed, never deleted.")
        if base_version is not None and offer.version != base_version:
            raise StaleOffer(offer)
        reason = MovePolicy(offer, user).source_refusal()
        if reason:
            raise MoveRefused(reason)
        offer.delete()

    def apply_part(self, model, edits):
        """Write ``edits`` (PartEdits of Contact or Telecom rows of this offer) and return their history lines.

        Rows of another offer are refused (ValueError): a caller's formset only holds this offer's rows."""
        from offers.forms import part_fields, part_label

        def owner(row):
            # A new télécom's contact may be new too: read from the row's contact (saved just before).
            return row.offer_id if model is Contact else row.contact.offer_id

        lines = []
        rows = model.objects.filter(pk__in=[row.pk for row, _ in edits.changed])
        previous = {row.pk: row for row in (rows if model is Contact else rows.select_related("contact"))}
        for row in [*edits.removed, *(row for row, _ in edits.changed)]:
            if row.pk is None or owner(previous.get(row.pk, row)) != self.pk:
                raise ValueError(f"{model._meta.verbose_name} {row.pk} does not belong to offer {self.pk}")
        for row in edits.removed:
            lines.append([part_label(model, row), str(row), "supprimé"])
            row.delete()
        for row, names in edits.changed:
            row.save()
            for name in [name for name in names if name in part_fields(model)]:  # not a formset's own "id"
                old, new = previous[row.pk], row
                lines.append(
                    [f"{part_label(model, row)} : {part_label(model, row, name)}", shown(old, name), shown(new, name)]
                )
        for row in edits.added:
            if model is Contact:
                row.offer = self
            elif owner(row) != self.pk:
                raise ValueError(f"A new télécom of a contact of another offer than {self.pk}")
            row.save()
            lines.append([part_label(model, row), "—", f"ajouté : {row}"])
        return lines

    def current_value(self, name):
        """The published value of ``name``: the row(s) of a relation, in code order for a many-to-many."""
        if Offer._meta.get_field(name).many_to_many:
            return sorted_rows(getattr(self, name).all())
        return getattr(self, name)

    def write_history(self, user, edits, source=None, kind=None, undoes=None, cause=None):
        """One history row for the edited fields ([label, old, new] each), one for a move from ``source``;
        ``cause``: the structure's change (StructureEvent) that made this one (its unit closed or reopened)."""
        if edits:
            OfferEvent.objects.create(
                offer=self,
                author=user,
                kind=OfferEvent.Kind.EDIT,
                fields=[label for label, _, _ in edits],
                changes=edits,
                version=self.version,
                cause=cause,
            )
        if source is not None:
            OfferEvent.objects.create(
                offer=self,
                author=user,
                kind=kind or OfferEvent.Kind.MOVE,
                from_structure=source,
                to_structure=self.structure,
                from_label=source.name,
                to_label=self.structure.name,
                version=self.version,
                undoes=undoes,
            )

    def restrict_contacts(self):
        """A sensitive unit's contacts and telecoms are all "Visible régulation et gestion de crise"."""
        level = NiveauConfidentialite.REGULATION
        self.contacts.exclude(confidentialite_id=level).update(confidentialite_id=level)
        Telecom.objects.filter(contact__offer=self).exclude(confidentialite_id=level).update(confidentialite_id=level)

    def latest_move(self):
        return self.events.filter(kind__in=OfferEvent.MOVE_KINDS).order_by("-created_at", "-pk").first()

    @transaction.atomic
    def undo_move(self, user, event):
        """Move the offer back where ``event`` took it from, if it is still its latest move and the rules allow it."""
        Offer.objects.select_for_update().filter(pk=self.pk).get()
        reason = self.undo_refusal_reason(user, event)
        if reason:
            raise MoveRefused(reason)
        return self.publish(user, {"structure": event.from_structure}, kind=OfferEvent.Kind.UNDO, undoes=event)

    def undo_refusal_reason(self, user, event, latest=None):
        """Why ``user`` may not undo ``event`` (French), or None. ``latest`` (the offer's latest move) spares a
        query when the caller has it."""
        if event.kind != OfferEvent.Kind.MOVE:
            return "Seul un déplacement peut être annulé."
        latest = latest or self.latest_move()
        if latest is None or latest.pk != event.pk:
            return "Seul le dernier déplacement de l'offre peut être annulé."
        if event.from_structure is None:
            return f"« {event.from_label} » n'existe plus : le déplacement ne peut pas être annulé."
        return self.move_refusal_reason(user, event.from_structure)


class OfferEvent(models.Model):
    """One published change of an offer: an edit (which fields) or a move (from → to), who and when."""

    class Kind(models.TextChoices):
        CREATE = "creation", "Création"
        EDIT = "modification", "Modification"
        MOVE = "deplacement", "Déplacement"
        UNDO = "annulation", "Annulation de déplacement"
        # Its structure (a service or an UF) moved within the EG, with the offer: the offer's own row unchanged.
        UNIT_MOVE = "deplacement_unite", "Déplacement de sa structure"

    MOVE_KINDS = (Kind.MOVE, Kind.UNDO)

    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("date", default=timezone.now)
    kind = models.CharField("nature", max_length=20, choices=Kind)
    fields = models.JSONField("champs modifiés", default=list, blank=True)
    from_structure = models.ForeignKey(
        Structure, verbose_name="depuis", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_structure = models.ForeignKey(
        Structure, verbose_name="vers", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_label = models.CharField("depuis (libellé)", max_length=255, blank=True)
    to_label = models.CharField("vers (libellé)", max_length=255, blank=True)
    version = models.PositiveIntegerField("version publiée")
    undoes = models.OneToOneField(
        "self", verbose_name="annule", on_delete=models.SET_NULL, null=True, blank=True, related_name="undone_by"
    )
    # [label, old value, new value] of each edited field, as shown when published (older events: labels only).
    changes = models.JSONField("modifications", default=list, blank=True)
    # The change of the internal organisation that caused this one (its structure closed, reopened or moved).
    cause = models.ForeignKey(
        "structures.StructureEvent",
        verbose_name="à la suite de",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_events",
    )

    objects = OfferPartQuerySet.as_manager()

    class Meta:
        verbose_name = "historique de l'offre"
        verbose_name_plural = "historiques des offres"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["offer", "-created_at"], name="offers_event_offer_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="modification")
                | Q(kind="creation", from_label="") & ~Q(to_label="")
                | (~Q(from_label="") & ~Q(to_label="")),
                name="offers_offerevent_move_has_ends",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} de « {self.offer} »"

    @property
    def description(self):
        who = self.author or "un utilisateur supprimé"
        when = timezone.localtime(self.created_at)
        if self.kind == self.Kind.UNIT_MOVE:
            return (
                f"Déplacée avec « {self.cause_name} » de « {self.from_label} » vers "
                f"« {self.to_label} » par {who} le {when:%d/%m/%Y à %H:%M}"
            )
        if self.kind == self.Kind.EDIT and self.changes:
            edits = " ; ".join(f"{label} : « {old} » → « {new} »" for label, old, new in self.changes)
            along = f" (avec « {self.cause_name} »)" if self.cause_id else ""
            return f"Modifiée{along} par {who} le {when:%d/%m/%Y à %H:%M} : {edits}"
        if self.kind == self.Kind.EDIT:
            return f"Modifiée ({', '.join(self.fields)}) par {who} le {when:%d/%m/%Y à %H:%M}"
        if self.kind == self.Kind.CREATE:
            return f"Créée dans « {self.to_label} » et publiée par {who} le {when:%d/%m/%Y à %H:%M}"
        verb = "Déplacée" if self.kind == self.Kind.MOVE else "Ramenée (annulation du déplacement)"
        return f"{verb} de « {self.from_label} » vers « {self.to_label} » par {who} le {when:%d/%m/%Y à %H:%M}"

    @property
    def cause_name(self):
        """The name of the structure whose change caused this row (read with ``cause__structure``)."""
        return self.cause.structure.name if self.cause_id and self.cause is not None else ""


class OfferDraft(models.Model):
    """A user's unpublished changes to an offer ("Enregistrer le brouillon"); the published offer is untouched."""

    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="drafts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.CASCADE, related_name="+"
    )
    # The pending values of each block, as its form cleaned them: {block: {field: id, code, ISO date or value}}
    # (``offers.forms.BLOCKS``); validated again by the same forms when resumed or published.
    data = models.JSONField("modifications en attente", default=dict, blank=True)
    base_version = models.PositiveIntegerField("version de départ")
    updated_at = models.DateTimeField("enregistré le", auto_now=True)

    objects = OfferPartQuerySet.as_manager()

    class Meta:
        verbose_name = "brouillon d'offre"
        verbose_name_plural = "brouillons d'offres"
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["offer", "author"], name="offers_offerdraft_one_per_author")]

    def __str__(self):
        return f"Brouillon de « {self.offer} » par {self.author}"

    @property
    def is_stale(self):
        return self.base_version != self.offer.version


def check_publishable(mode, activites):
    """What the database cannot check on a first publication: a mode de prise en charge and an activité
    (the forms say it in French first; this guards the other callers)."""
    if mode is None or not list(activites or []):
        raise ValidationError("Une offre publiée a un mode de prise en charge et au moins une activité opérationnelle.")


def comparable(value):
    """A value reduced to what equality means for publishing: ids for rows, sorted for many rows."""
    return to_raw(value)


def sorted_rows(value):
    """Rows of a many-to-many in code order (another value unchanged)."""
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(value, key=lambda row: row.pk)
    return value


class Contact(models.Model):
    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="contacts")
    nom = models.CharField("nom", max_length=255, validators=[validate_name])
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
    # The offer's ``departement``, copied as on the offer so that a référent's list of contacts reads one index
    # range; ``save`` sets it, and the offer's ``save`` and the EG's relocation keep it.
    departement = models.CharField("département", max_length=3, blank=True, editable=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["offer", "pk"]
        indexes = [
            models.Index(fields=["nom", "id"], name="offers_contact_nom_id_idx"),  # the admin's list
            models.Index(fields=["departement", "nom", "id"], name="offers_contact_dep_nom_id_idx"),  # a territory's
        ]
        constraints = [models.CheckConstraint(condition=~Q(nom=""), name="offers_contact_nom_not_empty")]

    def __str__(self):
        return self.nom

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None or "offer" in update_fields:
            self.departement = self.offer.departement
            if update_fields is not None:
                update_fields = [*update_fields, "departement"]
        super().save(*args, update_fields=update_fields, **kwargs)

    def clean(self):
        super().clean()
        refuse_lowering(self, Contact)


class Telecom(models.Model):
    class Canal(models.TextChoices):
        # FHIR ContactPoint.system, as the ROR IG uses it.
        TELEPHONE = "phone", "Téléphone"
        FAX = "fax", "Fax"
        EMAIL = "email", "Adresse électronique"
        MSSANTE = "mssante", "Messagerie sécurisée de santé"  # an e-mail address of the MSSanté domain
        URL = "url", "Site web"
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

    objects = TelecomQuerySet.as_manager()

    class Meta:
        verbose_name = "télécommunication"
        verbose_name_plural = "télécommunications"
        ordering = ["contact", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(valeur=""), name="offers_telecom_valeur_not_empty")]

    def __str__(self):
        return f"{self.get_canal_display()} : {self.valeur}"

    def clean(self):
        super().clean()
        refuse_lowering(self, Telecom)


PARTS = {"contacts": Contact, "telecoms": Telecom}  # publish(): {"contacts": PartEdits(…), …}


def shown(row, name):
    """The text of ``row``'s field ``name`` for the history: a choice's label, a nomenclature's label."""
    field = row._meta.get_field(name)
    if field.choices:
        return display(getattr(row, f"get_{name}_display")())
    if field.is_relation:
        code = getattr(row, field.attname)
        return display(nomenclature_cache.get(field.related_model, code) if code is not None else None)
    return display(getattr(row, name))


SENSITIVE_MESSAGE = (
    "Cette offre est une unité sensible : le niveau de confidentialité reste "
    "« Visible régulation et gestion de crise »."
)


def refuse_lowering(item, model):
    """While an offer is sensitive, no contact or telecom goes below level 3 (new ones start at 3)."""
    # getattr: a form without its offer or contact yet reports that itself (RelatedObjectDoesNotExist is an
    # AttributeError); an inline telecom of a contact being created reads the offer through that contact.
    offer = getattr(item, "offer", None) if model is Contact else getattr(getattr(item, "contact", None), "offer", None)
    if offer is None or not offer.unite_sensible or item.confidentialite_id == NiveauConfidentialite.REGULATION:
        return
    previous = (
        model.objects.filter(pk=item.pk).values_list("confidentialite_id", flat=True).first() if item.pk else None
    )
    offer_was_sensitive = Offer.objects.filter(pk=offer.pk, unite_sensible=True).exists()
    if previous is None or (offer_was_sensitive and previous == NiveauConfidentialite.REGULATION):
        raise ValidationError({"confidentialite": SENSITIVE_MESSAGE})


@receiver(etablissements_relocated)
def follow_relocated_etablissements(sender, etablissement_ids, **kwargs):
    """Copy the new département of relocated EG onto the offers of their trees and their contacts: two UPDATE
    per new département (at most 101), whatever the number of EG relocated, in batches of trees."""
    trees = {}
    for tree_id, departement in (
        Structure.objects.filter(pk__in=etablissement_ids).values_list("tree_id", "departement").order_by("tree_id")
    ):
        trees.setdefault(departement, []).append(tree_id)
    for departement, tree_ids in sorted(trees.items()):
        for start in range(0, len(tree_ids), RELOCATION_BATCH):
            batch = tree_ids[start : start + RELOCATION_BATCH]
            Offer.objects.filter(structure__tree_id__in=batch).exclude(departement=departement).update(
                departement=departement
            )
            Contact.objects.filter(offer__structure__tree_id__in=batch).exclude(departement=departement).update(
                departement=departement
            )


RELOCATION_BATCH = 500  # trees per UPDATE: well under SQLite's limit on the number of parameters


# --- compiled queries (ror_portal.compiled): what the offer page reads, its SQL written once per process ----------

EVENTS_SHOWN = 50


def codes_query(**condition):
    """(offer id, "a" or "p", code) of the offers' activités opérationnelles and publics pris en charge, one query."""
    activites = Offer.activites.through.objects.filter(**condition).annotate(part=Value("a"))
    publics = Offer.publics.through.objects.filter(**condition).annotate(part=Value("p"))
    return activites.values_list("offer_id", "part", "activiteoperationnelle_id").union(
        publics.values_list("offer_id", "part", "publicprisencharge_id"), all=True
    )


OFFER_CODES = CompiledQuery(lambda: codes_query(offer=Param("offer")))
CONTACTS_OF_OFFER = CompiledQuery(lambda: Contact.objects.filter(offer=Param("offer")).order_by("pk"))
TELECOMS_OF_OFFER = CompiledQuery(
    lambda: Telecom.objects.filter(contact__offer=Param("offer")).order_by("contact_id", "pk")
)
# A structure's offers in its page's table, by name (``structures.contents``): only the published ones for a reader
# who does not manage its EG.
STRUCTURE_OFFERS = KeysetList(
    lambda published_only: Offer.objects.filter(
        Q(structure=Param("node"), published=True) if published_only else Q(structure=Param("node"))
    ).only("pk", "nom", "closed_on", "structure_id", "published", "completeness"),
    fields=("nom", "pk"),
)
# The latest rows of an offer's history, with their author and the structure whose change caused them.
OFFER_EVENTS = CompiledQuery(
    lambda: OfferEvent.objects.filter(offer=Param("offer")).select_related("author", "cause__structure")[:EVENTS_SHOWN]
)
