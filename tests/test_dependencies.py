"""The apps depend one way: the FHIR API → offers → accounts → structures → nomenclatures, the project's own
package (ror_portal: settings, compiled querysets, pages, the admin site) on nomenclatures alone, the benchmark on
anything and nothing on it. Read from each module's imports, at any depth of the module (migrations aside)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["nomenclatures", "structures", "accounts", "offers", "fhir_api", "ror_portal", "bench"]
NOT_IMPORTED = {
    "nomenclatures": {"structures", "accounts", "offers", "fhir_api", "bench"},
    "structures": {"accounts", "offers", "fhir_api", "bench"},
    "accounts": {"offers", "fhir_api", "bench"},
    "offers": {"fhir_api", "bench"},
    "fhir_api": {"bench"},
    "ror_portal": {"structures", "accounts", "offers", "fhir_api", "bench"},
}


def imported_apps(app):
    """(imported app, module path) for each import of another app in ``app``'s modules."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {(name.split(".")[0], str(path.relative_to(ROOT))) for name in names if name.split(".")[0] in APPS}
    return found


@pytest.mark.parametrize("app", sorted(NOT_IMPORTED))
def test_an_app_does_not_import_the_apps_above_it(app):
    wrong = sorted((imported, path) for imported, path in imported_apps(app) if imported in NOT_IMPORTED[app])
    assert wrong == []


def test_the_reading_of_imports_sees_them():
    """The check reads real imports: offers imports structures and nomenclatures, the FHIR API imports offers."""
    assert {"structures", "nomenclatures"} <= {imported for imported, _ in imported_apps("offers")}
    assert "offers" in {imported for imported, _ in imported_apps("fhir_api")}
