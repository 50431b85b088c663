"""Import of the public FINESS établissement extract (etalab ``cs1100502`` / ``cs1100507``).

The file is streamed: an optional comment line ``finess;etalab;<n>;<date>``, then ``structureet``
records of 32 ``;``-separated cells (CSV quoting), and in the geolocated variant ``geolocalisation``
records (ignored here). Encoding is detected (UTF-8 in recent extracts, Windows-1252 before).

Each line is validated as a whole before anything is written, so a bad line is rejected with its
number and never half-written. Valid lines are written in batches, one transaction per batch,
keyed on the FINESS number: a second run of the same file changes nothing.
"""

import csv
import re
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from nomenclatures.models import CategorieEtablissement
from structures.models import EntiteJuridique, Structure
from structures.signals import etablissements_relocated

STRUCTUREET_COLUMNS = [
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
    "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
    "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
]  # fmt: skip
FINESS_RE = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
DEPARTEMENT_RE = re.compile(r"^[0-9][0-9A-Z]$")
CATEGORIE_RE = re.compile(r"^[0-9]{3}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BATCH_SIZE = 2000
MAX_KEPT = 100  # messages kept for the report; the national file can raise tens of thousands of warnings

# Fields of an EG that the FINESS file owns (the portal owns the others, e.g. the displayed name).
IMPORTED_FIELDS = [
    "raison_sociale", "raison_sociale_longue", "complement_raison_sociale", "complement_distribution",
    "numero_voie", "type_voie", "voie", "complement_voie", "lieu_dit_bp", "commune", "departement",
    "code_postal", "ville", "telephone", "telecopie", "categorie_id", "siret", "opened_on",
    "finess_updated_on", "entite_juridique_id",
]  # fmt: skip


def luhn_ok(finess):
    """The 9th character behaves as a Luhn check digit (2A/2B read as 21/22): observed, not official."""
    digits = finess.replace("2A", "21", 1).replace("2B", "22", 1) if finess[:2] in ("2A", "2B") else finess
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def detect_encoding(path):
    """UTF-8 when the lines with non-ASCII bytes are mostly valid UTF-8, else Windows-1252.

    Returns (encoding, number of lines). A few undecodable lines in a UTF-8 file are rejected one by
    one later (they decode to U+FFFD) instead of turning the whole file into mojibake.
    """
    valid = invalid = lines = 0
    with open(path, "rb") as handle:
        for raw in handle:
            lines += 1
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                valid += 1
            except UnicodeDecodeError:
                invalid += 1
    return ("utf-8-sig" if valid >= invalid else "cp1252"), lines


def parse_date(value):
    if not value:
        return None
    if not DATE_RE.match(value):
        raise ValueError
    return date.fromisoformat(value)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ej_created: int = 0
    skipped: int = 0  # filtered out by département, or geolocalisation records
    rejected: list = field(default_factory=list)  # (line number, message), the first MAX_KEPT only
    warnings: list = field(default_factory=list)
    rejected_count: int = 0
    warning_count: int = 0
    encoding: str = ""
    extraction: str = ""

    @property
    def changed(self):
        return self.created + self.updated + self.ej_created


class FinessImport:
    def __init__(self, path, departements=None, progress=None):
        self.path = path
        self.departements = set(departements or [])
        self.progress = progress or (lambda done, total: None)
        self.report = Report()
        self.categories = set(CategorieEtablissement.objects.values_list("code", flat=True))
        self.seen = {}  # FINESS ET -> line number of its first occurrence

    def run(self):
        encoding, total_lines = detect_encoding(self.path)
        self.report.encoding = "UTF-8" if encoding.startswith("utf-8") else "Windows-1252"
        batch = []
        with open(self.path, encoding=encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=";", quotechar='"')
            for cells in reader:
                line = reader.line_num
                row = self.validate(line, cells)
                if row is not None:
                    batch.append(row)
                if len(batch) >= BATCH_SIZE:
                    self.write(batch)
                    batch = []
                    self.progress(line, total_lines)
        if batch:
            self.write(batch)
        self.progress(total_lines, total_lines)
        if self.report.created + self.report.updated > 1000 and connection.vendor == "postgresql":
            # Fresh statistics after a bulk load, or the planner picks index scans for 14 rows out of 100,000.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE structures_structure, structures_entitejuridique")
        return self.report

    def reject(self, line, message):
        self.report.rejected_count += 1
        if len(self.report.rejected) < MAX_KEPT:
            self.report.rejected.append((line, message))

    def warn(self, line, message):
        self.report.warning_count += 1
        if len(self.report.warnings) < MAX_KEPT:
            self.report.warnings.append((line, message))

    def validate(self, line, cells):
        """A dict of model values for a valid ``structureet`` line, else None (rejected or skipped)."""
        if not cells or cells == [""]:
            return None
        if line == 1 and cells[0] == "finess":
            self.report.extraction = cells[3] if len(cells) > 3 else ""
            return None
        if cells[0] == "geolocalisation":
            self.report.skipped += 1
            return None
        if cells[0] != "structureet":
            self.reject(line, f"type d'enregistrement inconnu « {cells[0][:30]} » (attendu : structureet).")
            return None
        if len(cells) != len(STRUCTUREET_COLUMNS):
            self.reject(line, f"{len(cells)} cellules au lieu de {len(STRUCTUREET_COLUMNS)}.")
            return None
        if any("\ufffd" in cell for cell in cells):
            self.reject(line, "caractères illisibles : la ligne n'est pas dans l'encodage du fichier.")
            return None
        cell = dict(zip(STRUCTUREET_COLUMNS, (value.strip() for value in cells), strict=True))
        if self.departements and cell["departement"] not in self.departements:
            self.report.skipped += 1
            return None
        for key, label in (("nofinesset", "FINESS ET"), ("nofinessej", "FINESS EJ")):
            if not FINESS_RE.match(cell[key]):
                self.reject(line, f"numéro {label} mal formé « {cell[key]} » (9 caractères attendus).")
                return None
        if not cell["rs"]:
            self.reject(line, "raison sociale vide.")
            return None
        if not DEPARTEMENT_RE.match(cell["departement"]):
            self.reject(line, f"code département invalide « {cell['departement']} ».")
            return None
        if not CATEGORIE_RE.match(cell["categetab"]) or cell["categetab"] not in self.categories:
            self.reject(line, f"catégorie d'établissement inconnue « {cell['categetab']} ».")
            return None
        try:
            opened_on = parse_date(cell["dateouv"])
            updated_on = parse_date(cell["datemaj"])
        except ValueError:
            self.reject(line, "date invalide (format attendu : AAAA-MM-JJ).")
            return None
        finess = cell["nofinesset"]
        if finess in self.seen:
            self.reject(line, f"FINESS ET {finess} en double (déjà présent ligne {self.seen[finess]}).")
            return None
        self.seen[finess] = line
        for key, label in (("nofinesset", "FINESS ET"), ("nofinessej", "FINESS EJ")):
            if not luhn_ok(cell[key]):
                self.warn(line, f"la clé du numéro {label} {cell[key]} ne vérifie pas la règle de Luhn (importé).")
        postcode, _, city = cell["ligneacheminement"].partition(" ")
        siret = cell["siret"] if re.fullmatch(r"[0-9]{14}", cell["siret"]) else ""
        if cell["siret"] and not siret:
            self.warn(line, f"SIRET « {cell['siret']} » ignoré (14 chiffres attendus).")
        return {
            "finess_et": finess,
            "finess_ej": cell["nofinessej"],
            "raison_sociale": cell["rs"],
            "raison_sociale_longue": cell["rslongue"],
            "complement_raison_sociale": cell["complrs"],
            "complement_distribution": cell["compldistrib"],
            "numero_voie": cell["numvoie"][:10],
            "type_voie": cell["typvoie"][:10],
            "voie": cell["voie"],
            "complement_voie": cell["compvoie"][:10],
            "lieu_dit_bp": cell["lieuditbp"],
            "commune": cell["commune"][:3],
            "departement": cell["departement"],
            "code_postal": postcode[:5] if postcode.isdigit() else "",
            "ville": city.strip() if postcode.isdigit() else cell["ligneacheminement"],
            "telephone": cell["telephone"][:20],
            "telecopie": cell["telecopie"][:20],
            "categorie_id": cell["categetab"],
            "siret": siret,
            "opened_on": opened_on,
            "finess_updated_on": updated_on,
        }

    @transaction.atomic
    def write(self, rows):
        ej_ids = self.entites_juridiques({row["finess_ej"] for row in rows})
        existing = {
            finess_et: (pk, dict(zip(IMPORTED_FIELDS, current, strict=True)))
            for pk, finess_et, *current in Structure.objects.filter(
                finess_et__in=[row["finess_et"] for row in rows]
            ).values_list("id", "finess_et", *IMPORTED_FIELDS)
        }
        to_create, to_update = [], {}
        for row in rows:
            values = {name: row[name] for name in IMPORTED_FIELDS if name in row}
            values["entite_juridique_id"] = ej_ids[row["finess_ej"]]
            if row["finess_et"] not in existing:
                to_create.append(values | {"finess_et": row["finess_et"], "name": row["raison_sociale"]})
                continue
            pk, current = existing[row["finess_et"]]
            if values != current:
                to_update[pk] = values
            else:
                self.report.unchanged += 1
        if to_create:
            # New roots, one tree each: allocate tree ids after the current maximum. The partial unique
            # constraint on (tree_id) for roots refuses a concurrent allocation instead of merging trees.
            next_tree = (Structure.objects.aggregate(m=Max("tree_id"))["m"] or 0) + 1
            Structure.objects.bulk_create(
                Structure(
                    kind=Structure.Kind.ETABLISSEMENT,
                    tree_id=next_tree + i,
                    lft=1,
                    rght=2,
                    level=0,
                    etablissement_categorie_id=values["categorie_id"],
                    **values,
                )
                for i, values in enumerate(to_create)
            )
        if to_update:
            self.update(to_update)
            before = dict(existing.values())

            def changed(name):
                return [pk for pk, values in to_update.items() if values[name] != before[pk][name]]

            recategorised = changed("categorie_id")
            if recategorised:
                # After the EG's own UPDATE (which locked them), in a statement of its own: it also sees a structure
                # added meanwhile under the EG's lock (``Structure.add_internal``).
                trees = Structure.objects.filter(pk__in=recategorised).values("tree_id")
                Structure.objects.filter(tree_id__in=trees).sync_etablissement_categories()
            relocated = changed("departement")
            if relocated:
                etablissements_relocated.send(sender=Structure, etablissement_ids=relocated)
        self.report.created += len(to_create)
        self.report.updated += len(to_update)

    @staticmethod
    def update(changes):
        """Write ``changes`` (EG id -> its FINESS values) in one ``UPDATE … FROM`` a temporary table of them.

        The cost follows the changed rows only. ``bulk_update()`` built a ``CASE WHEN id = … THEN …`` per
        field over the batch's changed rows: 3 to 9 ms a row, mostly spent in Python building the
        expressions (a 20 %-changed national file took minutes). SQLite (3.33+) and PostgreSQL both run
        this SQL; the changed rows also get a new ``updated_at``, the unchanged ones are not written.
        """
        quote = connection.ops.quote_name
        fields = [Structure._meta.get_field(name) for name in IMPORTED_FIELDS]
        updated_at = Structure._meta.get_field("updated_at")
        table, pk = quote(Structure._meta.db_table), quote(Structure._meta.pk.column)
        columns = ", ".join([pk, *(quote(field.column) for field in fields)])
        placeholders = ", ".join(["%s"] * (len(fields) + 1))
        assignments = ", ".join(f"{quote(field.column)} = finess_changes.{quote(field.column)}" for field in fields)
        with connection.cursor() as cursor:
            # Same column types as the table's, on both databases.
            cursor.execute(f"CREATE TEMPORARY TABLE finess_changes AS SELECT {columns} FROM {table} WHERE 1 = 0")
            cursor.executemany(
                f"INSERT INTO finess_changes ({columns}) VALUES ({placeholders})",
                [
                    [eg_id, *(field.get_db_prep_value(values[field.attname], connection) for field in fields)]
                    for eg_id, values in changes.items()
                ],
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments}, {quote(updated_at.column)} = %s "
                f"FROM finess_changes WHERE {table}.{pk} = finess_changes.{pk}",
                [updated_at.get_db_prep_value(timezone.now(), connection)],
            )
            cursor.execute("DROP TABLE finess_changes")

    def entites_juridiques(self, numbers):
        ids = dict(EntiteJuridique.objects.filter(finess_ej__in=numbers).values_list("finess_ej", "id"))
        missing = sorted(numbers - ids.keys())
        if missing:
            EntiteJuridique.objects.bulk_create(EntiteJuridique(finess_ej=number) for number in missing)
            ids.update(EntiteJuridique.objects.filter(finess_ej__in=missing).values_list("finess_ej", "id"))
            self.report.ej_created += len(missing)
        return ids
