"""The clinical and card contracts are the project's own documents (docs/SPEC.md, docs/CARDS.md),
and nothing in the project reads the shared folder outside the repository (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("cds_hooks", "fhir_mappers", "logic", "tests", "benchmarks", "deploy")
# "../shared" or "/work/shared" as a path the code would open (prose in data provenance notes
# and corpus READMEs is not code).
SHARED_PATH = re.compile(r"""(\.\./|/work/)shared/""")


def test_the_contracts_are_in_docs() -> None:
    spec = (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8")
    cards = (ROOT / "docs" / "CARDS.md").read_text(encoding="utf-8")
    assert spec.startswith("# Clinical specification")
    assert "## 5. Flags and the decision table" in spec
    assert cards.startswith("# Card contract")
    # the 2026-12-07 amendments (clinician-facing text, evidence extension, links)
    assert "org.marrow-cds.evidence" in cards
    assert "No links inside `detail`" in cards


def test_readme_and_catalogue_say_which_spec_is_cited() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "docs/SPEC.md" in readme
    assert "docs/CARDS.md" in readme
    assert "docs/SPEC.md" in rules


def test_no_code_reads_the_shared_folder() -> None:
    offenders = []
    files = [p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py")]
    files += [ROOT / "Makefile", ROOT / "pyproject.toml"]
    for path in files:
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if SHARED_PATH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
