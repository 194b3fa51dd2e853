"""The sandbox's own documentation and code name no path of one particular machine."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# Absolute paths of a developer's or CI machine (below work, root, home or tmp at the top).
MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:" + "|".join(("work", "root", "home", "tmp")) + r")/")


def test_no_file_of_the_package_names_a_machine_path():
    offenders = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".md") or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []
