"""Completeness ("peuplement") of an offer, after the ANS quality rule: one set of criteria, written once as SQL
conditions, used for one offer (its page) and counted over many (an EG's page) in the same query.

Finalisé: every criterion met; À faire: none; En cours: some, the others listed with the block to fill. A
closed offer is not to complete: it is counted apart.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, Exists, ExpressionWrapper, OuterRef, Q, Value, When
from django.utils import timezone

from offers.models import Contact, Offer, Telecom
from ror_portal.compiled import CompiledQuery, Param

FINALISE, EN_COURS, A_FAIRE = (status.label for status in Offer.Completeness)  # "Finalisé", "En cours", "À faire"
BADGES = {Offer.Completeness(value).label: badge for value, badge in Offer.STATUS_BADGES.items()}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str  # what is missing, as the page says it
    block: str  # the slug of the block that fills it ("" for the general block)


CRITERIA = [
    Criterion("champ", "le champ d'activité", ""),
    Criterion("activite", "au moins une activité opérationnelle", "caracteristiques"),
    Criterion("mode", "le mode de prise en charge", "caracteristiques"),
    Criterion("patientele", "la patientèle : âge minimum et âge maximum", "caracteristiques"),
    Criterion(
        "contact",
        "un contact avec une fonction ou une nature, une télécom (canal et valeur) et un niveau de confidentialité",
        "contacts",
    ),
]


def conditions(offer_model=Offer, contact_model=Contact, telecom_model=Telecom):
    """{criterion key: condition on an offer row} (the models: a migration passes its historical ones)."""
    telecom = telecom_model.objects.filter(contact=OuterRef("pk")).exclude(valeur="").exclude(canal="")
    complete_contact = contact_model.objects.filter(offer=OuterRef("pk")).filter(
        Q(fonction__isnull=False) | Q(nature__isnull=False), Exists(telecom), confidentialite__isnull=False
    )
    return {
        "champ": Q(champ_activite__isnull=False),
        "activite": Exists(offer_model.activites.through.objects.filter(offer=OuterRef("pk"))),
        "mode": Q(mode_prise_en_charge__isnull=False),
        "patientele": Q(age_min__isnull=False, age_max__isnull=False),
        "contact": Exists(complete_contact),
    }


def with_criteria(queryset):
    """The offers annotated with ``met_<criterion>`` booleans (in the same query)."""
    return queryset.annotate(
        **{
            f"met_{key}": ExpressionWrapper(condition, output_field=BooleanField())
            for key, condition in conditions().items()
        }
    )


@dataclass(frozen=True)
class Completeness:
    status: str
    missing: list  # the criteria not met

    @property
    def badge(self):
        return BADGES[self.status]


def completeness(offer):
    """The status of an offer annotated by ``with_criteria``."""
    missing = [criterion for criterion in CRITERIA if not getattr(offer, f"met_{criterion.key}")]
    status = FINALISE if not missing else A_FAIRE if len(missing) == len(CRITERIA) else EN_COURS
    return Completeness(status, missing)


def refresh(offers, contact_model=Contact, telecom_model=Telecom):
    """Store the status of ``offers`` (a queryset) in ``Offer.completeness``: one UPDATE, the criteria in SQL.
    Called by ``Offer.publish`` and by whatever creates offers (seed, admin, benchmark data)."""
    met = conditions(offers.model, contact_model, telecom_model)
    every, some = Q(), Q()
    for condition in met.values():
        every &= condition
        some |= condition
    return offers.order_by().update(
        completeness=Case(
            When(every, then=Value("finalise")),
            When(~some, then=Value("a_faire")),
            default=Value("en_cours"),
        )
    )


def status_totals():
    """The counts of ``counts``, as aggregates."""
    open_ = open_condition()
    stored = Offer.Completeness
    return {
        "finalise": Count("pk", filter=open_ & Q(completeness=stored.FINALISE)),
        "en_cours": Count("pk", filter=open_ & Q(completeness=stored.EN_COURS)),
        "a_faire": Count("pk", filter=open_ & Q(completeness=stored.A_FAIRE)),
        "fermees": Count("pk", filter=~open_),
    }


def counts(offers):
    """{status: number} of the open offers of ``offers`` (a queryset), and the closed ones apart: one query."""
    return counts_of(offers.order_by().aggregate(**status_totals()))


# The published offers of EG counted per status, one row per EG with offers: an EG's page (one EG) and the EG list
# (a page's EG), an index-only scan of their offers whatever the size of the table.
ETABLISSEMENT_COUNTS = CompiledQuery(
    lambda: (
        Offer.objects.published()
        .filter(etablissement__any_of=Param("ids"))
        .order_by()
        .values("etablissement")
        .annotate(**status_totals())
    )
)


def counts_per_etablissement(ids):
    """{EG id: ``counts`` of its published offers} for the EG ``ids`` (every one, zeros without offers)."""
    rows = {row["etablissement"]: row for row in ETABLISSEMENT_COUNTS(ids=sorted(ids))} if ids else {}
    zero = dict.fromkeys(status_totals(), 0)
    return {pk: counts_of(rows.get(pk, zero)) for pk in ids}


def etablissement_counts(etablissement):
    """``counts`` of the published offers of ``etablissement`` (an EG)."""
    return counts_per_etablissement([etablissement.pk])[etablissement.pk]


def counts_of(totals):
    return StatusCounts(
        rows=[
            (FINALISE, totals["finalise"], BADGES[FINALISE]),
            (EN_COURS, totals["en_cours"], BADGES[EN_COURS]),
            (A_FAIRE, totals["a_faire"], BADGES[A_FAIRE]),
        ],
        closed=totals["fermees"],
    )


@dataclass(frozen=True)
class StatusCounts:
    rows: list  # (status, number of open offers, badge colour)
    closed: int

    def of(self, status):
        return next(count for label, count, _ in self.rows if label == status)

    @property
    def open(self):
        return sum(count for _label, count, _badge in self.rows)

    @property
    def total(self):
        return self.open + self.closed


def finalised_condition():
    """An offer open today whose stored status is "Finalisé"."""
    return open_condition() & Q(completeness=Offer.Completeness.FINALISE)


def open_condition():
    return Q(closed_on__isnull=True) | Q(closed_on__gt=timezone.localdate())


def share_text(finalised, open_count):
    """ "40 %" of the open offers finalised, or "—" without open offers."""
    return f"{round(100 * finalised / open_count)} %" if open_count else "—"
