"""Getting the text out of an imaging DiagnosticReport.

SPEC.md section 3: text sources in order `conclusion`, `conclusionCode`, `presentedForm`
(base64 `text/plain`; `text/html` with tags stripped), then the `text.div` narrative; which parts of
the text are read is `fhir_mappers.report_reader.sections`.

Nothing here raises on malformed input: every difficulty becomes a problem string.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
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
from fhir_mappers.report_reader.sections import ReportSource, ReportText, assemble

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
    on the FHIR server is fetched by the service before the mappers run (cds_hooks.ehr.report_fetch)
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


def report_sources(report: Mapping[str, Any]) -> tuple[tuple[ReportSource, ...], tuple[str, ...]]:
    """All readable texts of a DiagnosticReport, in order, and the problems met: `conclusion`,
    `conclusionCode`, `presentedForm` (inline, contained "#id", or fetched by the service), the
    narrative `result` Observations, `text.div`. A DocumentReference is read through its
    DiagnosticReport view (fhir_mappers.report_documents: its attachments as presentedForm)."""
    contained = report.get("contained")
    contained = contained if isinstance(contained, list) else []
    forms, problems = presented_form_sources(report.get("presentedForm"), contained)
    narrative_results = result_text(report, contained)
    sources = [
        *conclusion_sources(report),
        *forms,
        *([ReportSource("result", narrative_results)] if narrative_results else []),
        *narrative_sources(report.get("text")),
    ]
    return tuple(sources), problems


def conclusion_sources(report: Mapping[str, Any]) -> list[ReportSource]:
    """The radiologist's `conclusion`, then the names of the `conclusionCode`s in one text."""
    sources: list[ReportSource] = []
    conclusion = report.get("conclusion")
    if isinstance(conclusion, str) and conclusion.strip():
        sources.append(ReportSource("conclusion", conclusion.strip()))
    codes = report.get("conclusionCode")
    if isinstance(codes, list):
        joined = ". ".join(n for n in (_concept_text(code) for code in codes) if n)
        if joined:
            sources.append(ReportSource("conclusionCode", joined))
    return sources


def presented_form_sources(
    forms: object, contained: Sequence[Any]
) -> tuple[list[ReportSource], tuple[str, ...]]:
    """The text of each readable `presentedForm` Attachment, and a problem for each that is
    not an Attachment or could not be read (`decode_attachment`)."""
    sources: list[ReportSource] = []
    problems: list[str] = []
    for i, form in enumerate(forms if isinstance(forms, list) else ()):
        if not isinstance(form, Mapping):
            problems.append(f"presentedForm[{i}] is not an Attachment")
            continue
        text, problem = decode_attachment(form, contained=contained)
        if problem:
            problems.append(f"presentedForm[{i}]: {problem}")
        if text and text.strip():
            sources.append(ReportSource(f"presentedForm[{i}]", text.strip()))
    return sources, tuple(problems)


def narrative_sources(narrative: object) -> list[ReportSource]:
    """The resource's `text.div` narrative (XHTML) as text, when it has any."""
    div = narrative.get("div") if isinstance(narrative, Mapping) else None
    if isinstance(div, str) and div.strip():
        text = html_to_text(div)
        if text:
            return [ReportSource("text.div", text)]
    return []


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
    (cds_hooks.ehr.report_fetch)."""
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


def read_report_text(report: Mapping[str, Any]) -> tuple[ReportText, tuple[str, ...]]:
    """Text of a DiagnosticReport as this service reads it, and the problems met."""
    sources, problems = report_sources(report)
    return assemble(sources), problems
