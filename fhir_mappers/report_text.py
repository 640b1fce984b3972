"""Getting the text out of an imaging DiagnosticReport, and splitting it into sections.

SPEC.md section 3: text sources in order `conclusion`, `conclusionCode`, `presentedForm`
(base64 `text/plain`; `text/html` with tags stripped), then the `text.div` narrative. Only Findings
and Impression are read as current findings; Indication, Clinical history, Comparison and
Technique are not ("history of heterogeneous marrow on outside MRI" is not a current finding).
Technique is kept apart: field strength and chemical-shift sequences are technical facts.

Nothing here raises on malformed input: every difficulty becomes a problem string.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fhir_mappers.attachments import (
    MAX_DOCUMENT_BYTES,
    READABLE_TYPES,
    Stop,
    decode_bytes,
    html_to_text,
    media_type,
    no_stop,
)


class Section(StrEnum):
    FINDINGS = "findings"
    IMPRESSION = "impression"
    TECHNIQUE = "technique"
    EXAM = "exam"  # exam title: used only to recognise modality and site
    OTHER = "other"  # indication, history, comparison, exam title...: not read for findings


# Heading words -> section. Variants seen in real reports; matched case-insensitively, but a
# heading must start a line and be followed by ":" or end its line (a "Title Case" or
# "UPPERCASE" word on its own line).
_HEADINGS: dict[str, Section] = {
    "findings": Section.FINDINGS,
    "finding": Section.FINDINGS,
    "report": Section.FINDINGS,
    "observations": Section.FINDINGS,
    "description": Section.FINDINGS,
    "impression": Section.IMPRESSION,
    "impressions": Section.IMPRESSION,
    "conclusion": Section.IMPRESSION,
    "conclusions": Section.IMPRESSION,
    "opinion": Section.IMPRESSION,
    "summary": Section.IMPRESSION,
    "assessment": Section.IMPRESSION,
    "diagnosis": Section.IMPRESSION,
    "interpretation": Section.IMPRESSION,
    "technique": Section.TECHNIQUE,
    "techniques": Section.TECHNIQUE,
    "protocol": Section.TECHNIQUE,
    "sequences": Section.TECHNIQUE,
    "procedure": Section.EXAM,
    "exam technique": Section.TECHNIQUE,
    "mri technique": Section.TECHNIQUE,
    "indication": Section.OTHER,
    "indications": Section.OTHER,
    "clinical indication": Section.OTHER,
    "reason for exam": Section.OTHER,
    "reason for examination": Section.OTHER,
    "reason for study": Section.OTHER,
    "clinical history": Section.OTHER,
    "clinical information": Section.OTHER,
    "clinical details": Section.OTHER,
    "clinical": Section.OTHER,
    "history": Section.OTHER,
    "comparison": Section.OTHER,
    "comparisons": Section.OTHER,
    "prior studies": Section.OTHER,
    "prior": Section.OTHER,
    "exam": Section.EXAM,
    "examination": Section.EXAM,
    "study": Section.EXAM,
    "title": Section.EXAM,
    "contrast": Section.TECHNIQUE,
    "addendum": Section.FINDINGS,
    "recommendation": Section.OTHER,
    "recommendations": Section.OTHER,
}

_HEADING_WORDS = "|".join(sorted((re.escape(h) for h in _HEADINGS), key=len, reverse=True))
# A heading: start of line, optional bullet/number, heading words, then ":" (text may follow on
# the same line) or the end of the line.
_HEADING_RE = re.compile(
    rf"^[ \t]*(?:[-*•#]+[ \t]*)?(?P<head>{_HEADING_WORDS})(?:[ \t]*\([^)\n]*\))?[ \t]*"
    rf"(?:(?P<colon>[:\-–—])[ \t]*|$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class SplitReport:
    """A report's text split into the parts this service reads."""

    findings: str = ""
    impression: str = ""
    technique: str = ""
    exam: str = ""
    has_headings: bool = False
    preamble: str = ""  # text before the first heading (exam title line, usually)


def split_sections(text: str) -> SplitReport:
    """Split report text at FINDINGS:/IMPRESSION:/INDICATION:/... headings.

    A heading is accepted when it starts a line and ends with a colon, or stands alone on its
    line in UPPERCASE or Title case (so a sentence starting "Findings suggest ..." is not one).
    """
    parts: dict[Section, list[str]] = {s: [] for s in Section}
    matches = [m for m in _HEADING_RE.finditer(text) if _is_heading(m)]
    if not matches:
        return SplitReport(preamble=text.strip())
    preamble = text[: matches[0].start()].strip()
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        if body:
            parts[_HEADINGS[match.group("head").lower()]].append(body)
    return SplitReport(
        findings="\n".join(parts[Section.FINDINGS]),
        impression="\n".join(parts[Section.IMPRESSION]),
        technique="\n".join(parts[Section.TECHNIQUE]),
        exam="\n".join(parts[Section.EXAM]),
        has_headings=True,
        preamble=preamble,
    )


def _is_heading(match: re.Match[str]) -> bool:
    head = match.group("head")
    if match.group("colon") is not None:
        # "Findings: ..." yes; but "Comparison - none" and the like also use a dash.
        return head[:1].isupper()
    # Alone on its line: only UPPERCASE or Title case counts.
    return head.isupper() or head.istitle()


# --------------------------------------------------------------------------- attachments
# Formats are decoded in fhir_mappers.attachments (plain text, HTML/XHTML, RTF, PDF: issue 17).


def decode_attachment(
    attachment: Mapping[str, Any],
    *,
    contained: Sequence[Any] = (),
    stop: Stop = no_stop,
) -> tuple[str | None, str | None]:
    """(text, problem) for one presentedForm / DocumentReference Attachment.

    Inline base64 `data` of a readable type (fhir_mappers.attachments: text/plain, text/html,
    XHTML, RTF, PDF with a text layer) is read, honouring the `charset` parameter (default
    UTF-8); a `url` "#id" is read from the resource's `contained` Binary. A `url` to a Binary
    on the FHIR server is fetched by the service before the mappers run (cds_hooks.report_content)
    and arrives here as inline `data`. Anything else yields a problem and no text.
    """
    attachment = _contained_binary(attachment, contained)
    content_type = attachment.get("contentType")
    if not isinstance(content_type, str) or not content_type.strip():
        return None, "presentedForm without contentType: not read"
    kind, _ = media_type(content_type)
    if kind not in READABLE_TYPES:
        return None, f"presentedForm of type '{kind}' is not text: not read"
    data = attachment.get("data")
    if not isinstance(data, str) or not data.strip():
        if attachment.get("url"):
            return None, f"presentedForm '{kind}' only by URL: not fetched"
        return None, f"presentedForm '{kind}' has no data"
    if len(data) > MAX_DOCUMENT_BYTES * 4 // 3 + 4096:
        return None, f"presentedForm '{kind}' larger than {MAX_DOCUMENT_BYTES} bytes: not read"
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
    except (binascii.Error, ValueError):
        return None, f"presentedForm '{kind}' data is not valid base64: not read"
    decoded = decode_bytes(raw, content_type, stop=stop)
    problem = decoded.problem
    if problem is not None:
        problem = "presentedForm " + problem.removeprefix("document ")
    return decoded.text, problem


def _contained_binary(attachment: Mapping[str, Any], contained: Sequence[Any]) -> Mapping[str, Any]:
    """An Attachment whose `url` is "#id" of a contained Binary, with that Binary's data."""
    url = attachment.get("url")
    if attachment.get("data") or not isinstance(url, str) or not url.startswith("#"):
        return attachment
    for resource in contained:
        if (
            isinstance(resource, Mapping)
            and resource.get("resourceType") == "Binary"
            and resource.get("id") == url[1:]
        ):
            return {
                "contentType": resource.get("contentType") or attachment.get("contentType"),
                "data": resource.get("data"),
            }
    return attachment


@dataclass(frozen=True)
class ReportSource:
    """One text source of a report, in SPEC.md section 3 order."""

    origin: str  # "conclusion", "conclusionCode", "presentedForm[0]", "text.div"
    text: str


def report_sources(report: Mapping[str, Any]) -> tuple[tuple[ReportSource, ...], tuple[str, ...]]:
    """All readable texts of a DiagnosticReport, in order, and the problems met: `conclusion`,
    `conclusionCode`, `presentedForm` (inline, contained "#id", or fetched by the service), the
    narrative `result` Observations, `text.div`. A DocumentReference is read through its
    DiagnosticReport view (fhir_mappers.report_documents: its attachments as presentedForm)."""
    sources: list[ReportSource] = []
    problems: list[str] = []
    conclusion = report.get("conclusion")
    if isinstance(conclusion, str) and conclusion.strip():
        sources.append(ReportSource("conclusion", conclusion.strip()))
    codes = report.get("conclusionCode")
    if isinstance(codes, list):
        names = [_concept_text(code) for code in codes]
        joined = ". ".join(n for n in names if n)
        if joined:
            sources.append(ReportSource("conclusionCode", joined))
    contained = report.get("contained")
    contained = contained if isinstance(contained, list) else []
    forms = report.get("presentedForm")
    if isinstance(forms, list):
        for i, form in enumerate(forms):
            if not isinstance(form, Mapping):
                problems.append(f"presentedForm[{i}] is not an Attachment")
                continue
            text, problem = decode_attachment(form, contained=contained)
            if problem:
                problems.append(f"presentedForm[{i}]: {problem}")
            if text and text.strip():
                sources.append(ReportSource(f"presentedForm[{i}]", text.strip()))
    narrative_results = result_text(report, contained)
    if narrative_results:
        sources.append(ReportSource("result", narrative_results))
    narrative = report.get("text")
    if isinstance(narrative, Mapping):
        div = narrative.get("div")
        if isinstance(div, str) and div.strip():
            text = html_to_text(div)
            if text:
                sources.append(ReportSource("text.div", text))
    return tuple(sources), tuple(problems)


# Narrative result Observations (issue 17): the section a result's text belongs to, by its
# LOINC code or the words of its code. Text under no recognised name counts as findings.
_RESULT_LOINC_SECTIONS = {
    "19005-8": "IMPRESSION",  # Radiology Imaging study [Impression] (narrative)
    "18782-3": "FINDINGS",  # Radiology Study observation (narrative)
    "59776-5": "FINDINGS",  # Procedure findings Narrative
    "18834-2": "COMPARISON",  # Radiology Comparison study (narrative)
    "18785-6": "INDICATION",  # Radiology Reason for study (narrative)
    "55752-0": "CLINICAL HISTORY",  # Clinical information
}
_RESULT_WORDS = (
    (re.compile(r"impression|conclusion|opinion|summary", re.I), "IMPRESSION"),
    (re.compile(r"technique|protocol", re.I), "TECHNIQUE"),
    (re.compile(r"comparison|prior", re.I), "COMPARISON"),
    (re.compile(r"indication|reason|history|clinical information", re.I), "INDICATION"),
    (re.compile(r"addendum", re.I), "ADDENDUM"),
    (re.compile(r"finding|observation|report|narrative|result", re.I), "FINDINGS"),
)
_UNUSED_RESULT_STATUSES = frozenset({"entered-in-error", "cancelled"})


def result_text(report: Mapping[str, Any], contained: Sequence[Any]) -> str:
    """The report text carried by `result` Observations with a `valueString` (some EHRs send an
    imaging report this way), each under the heading its code names, in `result` order.

    The Observations are read from the report's `contained` resources, matched by id to the
    `result` references ("#id", "Observation/id" or an absolute URL ending in it): the service
    puts the referenced Observations there when it finds them in the prefetch or fetches them
    (cds_hooks.report_content)."""
    results = report.get("result")
    if not isinstance(results, list) or not contained:
        return ""
    by_id = {
        r.get("id"): r
        for r in contained
        if isinstance(r, Mapping) and r.get("resourceType") == "Observation"
    }
    blocks: list[str] = []
    for ref in results:
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if not isinstance(target, str):
            continue
        observation = by_id.get(target.rsplit("/", 1)[-1].lstrip("#"))
        if observation is None or observation.get("status") in _UNUSED_RESULT_STATUSES:
            continue
        value = observation.get("valueString")
        if not isinstance(value, str) or not value.strip():
            continue
        blocks.append(f"{_result_heading(observation.get('code'))}:\n{value.strip()}")
    return "\n\n".join(blocks)


def _result_heading(code: Any) -> str:
    if isinstance(code, Mapping):
        for coding in code.get("coding") or ():
            if isinstance(coding, Mapping) and coding.get("code") in _RESULT_LOINC_SECTIONS:
                return _RESULT_LOINC_SECTIONS[coding["code"]]
    words = _concept_text(code)
    for pattern, heading in _RESULT_WORDS:
        if pattern.search(words):
            return heading
    return "FINDINGS"


def _concept_text(concept: Any) -> str:
    if not isinstance(concept, Mapping):
        return ""
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    codings = concept.get("coding")
    if isinstance(codings, list):
        for coding in codings:
            if isinstance(coding, Mapping):
                display = coding.get("display")
                if isinstance(display, str) and display.strip():
                    return display.strip()
    return ""


@dataclass(frozen=True)
class ReportText:
    """What is read from a report: Findings + Impression text, and technique apart."""

    text: str  # "FINDINGS:\n...\n\nIMPRESSION:\n..."; every TextSpan indexes into this
    technique: str
    title_lines: str  # preamble / exam line, used only to recognise modality and site


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def assemble(sources: Sequence[ReportSource]) -> ReportText:
    """Findings and Impression from all sources, each piece once.

    Sources often repeat each other (`conclusion` is the Impression of the `presentedForm`;
    `text.div` renders the same report), so a piece whose words are already contained in what was
    taken is skipped. A `conclusion`/`conclusionCode` without headings counts as impression; a
    full report (presentedForm / narrative) without headings counts as findings.
    """
    findings: list[str] = []
    impression: list[str] = []
    technique: list[str] = []
    titles: list[str] = []
    seen = ""

    def take(bucket: list[str], piece: str) -> None:
        nonlocal seen
        key = _norm(piece)
        if not key or key in seen:
            return
        bucket.append(piece.strip())
        seen = f"{seen} | {key}"

    for source in sources:
        split = split_sections(source.text)
        is_conclusion = source.origin in {"conclusion", "conclusionCode"}
        if not split.has_headings:
            take(impression if is_conclusion else findings, split.preamble)
            continue
        titles.extend(t for t in (split.exam, split.preamble) if t)
        take(findings, split.findings)
        take(impression, split.impression)
        if split.technique:
            technique.append(split.technique)
    # An impression that repeats the findings verbatim was taken once, under findings.
    blocks: list[str] = []
    if findings:
        blocks.append("FINDINGS:\n" + "\n".join(findings))
    if impression:
        blocks.append("IMPRESSION:\n" + "\n".join(impression))
    return ReportText(
        text="\n\n".join(blocks),
        technique="\n".join(technique),
        title_lines="\n".join(titles),
    )


def read_report_text(report: Mapping[str, Any]) -> tuple[ReportText, tuple[str, ...]]:
    """Text of a DiagnosticReport as this service reads it, and the problems met."""
    sources, problems = report_sources(report)
    return assemble(sources), problems
