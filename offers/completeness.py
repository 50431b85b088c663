"""Completeness ("peuplement") of an offer, after the ANS quality rule: one set of criteria, written once as SQL
conditions, used for one offer (its page) and counted over many (an EG's page) in the same query.

Finalisé: every criterion met; À faire: none; En cours: some, the others listed with the block to fill. A
closed offer is not to complete: it is counted apart.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from offers.models import Contact, Offer, Telecom

FINALISE, EN_COURS, A_FAIRE = "Finalisé", "En cours", "À faire"
BADGES = {FINALISE: "success", EN_COURS: "info", A_FAIRE: "warning"}


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


def conditions():
    """{criterion key: condition on an offer row}."""
    telecom = Telecom.objects.filter(contact=OuterRef("pk")).exclude(valeur="").exclude(canal="")
    complete_contact = Contact.objects.filter(offer=OuterRef("pk")).filter(
        Q(fonction__isnull=False) | Q(nature__isnull=False), Exists(telecom), confidentialite__isnull=False
    )
    return {
        "champ": Q(champ_activite__isnull=False),
        "activite": Exists(Offer.activites.through.objects.filter(offer=OuterRef("pk"))),
        "mode": Q(mode_prise_en_charge__isnull=False),
        "patientele": Q(age_min__isnull=False, age_max__isnull=False),
        "contact": Exists(complete_contact),
    }


def with_criteria(queryset):
    """The offers annotated with ``met_<criterion>`` booleans (in the same query)."""
    from django.db.models import BooleanField, ExpressionWrapper

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


def counts(offers):
    """{status: number} of the open offers of ``offers`` (a queryset), and the closed ones apart: one query."""
    met = conditions()
    every = Q()
    for condition in met.values():
        every &= condition
    some = Q()
    for condition in met.values():
        some |= condition
    open_ = open_condition()
    totals = offers.order_by().aggregate(
        finalise=Count("pk", filter=open_ & every),
        a_faire=Count("pk", filter=open_ & ~some),
        ouvertes=Count("pk", filter=open_),
        fermees=Count("pk", filter=~open_),
    )
    return StatusCounts(
        rows=[
            (FINALISE, totals["finalise"], BADGES[FINALISE]),
            (EN_COURS, totals["ouvertes"] - totals["finalise"] - totals["a_faire"], BADGES[EN_COURS]),
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


def finalised_condition():
    """An offer open today that meets every criterion."""
    every = Q()
    for condition in conditions().values():
        every &= condition
    return open_condition() & every


def open_condition():
    return Q(closed_on__isnull=True) | Q(closed_on__gt=timezone.localdate())


def share_text(finalised, open_count):
    """ "40 %" of the open offers finalised, or "—" without open offers."""
    return f"{round(100 * finalised / open_count)} %" if open_count else "—"
