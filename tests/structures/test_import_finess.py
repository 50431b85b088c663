"""manage.py import_finess on the real files and on broken input."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from structures import finess
from structures.models import EntiteJuridique, Structure

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "structures" / "data" / "finess"
TARN = DATA / "tarn81-RECONSTRUCTED-from-sae2021-in-cs1100502-layout.csv"
EXCERPT = DATA / "etalab-cs1100502-excerpt-20260512.csv"
CLAUDE_BERNARD = TARN.read_text(encoding="utf-8").splitlines()[
    [line.split(";")[1] for line in TARN.read_text(encoding="utf-8").splitlines()].index("810000224")
]


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_finess", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, lines, encoding="utf-8"):
    path = tmp_path / "extraction.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def line_with(base, **cells):
    values = base.split(";")
    for name, value in cells.items():
        values[finess.STRUCTUREET_COLUMNS.index(name)] = value
    return ";".join(values)


def snapshot():
    return sorted(
        Structure.objects.values_list(*["finess_et", "name", *finess.IMPORTED_FIELDS, "tree_id", "lft", "rght"])
    )


def finess_values():
    """The FINESS-owned values of every EG, its EJ by number (ids differ from one import to another)."""
    fields = [name for name in finess.IMPORTED_FIELDS if name != "entite_juridique_id"]
    return sorted(Structure.objects.values_list("finess_et", "entite_juridique__finess_ej", *fields))


def test_the_real_tarn_rows_are_imported():
    out, _ = run(TARN)

    assert "23 établissement(s) créé(s), 0 mis à jour, 0 inchangé(s), 0 ligne(s) rejetée(s)" in out
    eg = Structure.objects.get(finess_et="810000224")
    assert eg.name == eg.raison_sociale == "CL CLAUDE BERNARD"
    assert eg.entite_juridique.finess_ej == "810000471"
    assert eg.categorie.code == "365"
    assert (eg.code_postal, eg.ville, eg.departement, eg.commune) == ("81000", "ALBI", "81", "004")
    assert eg.is_etablissement and eg.level == 0
    assert Structure.objects.filter(kind="EG").count() == 23
    assert len(set(Structure.objects.values_list("tree_id", flat=True))) == 23


def test_the_verbatim_excerpt_with_its_comment_line_and_quoted_cells():
    out, _ = run(EXCERPT)

    assert "14 établissement(s) créé(s)" in out
    assert "extraction du 2026-05-12" in out
    lieu_de_vie = Structure.objects.get(finess_et="980501506")
    assert lieu_de_vie.raison_sociale == 'LIEU DE VIE "MAVOUNA MEMA 1"'
    assert lieu_de_vie.raison_sociale_longue == 'LIEU DE VIE ET D\'ACCUEIL "MAVOUNA MEMA 1"'
    ehpad = Structure.objects.get(finess_et="970302287")
    assert ehpad.categorie.domaine == "medico_social"
    assert ehpad.opened_on.isoformat() == "1988-05-02"
    assert ehpad.finess_updated_on.isoformat() == "2024-04-22"
    assert Structure.objects.get(finess_et="970216057").entite_juridique.finess_ej == "590799730"


def test_a_second_run_changes_nothing_and_says_so():
    run(TARN)
    before = snapshot()

    out, _ = run(TARN)

    assert "0 établissement(s) créé(s), 0 mis à jour, 23 inchangé(s)" in out
    assert "Aucune modification" in out
    assert snapshot() == before


def test_an_update_changes_finess_cells_but_keeps_the_portal_name(tmp_path):
    run(write(tmp_path, [CLAUDE_BERNARD]))
    Structure.objects.filter(finess_et="810000224").update(name="CLINIQUE CLAUDE BERNARD - ALBI")

    out, _ = run(write(tmp_path, [line_with(CLAUDE_BERNARD, rs="CL C. BERNARD", voie="DU PERE COLOMBIER")]))

    assert "0 établissement(s) créé(s), 1 mis à jour" in out
    eg = Structure.objects.get(finess_et="810000224")
    assert (eg.name, eg.raison_sociale, eg.voie) == (
        "CLINIQUE CLAUDE BERNARD - ALBI",
        "CL C. BERNARD",
        "DU PERE COLOMBIER",
    )


def test_an_update_writes_the_new_values_of_the_changed_rows_and_nothing_else(tmp_path):
    lines = [line_with(CLAUDE_BERNARD, nofinesset=f"81000{n}224") for n in range(4)]
    run(write(tmp_path, lines))
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    Structure.objects.update(updated_at=long_ago)
    lines[0] = line_with(lines[0], telephone="0563000000")
    lines[1] = line_with(  # several fields of every kind: text, date, category, a new EJ
        lines[1], rs="CL C. BERNARD", ligneacheminement="81990 CAMBON", dateouv="1990-01-02", categetab="109",
        nofinessej="810099903",
    )  # fmt: skip
    new_file = write(tmp_path, lines)

    out, _ = run(new_file)

    assert "0 établissement(s) créé(s), 2 mis à jour, 2 inchangé(s)" in out
    assert "1 entité(s) juridique(s) créée(s)" in out
    updated_at = dict(Structure.objects.values_list("finess_et", "updated_at"))
    assert updated_at["810000224"] > long_ago and updated_at["810001224"] > long_ago
    assert updated_at["810002224"] == updated_at["810003224"] == long_ago  # not written
    updated = finess_values()
    Structure.objects.all().delete()
    EntiteJuridique.objects.all().delete()
    run(new_file)
    assert updated == finess_values()  # as a fresh import of the new file


def test_an_update_batch_costs_the_same_queries_whatever_changed(tmp_path, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(finess, "BATCH_SIZE", 100)
    lines = [line_with(CLAUDE_BERNARD, nofinesset=f"81{n:07d}") for n in range(300)]
    run(write(tmp_path, lines))
    new_values = {
        "rs": lambda n: f"CLINIQUE {n}",
        "voie": lambda n: f"RUE {n}",
        "telephone": lambda n: f"05{n:08d}",
        "dateouv": lambda n: f"19{10 + n % 90}-01-01",
        "categetab": lambda n: "109",
    }
    columns = list(new_values)
    for n in range(300):  # one or two fields each, in 15 different combinations
        changed = {columns[n % 5], columns[n // 5 % 5]}
        lines[n] = line_with(lines[n], **{column: new_values[column](n) for column in changed})
    new_file = write(tmp_path, lines)

    # The categories once, then per batch of 100: a savepoint, the EJ, the existing EG, the temporary table
    # of the changes (create, fill, update from it, drop), the new catégories carried to the trees of the EG
    # that changed catégorie (every batch has some) and the savepoint's release.
    with django_assert_num_queries(1 + 3 * 9):
        out, _ = run(new_file)

    assert "300 mis à jour" in out


def test_departement_filter(tmp_path):
    out, _ = run(EXCERPT, "--departement", "9C", "9D")

    assert set(Structure.objects.values_list("departement", flat=True)) == {"9C", "9D"}
    assert "5 établissement(s) créé(s)" in out
    assert "9 ligne(s) ignorée(s)" in out


def test_bad_lines_are_rejected_with_their_number_and_the_others_imported(tmp_path):
    good = line_with(CLAUDE_BERNARD)
    lines = [
        good,
        good.rsplit(";", 1)[0],  # 31 cells
        line_with(CLAUDE_BERNARD, nofinesset="81000022", nofinessej="810000471"),
        line_with(CLAUDE_BERNARD, nofinesset="810000232", categetab="999"),
        line_with(CLAUDE_BERNARD, nofinesset="810000240", nofinessej="81X000471"),
        line_with(CLAUDE_BERNARD, nofinesset="810000257", dateouv="12/05/2026"),
        line_with(CLAUDE_BERNARD, nofinesset="810000265", rs=""),
        "autre;chose",
        good,  # duplicate
        line_with(CLAUDE_BERNARD, nofinesset="810000505"),
    ]

    out, err = run(write(tmp_path, lines))

    assert "Ligne 2 rejetée : 31 cellules au lieu de 32." in err
    assert "Ligne 3 rejetée : numéro FINESS ET mal formé « 81000022 »" in err
    assert "Ligne 4 rejetée : catégorie d'établissement inconnue « 999 »." in err
    assert "Ligne 5 rejetée : numéro FINESS EJ mal formé" in err
    assert "Ligne 6 rejetée : date invalide" in err
    assert "Ligne 7 rejetée : raison sociale vide." in err
    assert "Ligne 8 rejetée : type d'enregistrement inconnu « autre »" in err
    assert "Ligne 9 rejetée : FINESS ET 810000224 en double (déjà présent ligne 1)." in err
    assert "2 établissement(s) créé(s)" in out
    assert "8 ligne(s) rejetée(s)" in out
    assert set(Structure.objects.values_list("finess_et", flat=True)) == {"810000224", "810000505"}


def test_a_failed_check_digit_is_imported_with_a_warning(tmp_path):
    out, err = run(write(tmp_path, [line_with(CLAUDE_BERNARD, nofinesset="810000225")]))

    assert "Ligne 1, avertissement : la clé du numéro FINESS ET 810000225 ne vérifie pas la règle de Luhn" in err
    assert Structure.objects.filter(finess_et="810000225").exists()
    assert "1 avertissement(s)" in out


def test_a_windows_1252_file_is_detected_and_decoded(tmp_path):
    path = write(tmp_path, [line_with(CLAUDE_BERNARD, rs="CLINIQUE DE L'ÉTOILE", voie="DU PÈRE COLOMBIER")], "cp1252")

    out, _ = run(path)

    assert "encodage Windows-1252" in out
    assert Structure.objects.get(finess_et="810000224").raison_sociale == "CLINIQUE DE L'ÉTOILE"


def test_an_undecodable_line_in_a_utf8_file_is_rejected_alone(tmp_path):
    path = tmp_path / "extraction.csv"
    good = [line_with(CLAUDE_BERNARD, rs=f"CLINIQUE {n} É", nofinesset=f"8100003{n}0") for n in range(3)]
    bad = line_with(CLAUDE_BERNARD, nofinesset="810000505").encode("utf-8").replace(b"ALBI", b"ALB\xff")
    path.write_bytes(b"\n".join([line.encode("utf-8") for line in good] + [bad]) + b"\n")

    out, err = run(path)

    assert "encodage UTF-8" in out
    assert "Ligne 4 rejetée : caractères illisibles" in err
    assert not Structure.objects.filter(finess_et="810000505").exists()
    assert Structure.objects.get(finess_et="810000300").raison_sociale == "CLINIQUE 0 É"


def test_geolocalisation_records_are_skipped(tmp_path):
    lines = [
        CLAUDE_BERNARD,
        "geolocalisation;810000224;633210.3;6313560.9;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2024-01-01",
    ]

    out, err = run(write(tmp_path, lines))

    assert "1 établissement(s) créé(s)" in out
    assert "1 ligne(s) ignorée(s)" in out
    assert err == ""


def test_an_empty_file_imports_nothing(tmp_path):
    path = tmp_path / "vide.csv"
    path.write_bytes(b"")

    out, _ = run(path)

    assert "0 établissement(s) créé(s)" in out
    assert not Structure.objects.exists()


def test_a_missing_file_is_an_error():
    with pytest.raises(CommandError, match="Fichier introuvable"):
        run("/nonexistent/finess.csv")


def test_large_files_are_written_in_batches_with_a_bounded_number_of_queries(
    tmp_path, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(finess, "BATCH_SIZE", 100)
    lines = [line_with(CLAUDE_BERNARD, nofinesset=f"81{n:07d}", nofinessej=f"82{n % 50:07d}") for n in range(1000)]
    path = write(tmp_path, lines)

    with django_assert_max_num_queries(10 * 10 + 5):
        out, _ = run(path)

    assert "1000 établissement(s) créé(s)" in out
    assert EntiteJuridique.objects.count() == 50
    assert Structure.objects.values("tree_id").distinct().count() == 1000


def test_only_the_first_hundred_rejections_are_printed_but_all_are_counted(tmp_path):
    lines = [line_with(CLAUDE_BERNARD, nofinesset=f"81{n:07d}", categetab="999") for n in range(150)]

    out, err = run(write(tmp_path, lines))

    assert err.count("rejetée : catégorie d'établissement inconnue") == 100
    assert "… et 50 autre(s) ligne(s) rejetée(s)." in err
    assert "150 ligne(s) rejetée(s)" in out


def test_reimporting_an_eg_keeps_its_internal_organisation(tmp_path):
    from structures.models import StructureEvent
    from tests.accounts.factories import HabilitationFactory
    from tests.structures.builders import assert_tree_exact

    run(write(tmp_path, [CLAUDE_BERNARD]))
    eg = Structure.objects.get(finess_et="810000224")
    user = HabilitationFactory(etablissement=eg).user
    pole = Structure.add_internal(user, eg, Structure.Kind.POLE, "Médecine", code="P1")
    service = Structure.add_internal(user, pole, Structure.Kind.SERVICE, "Cardiologie")
    Structure.add_internal(user, service, Structure.Kind.UF, "Rythmologie", code="4012")
    service.change(user, {"name": "Cardiologie adulte"})
    internal = Structure.objects.filter(tree_id=eg.tree_id, level__gt=0).order_by("pk")
    before = list(internal.values())  # every column: name, code, dates, version, lft/rght/level, timestamps
    events = list(StructureEvent.objects.order_by("pk").values())

    out, _ = run(write(tmp_path, [line_with(CLAUDE_BERNARD, rs="CL C. BERNARD", voie="DU PERE COLOMBIER")]))

    assert "1 mis à jour" in out
    assert list(internal.values()) == before
    assert list(StructureEvent.objects.order_by("pk").values()) == events
    assert_tree_exact(eg.tree_id)
