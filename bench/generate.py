"""The national-size data set: EJ, EG (one MPTT tree each) and their internal structures, offers, contacts.

Rows are built in Python with their ids and MPTT columns (``tree_id``, ``lft``, ``rght``, ``level``) computed
while walking each tree depth first, then written in bulk: PostgreSQL ``COPY`` (psycopg's ``cursor.copy``),
batched ``INSERT`` elsewhere (SQLite, for the tests at a tiny scale). The whole load is one transaction.
"""

import random
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Habilitation
from bench import names
from nomenclatures.models import (
    ActiviteOperationnelle,
    CategorieEtablissement,
    FonctionContact,
    NatureContact,
    NiveauConfidentialite,
)
from offers.models import Contact, Offer, OfferDraft, OfferEvent, OfferIdentifierSequence, Telecom
from structures import departements
from structures.models import EntiteJuridique, Structure

PASSWORD = "bench-ror-2026"
CHU_DEPARTEMENT = "31"
CHU_FINESS = "310781406"
CHU_EJ_FINESS = "310781000"
CHU_NAME = "Centre hospitalier universitaire de Toulouse"
# The 100 départements of the data set: metropolitan France and the four oldest overseas départements.
DEPARTEMENTS = [code for code in departements.DEPARTEMENTS if code not in ("9E", "9F", "9J")][:100]

ELISION = re.compile(r"\bde ([AEIOUYÉÈÊÂÎÔ])")


class K:
    """The kinds as plain strings (bulk writers take no enum members)."""

    ETABLISSEMENT = Structure.Kind.ETABLISSEMENT.value
    POLE = Structure.Kind.POLE.value
    SERVICE = Structure.Kind.SERVICE.value
    UF = Structure.Kind.UF.value


ACCOUNTS = {
    "bench-responsable": "responsable offre de structure de l'EJ du CHU (le CHU et 3 autres EG)",
    "bench-referent": f"référent ROR d'un département ({CHU_DEPARTEMENT})",
    "bench-national": f"référent ROR des {len(DEPARTEMENTS)} départements",
    "bench-regulateur": f"régulateur d'un département ({CHU_DEPARTEMENT})",
    "bench-superuser": "superutilisateur",
}

# Tables written by the generator, wiped by ``--reset``.
MODELS = [
    Telecom,
    Contact,
    OfferEvent,
    OfferDraft,
    Offer.activites.through,
    Offer,
    OfferIdentifierSequence,
    Habilitation,
    Structure,
    EntiteJuridique,
]


@dataclass
class Sizes:
    etablissements: int
    entites: int
    internal: int
    offers: int
    chu_poles: int
    chu_ufs: int = 15

    @classmethod
    def for_scale(cls, scale):
        scaled = {name: max(1, round(n * scale)) for name, n in NATIONAL.items()}
        # The CHU keeps its national size down to scale 0.01 (the small database of the query counts).
        chu_poles = 60 if scale >= 0.01 else max(2, round(60 * scale * 100))
        return cls(**scaled, chu_poles=chu_poles)


NATIONAL = {"etablissements": 50_000, "entites": 10_000, "internal": 300_000, "offers": 500_000}


@dataclass
class Counts:
    entites: int = 0
    etablissements: int = 0
    internal: int = 0
    offers: int = 0
    contacts: int = 0
    telecoms: int = 0
    timings: dict = field(default_factory=dict)


def existing_data():
    """What already lies in the tables the generator writes (a non-empty dict refuses a run without --reset)."""
    return {
        model._meta.verbose_name_plural: n
        for model in (EntiteJuridique, Structure, Offer)
        if (n := model.objects.count())
    }


def reset():
    """Empty every table the generator writes and remove the bench accounts (Django's own flush SQL)."""
    tables = [model._meta.db_table for model in MODELS]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Foreign keys are checked at commit: rows written earlier in the same transaction (the tests) leave
            # pending checks that TRUNCATE refuses. Check them now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True):
            with connection.cursor() as cursor:
                cursor.execute(sql)
        get_user_model().objects.filter(username__in=ACCOUNTS).delete()


class TableWriter:
    """Rows of one model as tuples in the order of its concrete columns; unspecified columns get the field's
    default (blank for optional text, NULL for nullable, now for auto_now)."""

    def __init__(self, model, names_, now):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
        self.defaults = [self.default(f, now) for f in self.fields]
        attnames = [f.attname for f in self.fields]
        self.positions = [attnames.index(name) for name in names_]
        missing = [a for a, d in zip(attnames, self.defaults, strict=True) if d is NotImplemented and a not in names_]
        if missing:
            raise RuntimeError(f"{model.__name__}: no value for the required column(s) {', '.join(missing)}")

    @staticmethod
    def default(f, now):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        if f.has_default():
            value = f.get_default()
            return now if callable(f.default) and f.default is timezone.now else value
        if f.null:
            return None
        if isinstance(f, models.CharField | models.TextField):
            return ""
        return NotImplemented  # must be given

    def row(self, *values):
        row = list(self.defaults)
        for position, value in zip(self.positions, values, strict=True):
            row[position] = value
        return row

    def write(self, rows):
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            placeholders = ", ".join(["%s"] * len(self.fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


def next_id(model):
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


@dataclass
class Leaf:
    """Where offers go: a sanitaire UF/service (specialty index) or a médico-social EG (catégorie)."""

    pk: int
    region: str
    departement: str
    etablissement: int  # the EG's pk
    specialty: int | None = None
    uf_kind: int | None = None
    categorie: str | None = None
    chu: bool = False


class Generator:
    def __init__(self, scale=1.0, seed=2026, stdout=None):
        self.sizes = Sizes.for_scale(scale)
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.counts = Counts()
        self.leaves = []

    # --- nomenclatures -----------------------------------------------------------------------------------

    def check_nomenclatures(self):
        codes = set(CategorieEtablissement.objects.values_list("code", flat=True))
        missing = [code for code, _share, _patterns in names.CATEGORIES if code not in codes] + (
            [] if "101" in codes else ["101"]
        )
        if missing:
            raise RuntimeError(
                f"Catégories d'établissement absentes : {', '.join(missing)} (les migrations chargent les "
                "nomenclatures : lancez manage.py migrate)."
            )
        activites = set(ActiviteOperationnelle.objects.values_list("code", flat=True))
        self.activite_fallback = sorted(activites)[0]
        self.activites = activites
        self.fonctions = sorted(FonctionContact.objects.values_list("code", flat=True))
        self.natures = sorted(NatureContact.objects.values_list("code", flat=True))
        self.levels = [NiveauConfidentialite.PUBLIC, NiveauConfidentialite.PROFESSIONNELS]

    def activite(self, code):
        return code if code in self.activites else self.activite_fallback

    # --- names -------------------------------------------------------------------------------------------

    def eg_name(self, patterns):
        name = self.rng.choice(patterns).format(
            town=self.rng.choice(names.TOWNS),
            saint=self.rng.choice(names.SAINTS),
            place=self.rng.choice(names.PLACES),
            residence=self.rng.choice(names.RESIDENCES),
        )
        return ELISION.sub(r"d'\1", name).replace(" de Le ", " du ").replace(" de Les ", " des ")

    # --- the run -----------------------------------------------------------------------------------------

    def run(self):
        self.check_nomenclatures()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The portal's statement timeout (settings.DB_STATEMENT_TIMEOUT) is for requests, not bulk loads.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = 0")
            self.timed("entités juridiques et établissements", self.write_structures)
            self.timed("offres, activités, contacts", self.write_offers)
            self.timed("complétude des offres", self.write_completeness)
            self.timed("séquences et comptes", self.finish)
        if connection.vendor == "postgresql":
            self.timed("VACUUM ANALYZE", self.analyze)
        return self.counts

    def write_completeness(self):
        from offers.completeness import refresh

        refresh(Offer.objects.all())

    def timed(self, label, function):
        started = timezone.now()
        function()
        self.counts.timings[label] = (timezone.now() - started).total_seconds()

    def plan_etablissements(self):
        """(département, catégorie code, name, EJ index) of each EG but the CHU's EJ, and the EJ per département."""
        sizes = self.sizes
        others = sizes.etablissements - 4  # the CHU's EJ holds the CHU and 3 other EG
        per_dep = [others // len(DEPARTEMENTS) + (1 if i < others % len(DEPARTEMENTS) else 0) for i in range(100)]
        ej_total = max(len([n for n in per_dep if n]), sizes.entites - 1)
        categories = [c for c, _share, _p in names.CATEGORIES]
        weights = [share for _c, share, _p in names.CATEGORIES]
        patterns = {c: p for c, _share, p in names.CATEGORIES}
        plan, entites = [], []  # entites: (département, index within it)
        for dep, count in zip(DEPARTEMENTS, per_dep, strict=True):
            if not count:
                continue
            n_ej = max(1, min(count, round(ej_total * count / max(others, 1))))
            first = len(entites)
            entites.extend((dep, i) for i in range(n_ej))
            # Every EJ has an EG; the rest go mostly to the first EJ of the département (a few big groups).
            owners = list(range(n_ej)) + self.rng.choices(
                range(n_ej), weights=[1 / (i + 1) for i in range(n_ej)], k=count - n_ej
            )
            for owner in owners:
                categorie = self.rng.choices(categories, weights)[0]
                plan.append((dep, categorie, self.eg_name(patterns[categorie]), first + owner))
        return plan, entites

    def write_structures(self):
        sizes = self.sizes
        plan, entites = self.plan_etablissements()
        ej_writer = TableWriter(EntiteJuridique, ["id", "finess_ej", "raison_sociale", "siren"], self.now)
        ej_id = next_id(EntiteJuridique)
        finess_seq = {}

        def finess(dep, start=0):
            """A FINESS number of the département: EG numbered from 0, EJ from 500,000."""
            finess_seq[dep, start] = finess_seq.get((dep, start), start) + 1
            prefix = dep if not dep[1].isalpha() or dep[0] != "9" else f"97{'ABCD'.index(dep[1]) + 1}"
            return f"{prefix}{finess_seq[dep, start]:0{9 - len(prefix)}d}"

        ej_rows = [ej_writer.row(ej_id, CHU_EJ_FINESS, "CHU DE TOULOUSE", "313155423")]
        ej_ids = []
        for n, (dep, i) in enumerate(entites):
            ej_ids.append(ej_id + 1 + n)
            town = self.rng.choice(names.TOWNS)
            label = "GROUPE HOSPITALIER" if i == 0 else self.rng.choice(["ASSOCIATION", "SAS", "CCAS", "FONDATION"])
            ej_rows.append(ej_writer.row(ej_id + 1 + n, finess(dep, 500_000), f"{label} {town.upper()}", ""))
        self.counts.entites = ej_writer.write(ej_rows)

        eg_fields = [
            "id", "kind", "name", "parent_id", "finess_et", "entite_juridique_id", "categorie_id", "raison_sociale",
            "departement", "ville", "code_postal", "tree_id", "lft", "rght", "level", "etablissement_categorie_id",
        ]  # fmt: skip
        node_fields = [
            "id", "kind", "name", "parent_id", "tree_id", "lft", "rght", "level", "etablissement_categorie_id",
        ]  # fmt: skip
        eg_writer = TableWriter(Structure, eg_fields, self.now)
        node_writer = TableWriter(Structure, node_fields, self.now)
        self.next_pk = next_id(Structure)
        self.next_tree = (Structure.objects.aggregate(m=models.Max("tree_id"))["m"] or 0) + 1

        chu_group = [
            (CHU_NAME, CHU_FINESS),
            ("Hôpital Pierre-Paul Riquet", None),
            ("Hôpital des Enfants", None),
            ("Hôpital Larrey", None),
        ]
        sanitaire = {c.code for c in CategorieEtablissement.objects.filter(domaine="sanitaire")}
        # Trees for the sanitaire EG until the budget of internal structures is spent (the CHU's first).
        budget = [sizes.internal - (sizes.chu_poles * (1 + sizes.chu_ufs))]

        def rows():
            for n, (name, finess_et) in enumerate(chu_group):
                yield from self.etablissement(
                    eg_writer, node_writer, name, finess_et or finess(CHU_DEPARTEMENT), CHU_DEPARTEMENT, "101",
                    ej_id, chu=(n == 0), budget=budget if n else None,
                )  # fmt: skip
            for dep, categorie, name, owner in plan:
                yield from self.etablissement(
                    eg_writer, node_writer, name, finess(dep), dep, categorie, ej_ids[owner],
                    budget=budget if categorie in sanitaire else None,
                )  # fmt: skip

        written = eg_writer.write(rows())
        self.counts.etablissements = written - self.counts.internal

    def etablissement(self, eg_writer, node_writer, name, finess_et, dep, categorie, ej, chu=False, budget=None):
        """The EG row then its internal structures, depth first, with their MPTT columns."""
        tree_id = self.next_tree
        self.next_tree += 1
        eg_pk = self.next_pk
        self.next_pk += 1
        region = departements.region(dep)
        if chu:
            children = self.chu_tree()
        elif budget is not None and budget[0] > 0:
            children = self.random_tree(budget)
        else:
            children = []
        nodes = []  # (pk, kind, name, parent, lft, level, children count...) filled by walk
        counter = [2]

        def walk(parent_pk, items, level):
            for kind, node_name, sub, specialty, uf_kind in items:
                pk = self.next_pk
                self.next_pk += 1
                lft = counter[0]
                counter[0] += 1
                index = len(nodes)
                nodes.append([pk, kind, node_name, parent_pk, lft, 0, level])
                walk(pk, sub, level + 1)
                nodes[index][5] = counter[0]
                counter[0] += 1
                if not sub and kind != K.POLE:
                    self.leaves.append(Leaf(pk, region, dep, eg_pk, specialty=specialty, uf_kind=uf_kind, chu=chu))

        walk(eg_pk, children, 1)
        if not children and categorie in names.MEDICO_SOCIAL_OFFERS:
            self.leaves.append(Leaf(eg_pk, region, dep, eg_pk, categorie=categorie))
        town = name.split(" de ")[-1] if " de " in name else ""
        yield eg_writer.row(
            eg_pk, K.ETABLISSEMENT, name, None, finess_et, ej, categorie, name.upper(), dep, town,
            postal_code(dep), tree_id, 1, counter[0], 0, categorie,
        )  # fmt: skip
        for pk, kind, node_name, parent_pk, lft, rght, level in nodes:
            yield node_writer.row(pk, kind, node_name, parent_pk, tree_id, lft, rght, level, categorie)
        self.counts.internal += len(nodes)

    def chu_tree(self):
        sizes = self.sizes
        specialties = names.SPECIALTIES
        poles = []
        for p in range(sizes.chu_poles):
            s = p % len(specialties)
            site = " – site Purpan" if p < len(specialties) else " – site Rangueil"
            pole_name = f"Pôle {specialties[s][0].capitalize()}{site}"
            ufs = []
            for u in range(sizes.chu_ufs):
                kind = u % len(names.UF_KINDS)
                sector = "ABCDEFGHIJKLMNOP"[u // len(names.UF_KINDS)]
                uf_name = f"UF {names.UF_KINDS[kind][0]} de {specialties[s][0]} – secteur {sector}"
                ufs.append((K.UF, uf_name, [], s, kind))
            poles.append((K.POLE, pole_name, ufs, s, None))
        return poles

    def random_tree(self, budget):
        """A small hospital's organisation: pôles → services → UF, or services → UF without pôles."""
        rng = self.rng
        specialties = rng.sample(range(len(names.SPECIALTIES)), rng.randint(2, 8))
        services = []
        for s in specialties:
            kinds = rng.sample(range(len(names.UF_KINDS)), rng.randint(1, 3))
            specialty = names.SPECIALTIES[s][0]
            ufs = [(K.UF, f"UF {names.UF_KINDS[k][0]} de {specialty}", [], s, k) for k in kinds]
            services.append((K.SERVICE, f"Service de {specialty}", ufs, s, 0))
        if len(services) > 2 and rng.random() < 0.7:
            pole_names = rng.sample(names.POLES, max(1, len(services) // 2))
            items = [(K.POLE, name, [], None, None) for name in pole_names]
            for i, service in enumerate(services):
                items[i % len(items)][2].append(service)
        else:
            items = services
        size = tree_size(items)
        if size > budget[0]:
            items = services[:1]
            items = [(K.SERVICE, items[0][1], items[0][2][: max(0, budget[0] - 1)], items[0][3], 0)]
            size = 1 + len(items[0][2])
            if size > budget[0]:
                return []
        budget[0] -= size
        return items

    def write_offers(self):
        sizes = self.sizes
        rng = self.rng
        leaves = self.leaves
        # Every leaf gets offers: the total spread evenly, the remainder at random.
        per_leaf = [sizes.offers // len(leaves)] * len(leaves)
        for i in rng.sample(range(len(leaves)), sizes.offers % len(leaves)):
            per_leaf[i] += 1
        offer_fields = [
            "id", "structure_id", "nom", "champ_activite_id", "modele_saisie", "identifiant",
            "mode_prise_en_charge_id", "age_min", "age_max", "created_at", "updated_at", "version", "departement",
            "etablissement_id",
        ]  # fmt: skip
        offer_writer = TableWriter(Offer, offer_fields, self.now)
        through = Offer.activites.through
        activite_writer = TableWriter(through, ["id", "offer_id", "activiteoperationnelle_id"], self.now)
        contact_fields = ["id", "offer_id", "nom", "fonction_id", "nature_id", "confidentialite_id", "departement"]
        contact_writer = TableWriter(Contact, contact_fields, self.now)
        telecom_writer = TableWriter(Telecom, ["id", "contact_id", "canal", "valeur", "confidentialite_id"], self.now)
        sequences = dict(OfferIdentifierSequence.objects.values_list("region", "last_value"))
        self.sequences = sequences
        offer_pk, link_pk = next_id(Offer), next_id(through)
        contact_pk, telecom_pk = next_id(Contact), next_id(Telecom)
        activites, contacts, telecoms = [], [], []

        def offers():
            nonlocal offer_pk, link_pk, contact_pk, telecom_pk
            for leaf, count in zip(leaves, per_leaf, strict=True):
                for n in range(count):
                    if leaf.categorie:
                        label, mode, (age_min, age_max) = names.MEDICO_SOCIAL_OFFERS[leaf.categorie][
                            n % len(names.MEDICO_SOCIAL_OFFERS[leaf.categorie])
                        ]
                        nom = label if n < len(names.MEDICO_SOCIAL_OFFERS[leaf.categorie]) else f"{label} ({n + 1})"
                        champ, activite, specialty = "04", "050", "accueil"
                    else:
                        specialty, champ, activite = names.SPECIALTIES[leaf.specialty]
                        _uf, pattern, mode = names.UF_KINDS[leaf.uf_kind]
                        nom = pattern.format(s=specialty)
                        age_min, age_max = (None, None)
                        if n:
                            nom, (age_min, age_max) = (f"{nom} – enfants", (0, 17)) if n % 2 else (
                                f"{nom} – adultes", (18, None))  # fmt: skip
                            if n > 2:
                                nom = f"{nom} {n}"
                    sequences[leaf.region] = sequences.get(leaf.region, 0) + 1
                    yield offer_writer.row(
                        offer_pk, leaf.pk, nom, champ, "260/01" if champ == "01" else f"{champ}0/01",
                        f"{leaf.region}/{sequences[leaf.region]}", mode, age_min, age_max, self.now, self.now, 1,
                        leaf.departement, leaf.etablissement,
                    )  # fmt: skip
                    activites.append(activite_writer.row(link_pk, offer_pk, self.activite(activite)))
                    link_pk += 1
                    if leaf.chu or rng.random() < 0.1:
                        for c in range(1 if not leaf.chu else 2):
                            level = NiveauConfidentialite.REGULATION if c else rng.choice(self.levels)
                            contacts.append(
                                contact_writer.row(
                                    contact_pk,
                                    offer_pk,
                                    f"Secrétariat de {specialty}" if not c else "Cadre de santé",
                                    rng.choice(self.fonctions),
                                    rng.choice(self.natures),
                                    level,
                                    leaf.departement,
                                )  # fmt: skip
                            )
                            phone = f"0{rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} 00 {c:02d}"
                            telecoms.append(telecom_writer.row(telecom_pk, contact_pk, "phone", phone, level))
                            telecom_pk += 1
                            if not c:
                                email = f"contact{contact_pk}@etablissement.invalid"
                                telecoms.append(telecom_writer.row(telecom_pk, contact_pk, "email", email, level))
                                telecom_pk += 1
                            contact_pk += 1
                    offer_pk += 1

        self.counts.offers = offer_writer.write(offers())
        activite_writer.write(activites)
        self.counts.contacts = contact_writer.write(contacts)
        self.counts.telecoms = telecom_writer.write(telecoms)

    def finish(self):
        for region, last_value in self.sequences.items():
            OfferIdentifierSequence.objects.update_or_create(region=region, defaults={"last_value": last_value})
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), MODELS):
                cursor.execute(sql)
        create_accounts()

    def analyze(self):
        """Planner statistics and the visibility map (index-only scans) for the new rows. VACUUM cannot run in
        a transaction (the tests): ANALYZE alone there."""
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in MODELS:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def tree_size(items):
    return sum(1 + tree_size(sub) for _kind, _name, sub, _s, _u in items)


def postal_code(dep):
    if dep in ("2A", "2B"):
        return "20000"
    if dep[0] == "9" and dep[1].isalpha():
        return f"97{'ABCD'.index(dep[1]) + 1}00"
    return f"{dep}000"


def create_accounts():
    """The bench's accounts (password ``PASSWORD``), one per role; see ``ACCOUNTS``."""
    User = get_user_model()
    chu = Structure.objects.get(finess_et=CHU_FINESS)
    role = Habilitation.Role
    habilitations = {
        "bench-responsable": [(role.RESPONSABLE, {"entite_juridique_id": chu.entite_juridique_id})],
        "bench-referent": [(role.REFERENT, {"departement": CHU_DEPARTEMENT})],
        "bench-national": [(role.REFERENT, {"departement": dep}) for dep in DEPARTEMENTS],
        "bench-regulateur": [(role.REGULATEUR, {"departement": CHU_DEPARTEMENT})],
        "bench-superuser": [],
    }
    for username in ACCOUNTS:
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": "Banc",
                "last_name": username.removeprefix("bench-").capitalize(),
                "email": f"{username}@ror-bench.invalid",
                "is_staff": username in ("bench-referent", "bench-national", "bench-superuser"),
                "is_superuser": username == "bench-superuser",
                "is_active": True,
            },
        )
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        user.habilitations.all().delete()
        Habilitation.objects.bulk_create(
            Habilitation(user=user, role=r, **scope) for r, scope in habilitations[username]
        )
