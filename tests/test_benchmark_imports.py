"""The benchmark scripts import from each other inside their main(): a name one of them
drops is only noticed when someone runs the other, minutes into a measurement. This reads
every `from benchmarks.x import y` in benchmarks/ and checks that `y` exists."""

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def imported_names():
    for path in sorted(BENCHMARKS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("benchmarks."):
                for alias in node.names:
                    yield pytest.param(node.module, alias.name, id=f"{path.name}:{alias.name}")


@pytest.mark.parametrize(("module", "name"), list(imported_names()))
def test_every_name_a_benchmark_imports_from_another_exists(module, name):
    assert hasattr(importlib.import_module(module), name), f"{module} has no {name}"
