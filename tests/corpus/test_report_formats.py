"""Issue 17: every format reads like the plain text, on the hospital-style corpus texts.

Each text of tests/corpus/hospital (every third one, to keep the run short) is rendered as the
EHR would deliver it (HTML with <br>, RTF with escapes, a real PDF with running header/footer and
page breaks, written by fpdf2) and read through the mapper: the reading (class, features,
lesions, levels, technique facts) must equal that of the same text sent as text/plain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_mappers.imaging import read_imaging_reports
from tests.mappers.test_report_documents import reading
from tests.support.report_documents import b64, mri_report, to_html, to_pdf, to_rtf

pytestmark = pytest.mark.slow

HOSPITAL = Path(__file__).resolve().parent / "hospital"


def _texts() -> list[tuple[str, str]]:
    texts = []
    for name in ("set_a", "set_b", "set_c"):
        for line in (HOSPITAL / f"{name}.jsonl").read_text().splitlines():
            case = json.loads(line)
            texts.append((case["id"], case["text"]))
    return texts[::3]


def _read(content_type: str, data: bytes | str) -> Any:
    mri, other, _ = read_imaging_reports(
        [mri_report(forms=[{"contentType": content_type, "data": b64(data)}])]
    )
    reports = mri or other
    return reading(reports[0]) if reports else None


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")  # the PDF writer's core font
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[n for n, _ in _texts()])
def test_html_rtf_and_pdf_read_like_the_plain_text(name: str, text: str) -> None:
    plain = _read("text/plain", text)
    assert _read("text/html", to_html(text)) == plain
    assert _read("text/rtf", to_rtf(text)) == plain
    if _latin1(text):
        assert _read("application/pdf", to_pdf(text, lines_per_page=8)) == plain
