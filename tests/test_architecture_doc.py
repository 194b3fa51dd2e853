"""docs/architecture.md matches the tree: what it names exists, and it names every package."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()
# Code spans that look like a path of the repository (not a URL, an import or a template tag).
PATH_LIKE = re.compile(r"`([A-Za-z_.][\w.-]*(?:/[\w.<>-]*)+)(?:#[\w-]+)?`")
MIGRATION = re.compile(r"^\w+/\d{4}$")  # "accounts/0001": a migration by app and number
URL_PARTS = {"new/", "import/"}  # the People pages' URLs, named relative to /people/


SKIPPED = {".git", ".venv", "__pycache__", "node_modules", "staticfiles"}


def tracked() -> tuple[set[str], set[str]]:
    """The project's files and folders ("a/b/"), relative to the root."""
    files, folders = set(), set()
    for top, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        here = Path(top).relative_to(ROOT)
        if str(here) != ".":
            folders.add(f"{here}/")
        files |= {str(here / name) for name in names}
    return files, folders


def test_every_path_the_document_names_exists():
    files, folders = tracked()
    missing = []
    for path in set(PATH_LIKE.findall(DOC)):
        if MIGRATION.match(path) or path in URL_PARTS or "<" in path:
            continue
        looks_like_a_path = (path.split("/")[0] + "/" in folders or path.endswith("/")
                             or "." in path.rsplit("/", 1)[-1])
        if not looks_like_a_path:
            continue  # e.g. "acknowledged_at/by": two fields, not a path
        if path.endswith("/"):
            # A folder, from the root or inside the package the sentence is about.
            if path in folders or any(folder.endswith("/" + path) for folder in folders):
                continue
        elif path in files or path + "/" in folders or any(
                f.endswith("/" + path) for f in files):
            continue
        missing.append(path)
    assert not missing, f"docs/architecture.md names what is not in the tree: {sorted(missing)}"


def test_every_package_is_in_the_document():
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
    fleetadmin_parts = sorted(p.parent.name for p in ROOT.glob("fleetadmin/*/__init__.py"))
    assert "cars" in packages and "web" in fleetadmin_parts
    unnamed = [name for name in packages if f"`{name}/" not in DOC]
    unnamed += [f"fleetadmin/{name}" for name in fleetadmin_parts
                if f"`fleetadmin/{name}/" not in DOC and f"`{name}/`" not in DOC]
    assert not unnamed, f"docs/architecture.md does not name: {unnamed}"
