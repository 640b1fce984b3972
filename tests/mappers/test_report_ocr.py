"""Reports that went through a fax and OCR (fhir_mappers.report_reader.ocr)."""

from __future__ import annotations

import pytest

from fhir_mappers.report_reader.ocr import looks_scanned, repair, shadow
from tests.mappers.test_report_reading import read

ORDINARY = (
    "MRI L-SPINE T1W T2W STIR 1.5 T. Findings: L5-S1 disc bulge. A 10mm focus at S1 and C1. "
    "Marrow signal normal at T10-T12. Impression: IgG 0.6 g/L, 1/2 lesions."
)
SCANNED = (
    "MRl LUMBOSACRAL SPlNE\nFlNDlNGS: Two rounded foca1 1esions at L4 and S1, rneasuring 9 rnm "
    "and 1.4 crn, both hypointense to rnuscle on T1. No fracture.\nlMPRESSl0N: Two foca1 rnarrow "
    "1esions (L4, S1)."
)


@pytest.mark.parametrize(
    "text",
    [
        ORDINARY,
        "sag t1w, ax t1w, cor t1w and t2w: marrow normal at l1 and s1; t1wi",
        "b12 low, wbc 4.1 x10^9/L, igg1 kappa, hb 10.1",
    ],
)
def test_ordinary_text_is_not_touched(text: str) -> None:
    assert not looks_scanned(text)
    assert shadow(text) == text
    assert repair(text) == (text, None)


def test_sequence_names_in_a_scanned_report_are_kept() -> None:
    assert repair("C1inical: foca1 1esion at L1, T1W and t1w hypointense")[0] == (
        "Clinical: focal lesion at L1, T1W and t1w hypointense"
    )


@pytest.mark.parametrize(
    ("scanned", "read_as"),
    [
        ("foca1 1esions", "focal lesions"),
        ("MRl SPlNE", "MRI SPINE"),
        ("lMPRESSl0N:", "IMPRESSION:"),
        ("C1inical history", "Clinical history"),
        ("MiId signa1", "Mild signal"),
        ("rnarrow abnorrnality", "marrow abnormality"),
        ("9 rnm and 1.4 crn", "9 mm and 1.4 cm"),
        ("Recornrnend fo11ow-up", "Recommend follow-up"),
    ],
)
def test_ocr_confusions_are_read_back(scanned: str, read_as: str) -> None:
    text = f"{scanned} signa1 1esion"
    repaired, _ = repair(text)
    assert repaired.startswith(read_as)


def test_rn_is_kept_in_real_words() -> None:
    text = "foca1 1esion; internal pattern of concern"
    assert repair(text)[0] == "focal lesion; internal pattern of concern"


def test_a_scanned_report_is_read_and_quoted_as_sent() -> None:
    report = read(SCANNED)
    assert report.image_class.value == "FOCAL_MULTIPLE"
    quotes = [f.span.text for f in report.features if f.kind.value == "focal-lesion"]
    assert "rounded foca1 1esions" in quotes


def test_headings_of_a_scanned_report_are_found() -> None:
    text = (
        "C1inical history: patchy heterogeneous rnarrow signa1 at L3.\n"
        "FlNDlNGS: Norrnal rnarrow signa1. No foca1 1esion."
    )
    assert read(text).image_class.value == "NEGATIVE"
