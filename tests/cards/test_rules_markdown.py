"""The rule catalogue is generated from the code (the data of `logic.catalogue`, the Markdown of
`cds_hooks.rules_markdown`) and docs/rules.md is kept in step with it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cds_hooks.rules_markdown import anchor, catalogue_markdown, docs_rules_md
from logic import thresholds
from logic.catalogue import FLAGS, RULES

ROOT = Path(__file__).resolve().parents[2]

# SPEC.md section 5 flag table, in order.
SPEC_FLAGS = (
    ("U-L", "U"), ("U-Li", "U"), ("U-C", "U"), ("U-R", "U"), ("U-A", "U"), ("U-B", "U"),
    ("H-ANAEMIA", "H"), ("H-MPROTEIN", "H"), ("H-FLC", "H"), ("H-CALCIUM", "H"),
    ("H-RENAL", "H"), ("H-IMMUNOPARESIS", "H"), ("H-CYTOPENIA", "H"), ("H-MONOCYTOSIS", "H"),
    ("H-SYMPTOMS", "H"), ("H-CANCER", "H"), ("H-IMAGING", "H"),
    ("I-FLC", "I"), ("I-MONOCYTE", "I"), ("I-FOCAL", "I"),
)  # fmt: skip
# CARDS.md topic codes per rule.
CARDS_TOPICS = {
    "R1": "goals-of-care",
    "R2": "myeloma-defining-event",
    "R3": "cancer-history-staging",
    "R4": "marrow-biopsy-indicated",
    "R5": "initial-lab-workup",
    "R6": "hematology-econsult",
    "R7": "surveillance",
    "R8": "surveillance",
}


def test_docs_rules_md_is_generated_from_the_code() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == docs_rules_md(), (
        "docs/rules.md is stale: run `python -m cds_hooks.rules_markdown > docs/rules.md`"
    )


def test_generator_entry_point_prints_the_catalogue() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cds_hooks.rules_markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == docs_rules_md()
    assert docs_rules_md().startswith(catalogue_markdown().rstrip("\n"))


def test_flags_are_the_spec_table_in_order() -> None:
    assert tuple((f.id, f.tier) for f in FLAGS) == SPEC_FLAGS


def test_rules_r0_to_r8_with_cards_topics_and_citations() -> None:
    assert [r.id for r in RULES] == [f"R{n}" for n in range(9)]
    assert {r.id: r.topic for r in RULES if r.id != "R0"} == CARDS_TOPICS
    assert all(r.citations for r in RULES)
    (r2,) = [r for r in RULES if r.id == "R2"]
    assert any("Lancet Oncol 2014;15:e538-48" in c for c in r2.citations)


def test_every_flag_states_thresholds_source_and_docstring() -> None:
    for flag in FLAGS:
        assert flag.thresholds, flag.id
        assert flag.source, flag.id
        assert flag.criterion, flag.id
        assert flag.id in flag.doc, f"docstring of {flag.predicate} must name {flag.id}"
    u_flags = [f for f in FLAGS if f.tier == "U"]
    assert all("Rajkumar" in f.source for f in u_flags)
    (anaemia,) = [f for f in FLAGS if f.id == "H-ANAEMIA"]
    assert "WHO" in anaemia.source


def test_thresholds_in_the_catalogue_follow_the_constants() -> None:
    text = catalogue_markdown()
    assert f">{thresholds.U_C_ABSOLUTE_MMOL_L:g} mmol/L" in text
    assert f">{thresholds.U_R_CREATININE_UMOL_L:g} umol/L" in text
    assert "U_R_CREATININE_UMOL_L" not in text  # issue 10: thresholds in words and units
    for v in thresholds.UNVERIFIED:
        assert f"{v.replace('SPEC.md ', 'clinical specification ')} (verify)" in text


def test_anchors_per_rule_and_flag() -> None:
    text = catalogue_markdown()
    for item in [*(r.id for r in RULES), *(f.id for f in FLAGS)]:
        assert f'<a id="{anchor(item)}"></a>' in text
    assert anchor("U-Li") == "U-Li"  # the cards link to <rules url>#R4, #U-Li
    for topic in ("imaging-protocol", "data-quality"):
        assert f'<a id="{topic}"></a>' in text


def test_advisory_codes_listed() -> None:
    from logic.catalogue import ADVISORIES

    assert {a.code for a in ADVISORIES} == {
        "pre-contrast-missing",
        "chemical-shift",
        "skeletal-survey-alone",
    }


def test_unverified_values_list_every_verify_order_code() -> None:
    from logic.catalogue import unverified_order_codes

    listed = " ".join(unverified_order_codes())
    for code in ("57021-8", "85025", "24323-8", "80053", "88237", "88271", "183567007"):
        assert code in listed
    section = catalogue_markdown().split("## Unverified values")[1]
    assert "LOINC 57021-8" in section
    assert "SNOMED 183567007" in section
    assert "Laboratory LOINC codes marked (verify)" in section
    assert "fhir_mappers" not in section  # issue 10: no Python names on the catalogue


# ---------------------------------------------------------------- issue 10: as a committee reads it

_PYTHON_NAME = re.compile(
    r"\b(?:logic|cds_hooks|fhir_mappers)[./]\w+|\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b|"
    r"\b[a-z]+_[a-z_]+\b|\.py\b|Implemented by"
)


def test_the_catalogue_page_is_for_a_committee() -> None:
    text = catalogue_markdown()
    assert "SPEC.md" not in text
    assert "CARDS.md" not in text
    found = sorted(set(_PYTHON_NAME.findall(text)))
    assert not found, found
    # the decision table as a table, each rule as "Rule R4"
    assert "| rule | when | recommend | card topic |" in text
    assert "| [Rule R4](#R4) |" in text
    # the literature behind it (SPEC.md section 1) and what the service does not do
    assert "Spierings et al., Neth J Med 2014" in text
    assert "Shah et al., Sci World J 2014" in text
    assert '## <a id="not-done"></a>What the service does not do' in text
    assert "It does not diagnose and does not order" in text
    # flags in clinical words with thresholds and units; the version
    assert "| unexplained anaemia | H |" in text
    assert "Rule set version 2026.1." in text
