"""The clinical logic is pure: no clock, no I/O, no HTTP or FHIR libraries (BRIEF layering)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LOGIC = Path(__file__).resolve().parents[2] / "logic"
FORBIDDEN_IMPORTS = ("flask", "requests", "fhir", "sqlalchemy", "cds_hooks", "fhir_mappers")
FORBIDDEN_CALLS = ("now", "today", "utcnow", "time", "open", "getenv", "print")


@pytest.mark.parametrize("path", sorted(LOGIC.glob("*.py")), ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            assert not name.startswith(FORBIDDEN_IMPORTS), f"{path.name} imports {name}"
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in FORBIDDEN_CALLS:
                pytest.fail(f"{path.name}:{node.lineno} calls {called}()")
