"""Dependencies between the packages run one way (docs/architecture.md).

fleetstore (the store and its background jobs) may use the core, audit and accounts; the
screens may use fleetstore; none of the core, audit or accounts may use it.

The screens (cars, events) and accounts may use audit and the core (fleetadmin); audit
uses only the core; the core uses none of them, except settings.py and urls.py, which
assemble the project, and testing.py, the fixtures of the assembled project. Tests of a
package run against the assembled project and are not checked.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "audit", "cars", "events", "outbox", "fleetstore", "people")

# package → the packages its modules must never import
FORBIDDEN = {
    "fleetadmin": APPS,
    "audit": ("accounts", "cars", "events", "outbox", "fleetstore", "people"),
    "accounts": ("cars", "events", "fleetstore", "people"),
    # The outbox keeps mail for anyone who sends it (accounts: password links).
    "outbox": ("accounts", "audit", "cars", "events", "fleetstore", "people"),
    "fleetstore": ("cars", "events", "maps", "people"),
    # The people directory: used by the screens, uses none of them.
    "people": ("cars", "events", "maps", "outbox", "fleetstore"),
    "flinkey": ("django", "fleetadmin", *APPS),
    "flinkey_sandbox": ("django", "flinkey", "fleetadmin", *APPS),
}
ASSEMBLY = {"config/settings.py", "config/urls.py", "config/testing.py"}


def imported_packages(path: Path) -> set[str]:
    """Return the top-level names of every module `path` imports (at any depth)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or relative in ASSEMBLY:
            continue
        yield relative, path


CASES = [(relative, path, package) for package in FORBIDDEN
         for relative, path in modules(package)]


@pytest.mark.parametrize(("relative", "path", "package"), CASES, ids=[c[0] for c in CASES])
def test_imports_run_one_way(relative, path, package):
    wrong = imported_packages(path) & set(FORBIDDEN[package])
    assert not wrong, f"{relative} imports {sorted(wrong)}"


def test_the_checker_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from accounts.access import can_write\n    import audit\n")
    assert imported_packages(module) == {"accounts", "audit"}


def test_every_package_is_checked():
    checked = {package for _relative, _path, package in CASES}
    assert checked == set(FORBIDDEN)
    assert "preferences/views.py" in {relative for relative, _path, _package in CASES}
    assert "config/settings.py" not in {relative for relative, _path, _package in CASES}
