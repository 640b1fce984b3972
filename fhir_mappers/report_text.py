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
import codecs
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any


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


# --------------------------------------------------------------------------- HTML


class _TextExtractor(HTMLParser):
    """Tag stripper that keeps block structure as line breaks; entities are unescaped."""

    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Strip tags (block elements become line breaks), unescape entities, tidy whitespace."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # pragma: no cover - HTMLParser is lenient; belt and braces
        raw = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    raw = raw.replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in raw.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --------------------------------------------------------------------------- attachments

_HTML_TYPES = frozenset({"text/html", "application/xhtml", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain", "text/x-plain"})


def decode_attachment(attachment: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text, problem) for one presentedForm Attachment.

    text/plain and text/html (and XHTML) with inline base64 `data` are read, honouring the
    `charset` parameter (default UTF-8). Anything else yields a problem and no text.
    """
    content_type = attachment.get("contentType")
    if not isinstance(content_type, str) or not content_type.strip():
        return None, "presentedForm without contentType: not read"
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in _HTML_TYPES | _TEXT_TYPES:
        return None, f"presentedForm of type '{media_type}' is not text: not read"
    data = attachment.get("data")
    if not isinstance(data, str) or not data.strip():
        if attachment.get("url"):
            return None, f"presentedForm '{media_type}' only by URL: not fetched"
        return None, f"presentedForm '{media_type}' has no data"
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
    except (binascii.Error, ValueError):
        return None, f"presentedForm '{media_type}' data is not valid base64: not read"
    charset = _charset(params) or "utf-8"
    problem: str | None = None
    try:
        codecs.lookup(charset)
    except LookupError:
        problem = f"presentedForm charset '{charset}' unknown: read as UTF-8"
        charset = "utf-8"
    try:
        decoded = raw.decode(charset)
    except UnicodeDecodeError:
        decoded = raw.decode(charset, errors="replace")
        problem = f"presentedForm is not valid {charset}: undecodable bytes replaced"
    decoded = decoded.lstrip("\ufeff")
    if media_type in _HTML_TYPES:
        decoded = html_to_text(decoded)
    return decoded.replace("\r\n", "\n").replace("\r", "\n"), problem


def _charset(params: str) -> str | None:
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._:\-]+)", params, re.IGNORECASE)
    return match.group(1) if match else None


@dataclass(frozen=True)
class ReportSource:
    """One text source of a report, in SPEC.md section 3 order."""

    origin: str  # "conclusion", "conclusionCode", "presentedForm[0]", "text.div"
    text: str


def report_sources(report: Mapping[str, Any]) -> tuple[tuple[ReportSource, ...], tuple[str, ...]]:
    """All readable texts of a DiagnosticReport, in order, and the problems met."""
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
    forms = report.get("presentedForm")
    if isinstance(forms, list):
        for i, form in enumerate(forms):
            if not isinstance(form, Mapping):
                problems.append(f"presentedForm[{i}] is not an Attachment")
                continue
            text, problem = decode_attachment(form)
            if problem:
                problems.append(f"presentedForm[{i}]: {problem}")
            if text and text.strip():
                sources.append(ReportSource(f"presentedForm[{i}]", text.strip()))
    narrative = report.get("text")
    if isinstance(narrative, Mapping):
        div = narrative.get("div")
        if isinstance(div, str) and div.strip():
            text = html_to_text(div)
            if text:
                sources.append(ReportSource("text.div", text))
    return tuple(sources), tuple(problems)


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
