"""Report texts and the documents EHRs deliver them in (issue 17): plain text, HTML, RTF and real
PDFs written here with fpdf2, plus DiagnosticReport / DocumentReference / Binary builders."""

from __future__ import annotations

import base64
import io
import textwrap
from typing import Any

LOINC = "http://loinc.org"
PATIENT_ID = "example-marrow-1"

# The example report of examples/patient-view-heterogeneous-marrow.json (rule R4 with its labs).
REPORT_TEXT = """EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST

CLINICAL HISTORY: Low back pain radiating to the left leg for 3 months.

COMPARISON: None.

TECHNIQUE: Sagittal T1, T2 and STIR, axial T1 and T2 images of the lumbar spine at 1.5 T.

FINDINGS: Vertebral body heights are maintained. There is diffusely heterogeneous bone marrow \
signal throughout the lumbar vertebral bodies and the visualized sacrum. On T1-weighted images \
the marrow signal is lower than the intervertebral discs at L2, L3 and L4. No discrete focal \
lesion. No pathological fracture. Mild degenerative disc disease at L4-L5 with a small left \
paracentral protrusion contacting the descending left L5 nerve root.

IMPRESSION:
1. Diffusely heterogeneous bone marrow signal with T1 signal lower than disc at several levels; \
a marrow infiltrative process cannot be excluded. Correlation with CBC and serum protein \
electrophoresis is suggested.
2. L4-L5 left paracentral disc protrusion contacting the left L5 nerve root.
"""

# A normal report: its reading must stay NEGATIVE whatever the format.
NORMAL_TEXT = """EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST

FINDINGS: Normal alignment. Normal marrow signal throughout. No focal lesion. Discs preserved.

IMPRESSION: Normal MRI of the lumbar spine.
"""


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def to_html(text: str) -> str:
    """The report as an EHR's HTML rendering: a header table, <br> line breaks, entities."""
    body = "<br/>\n".join(
        line.replace("&", "&amp;").replace("<", "&lt;") for line in text.splitlines()
    )
    return (
        "<!DOCTYPE html><html><head><title>Radiology report</title>"
        "<style>td{padding:2px}</style></head><body>"
        "<table><tr><th>Patient</th><td>TEST, Patient</td></tr>"
        "<tr><th>Accession</th><td>RAD-2026-0042</td></tr></table>"
        f"<div class='report'>{body}</div></body></html>"
    )


def to_rtf(text: str) -> bytes:
    """The report as RTF: font table, generator group, \\par per line, escapes for non-ASCII."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\par\n")
        elif ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        elif ch.encode("cp1252", errors="ignore"):
            out.append(f"\\'{ch.encode('cp1252')[0]:02x}")
        else:
            out.append(f"\\u{ord(ch)}?")
    return (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}"
        "{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1\\pard\\f0\\fs20 " + "".join(out) + "}"
    ).encode("ascii")


def to_pdf(
    text: str,
    *,
    header: str | None = "St Elsewhere Hospital - Department of Radiology",
    footer: bool = True,
    width_mm: float = 120,
    lines_per_page: int | None = None,
) -> bytes:
    """A real PDF with a text layer (fpdf2): the text wrapped at `width_mm`, a running header
    and a "Page n of N" footer on every page; `lines_per_page` forces page breaks."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 6, header, new_x="LMARGIN", new_y="NEXT")
                self.cell(
                    0, 6, "Patient: TEST, Patient   MRN 000123", new_x="LMARGIN", new_y="NEXT"
                )
                self.ln(4)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", size=8)
                self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report(format="A4")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    count = 0
    for paragraph in text.split("\n"):
        if lines_per_page and count and count % lines_per_page == 0:
            pdf.add_page()
        if not paragraph.strip():
            pdf.ln(5)
            continue
        pdf.multi_cell(width_mm, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
        count += 1
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF with no text layer: a page holding only an image (a scan)."""
    from fpdf import FPDF
    from PIL import Image

    image = Image.new("L", (200, 100), color=255)
    for x in range(20, 180):
        image.putpixel((x, 50), 0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buffer, x=10, y=10, w=150)
    return bytes(pdf.output())


def wrap(text: str, width: int = 60) -> str:
    return "\n".join(
        "\n".join(textwrap.wrap(line, width)) if line else "" for line in text.splitlines()
    )


def mri_report(
    rid: str = "mri-ls-1",
    *,
    forms: list[dict[str, Any]] | None = None,
    when: str = "2026-11-10T14:05:00-05:00",
    **extra: Any,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": "30679-5", "display": "MR Lumbar spine WO contrast"}
            ],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when,
        "issued": when,
    }
    if forms is not None:
        report["presentedForm"] = forms
    report.update(extra)
    return report


def document_reference(
    rid: str = "doc-mri-1",
    *,
    attachment: dict[str, Any],
    when: str = "2026-11-10T14:05:00-05:00",
    type_code: str = "18748-4",
    **extra: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": LOINC, "code": type_code, "display": "Diagnostic imaging study"}]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                        "code": "clinical-note",
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "date": when,
        "context": {"period": {"start": when}},
        "content": [{"attachment": attachment}],
    }
    document.update(extra)
    return document


def binary(rid: str, content_type: str, data: bytes) -> dict[str, Any]:
    return {"resourceType": "Binary", "id": rid, "contentType": content_type, "data": b64(data)}
