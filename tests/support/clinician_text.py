"""What a clinician must never read on a card (CARDS.md, amended 2026-12-07; issue 10).

Clinician-facing text (summary, detail, suggestion and link labels) speaks clinical words: no
internal documents (SPEC.md, CARDS.md), no bare flag ids, no Python names, no "FHIR reference"
column or FHIR references, no links inside `detail`; rule ids only as "Rule R4" in
`source.label` (and the catalogue). The machine-readable evidence is in the card's `extension`.
"""

from __future__ import annotations

import re
from typing import Any

FLAG_IDS = (
    "U-L", "U-Li", "U-C", "U-R", "U-A", "U-B", "H-ANAEMIA", "H-MPROTEIN", "H-FLC", "H-CALCIUM",
    "H-RENAL", "H-IMMUNOPARESIS", "H-CYTOPENIA", "H-MONOCYTOSIS", "H-SYMPTOMS", "H-CANCER",
    "H-IMAGING", "I-FLC", "I-MONOCYTE", "I-FOCAL",
)  # fmt: skip
_FLAG = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(FLAG_IDS, key=len, reverse=True)) + r")(?![\w-])"
)
_DOCS = re.compile(r"\b(?:SPEC|CARDS)\.md\b")
# a dotted module path (logic.rules), a snake_case identifier, a call, or inline code
_PYTHON = re.compile(
    r"\b(?:logic|cds_hooks|fhir_mappers)\.\w+|\b[a-z]+_[a-z_]+\b|\b\w+\(\)|`[^`]+`"
)
_FHIR_REFERENCE = re.compile(
    r"\b(?:Observation|DiagnosticReport|Condition|DocumentReference|ServiceRequest|Patient|"
    r"ImagingStudy|Binary|Encounter)/[A-Za-z0-9\-.]+"
)
_LINK = re.compile(r"\]\(|https?://|<a\s", re.IGNORECASE)
_RULE_ID = re.compile(r"\bR[0-8]\b")
EVIDENCE = "org.marrow-cds.evidence"


def clinician_texts(card: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of every piece of a card a clinician reads."""
    texts = [("summary", card.get("summary") or ""), ("detail", card.get("detail") or "")]
    texts += [
        (f"suggestion {s.get('label')!r}", s.get("label") or "")
        for s in card.get("suggestions") or []
    ]
    texts += [
        (f"link {link.get('label')!r}", link.get("label") or "") for link in card.get("links") or []
    ]
    return texts


def problems(card: dict[str, Any]) -> list[str]:
    """Every breach of the clinician-text contract on one card ([] when none)."""
    found: list[str] = []
    for where, text in clinician_texts(card):
        checks = [
            ("names an internal document", _DOCS),
            ("has a bare flag id", _FLAG),
            ("has a Python name", _PYTHON),
            ("has a FHIR reference", _FHIR_REFERENCE),
        ]
        if where == "detail":
            checks.append(("has a link (links go in `links`)", _LINK))
            checks.append(("names a rule id (it belongs in source.label)", _RULE_ID))
            if "FHIR reference" in text:
                found.append(f"{where}: has a 'FHIR reference' column")
        for what, pattern in checks:
            match = pattern.search(text)
            if match:
                found.append(f"{where} {what}: {match.group(0)!r}")
    return found


def assert_clinician_text(cards: list[dict[str, Any]]) -> None:
    found = [f"card {c.get('summary')!r}: {p}" for c in cards for p in problems(c)]
    assert not found, "\n".join(found)
