"""Dependencies between the packages run one way (docs/architecture.md).

From the top: the screens (cars, events, maps, overview, reports, schedules) and alerts →
people, fleetstore → accounts → preferences (the Settings screen) → audit → the core
(fleetadmin) → flinkey; outbox (kept mail) uses only Django. Inside the core, the models use
only secrets, and secrets and ops use no other part of it.
config/ assembles the project (settings, URLs, the pytest plugin) and knows every app; it is
not checked, nor are tests, which run against the assembled project. No app imports another
app's views: what two screens share lives in the screen kit (fleetadmin/web/).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ("cars", "events", "maps", "overview", "reports", "schedules")
APPS = ("outbox", "audit", "preferences", "accounts", "fleetstore", "people", *SCREENS,
        "alerts")
CORE_PARTS = ("fleetadmin.web", "fleetadmin.upstream", "fleetadmin.models",
              "fleetadmin.secrets", "fleetadmin.ops")

# folder or module (path from the root) → dotted prefixes its modules must never import.
# Every rule whose path contains a module applies to it.
FORBIDDEN = {
    "flinkey_sandbox": ("django", "flinkey", "fleetadmin", "config", *APPS),
    "flinkey": ("django", "fleetadmin", "config", *APPS),
    "fleetadmin": ("config", *APPS),
    "fleetadmin/secrets": [part for part in CORE_PARTS if part != "fleetadmin.secrets"],
    "fleetadmin/ops": [part for part in CORE_PARTS if part != "fleetadmin.ops"],
    "fleetadmin/models.py": ("fleetadmin.web", "fleetadmin.upstream", "fleetadmin.ops"),
    # web (the screen kit) and upstream (the Django face of flinkey) may use the rest of
    # the core, and each other: the fan-out asks the screen kit which 404 means "missing".
    "fleetadmin/upstream": (),
    "fleetadmin/web": (),
    # The outbox keeps mail for anyone who sends it (accounts: password links).
    "outbox": ("config", "audit", "preferences", "accounts", "fleetstore", "people", "alerts",
               *SCREENS),
    "audit": ("config", "outbox", "preferences", "accounts", "fleetstore", "people", "alerts",
              *SCREENS),
    "preferences": ("config", "accounts", "fleetstore", "people", "alerts", *SCREENS),
    "accounts": ("config", "fleetstore", "people", "alerts", *SCREENS),
    "fleetstore": ("config", "preferences", "people", "alerts", *SCREENS),
    # The people directory: used by the screens, uses none of them.
    "people": ("config", "outbox", "fleetstore", "alerts", *SCREENS),
    **{screen: ("config",) for screen in SCREENS},
    # Alerts read the fleet store and send mail; no screen uses them, they use no screen.
    "alerts": ("config", *SCREENS),
}
# Top-level packages that are not part of the layers: the project's assembly, the
# benchmarks (tools run from the command line) and the project-wide tests.
NOT_LAYERED = {"config", "benchmarks", "tests"}


def imported_modules(path: Path) -> set[str]:
    """Every dotted name `path` imports, at any depth; `from a import b` gives a and a.b."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imported_packages(path: Path) -> set[str]:
    """Return the top-level names of every module `path` imports (at any depth)."""
    return {name.split(".")[0] for name in imported_modules(path)}


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def is_views(name: str) -> bool:
    """A views module of ours: <app>.views, <app>.views.x or <app>.<something>_views."""
    parts = name.split(".")
    return (len(parts) > 1 and parts[0] in FORBIDDEN
            and (parts[1] == "views" or parts[1].endswith("_views")))


def layered_modules():
    """(relative path, path, top-level package) of every module under the rules."""
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        package = relative.split("/")[0]
        if package in NOT_LAYERED or package.startswith(".") or "/tests/" in relative:
            continue
        if not (ROOT / package / "__init__.py").is_file():
            continue
        yield relative, path, package


def rules_for(relative: str) -> set[str]:
    return {prefix for place, prefixes in FORBIDDEN.items()
            if relative == place or relative.startswith(place + "/")
            for prefix in prefixes}


CASES = list(layered_modules())


@pytest.mark.parametrize(("relative", "path", "package"), CASES, ids=[c[0] for c in CASES])
def test_imports_run_one_way(relative, path, package):
    forbidden = rules_for(relative)
    wrong = {name for name in imported_modules(path)
             if any(is_under(name, prefix) for prefix in forbidden)}
    assert not wrong, f"{relative} imports {sorted(wrong)}"


@pytest.mark.parametrize(("relative", "path", "package"), CASES, ids=[c[0] for c in CASES])
def test_no_app_imports_another_apps_views(relative, path, package):
    wrong = {name for name in imported_modules(path)
             if is_views(name) and name.split(".")[0] != package}
    assert not wrong, f"{relative} imports views of another app: {sorted(wrong)}"


def test_the_checker_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from accounts.access import can_write\n    import audit\n")
    assert imported_packages(module) == {"accounts", "audit"}
    assert "accounts.access.can_write" in imported_modules(module)


def test_the_checker_sees_a_screen_importing_another_screens_views(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from cars.views import car_problem\nfrom cars import views as v\n"
                      "import events.views\nfrom accounts import users_views\n"
                      "from cars.links import car_url\nfrom django.views import i18n\n")
    assert {name for name in imported_modules(module) if is_views(name)} == {
        "cars.views", "cars.views.car_problem", "events.views", "accounts.users_views"}


def test_every_app_is_checked():
    """A package added at the root (a new app) fails here until FORBIDDEN has its rules."""
    on_disk = {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_LAYERED
    assert on_disk <= set(FORBIDDEN), f"no dependency rules for {sorted(on_disk - set(FORBIDDEN))}"
    checked = {package for _relative, _path, package in CASES}
    assert checked == on_disk
    relatives = {relative for relative, _path, _package in CASES}
    assert {"maps/views.py", "preferences/views.py", "fleetadmin/web/problems.py",
            "fleetadmin/secrets/crypto.py"} <= relatives
    assert "config/settings.py" not in relatives


def test_the_core_parts_have_rules():
    for part in CORE_PARTS:
        place = part.replace(".", "/")
        assert any(place == key or place + ".py" == key for key in FORBIDDEN), part


def test_every_installed_app_of_the_project_has_rules(settings):
    """The project's own INSTALLED_APPS (not Django's or a library's) each have rules: an app
    could be installed without the package check above noticing (a dotted app path)."""
    ours = {app.split(".")[0] for app in settings.INSTALLED_APPS
            if (ROOT / app.split(".")[0] / "__init__.py").is_file()}
    assert {"maps", "reports", "alerts", "schedules", "overview", "people", "outbox",
            "fleetstore", "preferences", "audit", "accounts", "cars", "events"} <= ours
    assert ours <= set(FORBIDDEN), f"no dependency rules for {sorted(ours - set(FORBIDDEN))}"
    assert {app for app in settings.INSTALLED_APPS if app.split(".")[0] in ours} == ours, (
        "an app of ours installed by a dotted path: give its package its own rules")
