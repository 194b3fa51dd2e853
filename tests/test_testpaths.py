"""Every test in the tree is collected: pytest's testpaths name every folder holding tests.

The README's test command (and CI) runs `pytest` without paths, so a folder missing from
testpaths is a folder whose tests never run.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_OURS = {".venv", "node_modules", "staticfiles", ".git"}


def test_every_folder_with_tests_is_in_testpaths():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    testpaths = set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    holding_tests = {path.relative_to(ROOT).parts[0] for path in ROOT.glob("*/**/test_*.py")
                     if path.relative_to(ROOT).parts[0] not in NOT_OURS}

    assert holding_tests - testpaths == set()
