"""Caches on the audit's per-patient path (issue 18) give the answers of the code they stand in
front of, and stay bounded.

`fhir_mappers.imaging.recognise_exam` remembers its answer by the JSON of a report's `category`
and `code` (each report is recognised twice per call, and a site has few distinct exam codings):
the remembered answer equals a fresh recognition over generated codings (LOINC exam codes,
generic imaging, CPT / local codes known by their display, texts, malformed shapes), whatever
else the report holds, and the cache never grows past its limit.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from fhir_mappers import imaging, labs
from fhir_mappers import imaging_codes as codes

_SYSTEMS = (codes.LOINC, codes.V2_0074, "http://snomed.info/sct", "http://www.ama-assn.org/go/cpt")
_DISPLAYS = (
    "MR Lumbar spine WO contrast",
    "MRI PELVIS W WO CONTRAST",
    "CT abdomen",
    "XR Lumbar spine 2 views",
    "PET-CT whole body",
    "US pelvis",
    "Magnetic resonance sacrum",
    "Radiology",
    "Laboratory",
    "",
)


def _coding(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return rng.choice((None, "LP29684-5", 7, [], {"system": None}))
    code = rng.choice(
        (
            *codes.EXAM_LOINC,
            codes.GENERIC_IMAGING_LOINC,
            codes.RADIOLOGY_CATEGORY_LOINC,
            codes.RADIOLOGY_CATEGORY_V2,
            "72148",
            "LAB",
            " 30679-5 ",
            "",
        )
    )
    coding: dict[str, Any] = {"system": rng.choice(_SYSTEMS), "code": code}
    if rng.random() < 0.7:
        coding["display"] = rng.choice(_DISPLAYS)
    return coding


def _concept(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return rng.choice((None, "MR lumbar spine", 3.5, [{"coding": []}]))
    concept: dict[str, Any] = {"coding": [_coding(rng) for _ in range(rng.randint(0, 3))]}
    if rng.random() < 0.4:
        concept["text"] = rng.choice((*_DISPLAYS, " imaging ", "Diagnostic Imaging"))
    return concept


def _report(rng: random.Random) -> dict[str, Any]:
    report: dict[str, Any] = {"resourceType": "DiagnosticReport", "id": f"r{rng.random()}"}
    if rng.random() < 0.9:
        report["code"] = _concept(rng)
    if rng.random() < 0.8:
        category = [_concept(rng) for _ in range(rng.randint(1, 2))]
        report["category"] = category if rng.random() < 0.9 else category[0]
    return report


@pytest.fixture(autouse=True)
def _empty_exam_cache() -> None:
    imaging._exams.clear()


def test_remembered_exam_is_the_fresh_recognition() -> None:
    rng = random.Random(18)
    seen = 0
    for _ in range(6000):
        report = _report(rng)
        fresh = imaging._recognise_exam(report)
        assert imaging.recognise_exam(report) == fresh, report
        # the same codings in another report (another id, subject, text): the remembered answer
        other = {**report, "id": "other", "subject": {"reference": "Patient/p2"}}
        assert imaging.recognise_exam(other) == fresh, report
        seen += 1
    assert seen == 6000
    assert 0 < len(imaging._exams) <= imaging._EXAM_CACHE_LIMIT


def test_exam_of_a_value_json_cannot_hold_is_recognised_without_the_cache() -> None:
    report = {"code": {1: "not a JSON key", "text": "MR lumbar spine"}, "category": "x"}
    assert imaging.recognise_exam(report) == imaging._recognise_exam(report)
    assert imaging._exams == {}


def test_exam_cache_stays_bounded() -> None:
    for n in range(imaging._EXAM_CACHE_LIMIT * 2 + 5):
        report = {"code": {"text": f"MR lumbar spine {n}"}}
        assert imaging.recognise_exam(report).title == f"MR lumbar spine {n}"
        assert len(imaging._exams) <= imaging._EXAM_CACHE_LIMIT


# `fhir_mappers.labs.read_finding` remembers the reading of a qualitative result text (they
# repeat across patients): the remembered reading is the fresh one, texts are cut at MAX_TEXT
# before they are remembered, and at most 1,024 are kept.

_RESULT_WORDS = (
    "No",
    "monoclonal",
    "protein",
    "band",
    "paraprotein",
    "M-spike",
    "detected",
    "not",
    "seen",
    "identified",
    "present",
    "faint",
    "possible",
    "equivocal",
    "negative",
    "positive",
    "IgG",
    "kappa",
    "cannot be excluded",
    ";",
    ".",
    ",",
    "but",
)


def test_remembered_finding_is_the_fresh_reading() -> None:
    rng = random.Random(11)
    labs._read_finding.cache_clear()
    for _ in range(4000):
        text = " ".join(rng.choice(_RESULT_WORDS) for _ in range(rng.randint(0, 12)))
        fresh = labs._read_finding.__wrapped__(text[: labs.MAX_TEXT])
        assert labs.read_finding(text) == fresh, text
        assert labs.read_finding(text) == fresh, text  # from the cache
    info = labs._read_finding.cache_info()
    assert info.hits >= 4000
    assert info.currsize <= info.maxsize == 1024


def test_finding_reads_only_the_first_max_text_characters_and_remembers_no_more() -> None:
    labs._read_finding.cache_clear()
    long_text = "No monoclonal band detected. " + "x" * (labs.MAX_TEXT * 3) + " M-spike present"
    assert labs.read_finding(long_text) == labs._read_finding.__wrapped__(
        long_text[: labs.MAX_TEXT]
    )
    assert labs._read_finding.cache_info().currsize == 1
    labs.read_finding(long_text[: labs.MAX_TEXT])  # the text that was remembered: a hit
    assert labs._read_finding.cache_info().hits == 1
    labs._read_finding.cache_clear()
