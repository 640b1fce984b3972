"""Imaging DiagnosticReports -> `ImagingReport`s (SPEC.md sections 2, 3 and 6).

`read_imaging_reports(resources)` picks the DiagnosticReports (and the DocumentReferences, read
as DiagnosticReports by report_documents: issue 17) out of any resources, keeps the
usable ones (status final / amended / corrected / appended: SPEC.md section 2), recognises the
exam (SPEC.md section 6 LOINC codes; Radiology category in LOINC LP29684-5 *or* v2-0074 RAD; CPT or
local codes by their display text; else the report's own exam line), reads the Findings and
Impression text (report_text) and extracts features and class (context), newest first.

It never raises: anything that cannot be used as sent becomes a `MappingProblem`.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from fhir_mappers import imaging_codes as codes
from fhir_mappers.fhir_time import parse_datetime
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS, Stop, WorkStopped, check, never
from fhir_mappers.report_documents import report_views
from fhir_mappers.report_reader import reader
from fhir_mappers.report_reader.reader import MAX_SENTENCES, Extraction, extract, technique_facts
from fhir_mappers.report_reader.sections import ReportText
from fhir_mappers.report_text import read_report_text
from logic.model import Contrast, ImagingReport, MappingProblem, Modality, Region

# SPEC.md section 2: index and history reports have one of these statuses.
USABLE_STATUSES = frozenset({"final", "amended", "corrected", "appended"})

ImagingResult = tuple[
    tuple[ImagingReport, ...], tuple[ImagingReport, ...], tuple[MappingProblem, ...]
]


def read_imaging_reports(
    resources: Sequence[Mapping[str, Any]], *, stop: Stop = never
) -> ImagingResult:
    """(marrow MRI reports newest first, other imaging for lytic lesions newest first, problems).

    The rules choose the index report among them (SPEC.md section 2: superseded reports
    dropped, regions replaced separately, highest class: `logic.imaging.choose_index`), from
    the exam identity read here (`_exam_identity`). "Other imaging" is CT, radiograph and
    PET(-CT) of any region (flag U-B).
    """
    mri: list[ImagingReport] = []
    other: list[ImagingReport] = []
    problems: list[MappingProblem] = []
    try:
        items = list(resources) if not isinstance(resources, (str, bytes, Mapping)) else []
    except Exception:  # noqa: BLE001 - whatever was sent is iterated: anything may raise
        items = []
        problems.append(MappingProblem(None, "imaging resources are not a list", "error"))
    seen: set[str] = set()
    # DiagnosticReports, and DocumentReferences read as DiagnosticReports (each report once)
    for reference, resource in report_views(items):
        if reference in seen:
            continue  # the same report twice (prefetch and search): read once
        seen.add(reference)
        check(stop)
        try:
            outcome = REMEMBERED_READINGS.read(resource, reference, stop)
        except WorkStopped:
            raise
        except Exception as exc:  # noqa: BLE001 - never raise: the report is reported, not lost silently
            problems.append(
                MappingProblem(
                    reference, f"imaging report could not be read ({type(exc).__name__})", "error"
                )
            )
            continue
        problems.extend(outcome.problems)
        if outcome.report is None:
            continue
        if outcome.marrow_mri:
            mri.append(outcome.report)
        else:
            other.append(outcome.report)
    return _newest_first(mri), _newest_first(other), tuple(problems)


def _newest_first(reports: list[ImagingReport]) -> tuple[ImagingReport, ...]:
    reports.sort(key=lambda r: r.reference)
    reports.sort(key=lambda r: r.effective, reverse=True)
    return tuple(reports)


@dataclass(frozen=True)
class _Exam:
    modality: Modality | None
    region: Region | None
    contrast: Contrast
    code: str | None
    title: str
    is_imaging: bool


@dataclass(frozen=True)
class _Outcome:
    report: ImagingReport | None
    marrow_mri: bool
    problems: tuple[MappingProblem, ...]
    analysed: bool = True  # False: the reader failed on the text (a fault, logged)


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return []
    return [c for c in codings if isinstance(c, Mapping)]


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# recognise_exam reads only a report's `category` and `code`, and a site sends a few dozen
# distinct exam codings: its answers are remembered by the JSON of those two elements (exam
# codes and their display texts, nothing that names a patient), at most _EXAM_CACHE_LIMIT of
# them (emptied when full). Each report is recognised twice (which reports to fetch documents
# for, then the report itself: report_content._usable_imaging, _read_report).
_EXAM_CACHE_LIMIT = 1024
_exams: dict[bytes, _Exam] = {}


def recognise_exam(report: Mapping[str, Any]) -> _Exam:
    """Modality, region, contrast, code and title from category and code (SPEC.md section 6)."""
    try:
        key = orjson.dumps((report.get("category"), report.get("code")))
    except (TypeError, orjson.JSONEncodeError):  # not JSON (non-str keys, huge ints, depth)
        return _recognise_exam(report)
    exam = _exams.get(key)
    if exam is None:
        if len(_exams) >= _EXAM_CACHE_LIMIT:
            _exams.clear()
        exam = _exams[key] = _recognise_exam(report)
    return exam


def _recognise_exam(report: Mapping[str, Any]) -> _Exam:
    categories = report.get("category")
    category_list = categories if isinstance(categories, list) else [categories]
    radiology = lab = False
    for concept in category_list:
        for coding in _codings(concept):
            system, code = _str(coding.get("system")), _str(coding.get("code"))
            radiology |= codes.is_radiology_category(system, code)
            lab |= codes.is_lab_category(system, code)
        if isinstance(concept, Mapping) and re.fullmatch(
            r"\s*(radiology|imaging|diagnostic imaging)\s*", _str(concept.get("text")), re.I
        ):
            radiology = True

    concept = report.get("code")
    texts: list[str] = []
    exam: codes.ExamCode | None = None
    recognised_code: str | None = None
    generic = False
    for coding in _codings(concept):
        system, code = _str(coding.get("system")), _str(coding.get("code"))
        display = _str(coding.get("display"))
        if display:
            texts.append(display)
        if system == codes.LOINC and code in codes.EXAM_LOINC and exam is None:
            exam, recognised_code = codes.EXAM_LOINC[code], code
        elif system == codes.LOINC and code == codes.GENERIC_IMAGING_LOINC:
            generic = True
        elif code and recognised_code is None and display and codes.modality_in(display):
            recognised_code = code  # CPT / local code recognised by its display
    code_text = _str(concept.get("text")) if isinstance(concept, Mapping) else ""
    title = code_text or (texts[0] if texts else "") or (exam.name if exam else "")
    words = " ; ".join([code_text, *texts])
    if exam is not None:
        contrast = exam.contrast
        if contrast is Contrast.UNKNOWN:
            contrast = codes.contrast_in(words)
        return _Exam(exam.modality, exam.region, contrast, recognised_code, title, True)
    modality = codes.modality_in(words) if words else None
    region = codes.region_in(words) if words else None
    is_imaging = radiology or generic or (modality is not None and not lab)
    if generic and recognised_code is None:
        recognised_code = codes.GENERIC_IMAGING_LOINC
    return _Exam(modality, region, codes.contrast_in(words), recognised_code, title, is_imaging)


# The outcomes of the last reports read, reused when the same report comes again: a chart is
# opened many times a day (patient-view at each opening, order-select at each order picked) and
# its reports do not change between openings. Keyed by a SHA-256 digest of the report's JSON
# and its reference (the memo keeps no report JSON, only what reading it gave); at most
# `limit` outcomes, the least recently used dropped first. A report whose JSON is over
# `max_bytes`, or is not JSON, is read each time; a stopped or failed reading is not kept.
class RememberedReadings:
    def __init__(self, limit: int = 256, max_bytes: int = 256 * 1024) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._outcomes: OrderedDict[bytes, _Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, report: Mapping[str, Any], reference: str, stop: Stop) -> _Outcome:
        try:
            raw = orjson.dumps(report)
        except (TypeError, orjson.JSONEncodeError):  # not JSON (non-str keys, huge ints, depth)
            return _read_report(report, reference, stop)
        if len(raw) > self.max_bytes:
            return _read_report(report, reference, stop)
        key = hashlib.sha256(raw + b"\x00" + reference.encode("utf-8", "replace")).digest()
        with self._lock:
            outcome = self._outcomes.get(key)
            if outcome is not None:
                self._outcomes.move_to_end(key)
                return outcome
        outcome = _read_report(report, reference, stop)
        if not outcome.analysed:
            return outcome  # a fault of the reader (logged): read again next time
        with self._lock:
            self._outcomes[key] = outcome
            while len(self._outcomes) > self.limit:
                self._outcomes.popitem(last=False)
        return outcome

    def __len__(self) -> int:
        return len(self._outcomes)

    def cache_clear(self) -> None:
        """Forget every outcome (benchmarks time a first reading with this)."""
        with self._lock:
            self._outcomes.clear()


REMEMBERED_READINGS = RememberedReadings()


def forget_readings() -> None:
    """Forget every remembered reading: the report outcomes here and the reader's whole-text
    readings (tests start from nothing; benchmarks time a first reading)."""
    REMEMBERED_READINGS.cache_clear()
    reader.forget_readings()


def _read_report(report: Mapping[str, Any], reference: str, stop: Stop = never) -> _Outcome:
    exam = recognise_exam(report)
    if not exam.is_imaging:
        return _Outcome(None, False, ())
    status = _str(report.get("status")).lower()
    text, text_problems = read_report_text(report)
    modality, region, contrast = exam_with_text(exam, text)
    marrow_mri = modality is Modality.MR and region in codes.MARROW_REGIONS
    if not (marrow_mri or modality in codes.LYTIC_MODALITIES):
        return _Outcome(None, False, unused_exam_problems(modality, region, reference))
    if status not in USABLE_STATUSES:
        return _Outcome(None, False, (_status_problem(status, reference),))

    effective, date_problems = _effective(report)
    problems = [MappingProblem(reference, p) for p in date_problems]
    if effective is None:
        problems.append(
            MappingProblem(reference, "imaging report has no usable date: not used", "error")
        )
        return _Outcome(None, False, tuple(problems))
    problems.extend(MappingProblem(reference, p) for p in text_problems)
    if not text.text.strip():
        problems.append(
            MappingProblem(reference, "imaging report has no readable Findings/Impression text")
        )

    field_t, shift_in_technique = technique_facts(text.technique)
    extraction: Extraction = extract(
        text.text, field_strength_t=field_t, history=text.history, stop=stop
    )
    unread = text.unread_chars + extraction.unread_chars
    if unread:
        problems.append(_unread_problem(text.total_chars, unread, reference))
    if extraction.not_analysed:
        # never silently NEGATIVE: a reading that failed says so on the card
        problems.append(
            MappingProblem(
                reference,
                "the report text could not be analysed (a fault of this service, logged): what "
                "it says about the marrow is not known; read the report",
            )
        )
    imaging = ImagingReport(
        reference=reference,
        effective=effective,
        modality=modality or Modality.OTHER,
        region=region or Region.OTHER,
        title=exam.title or text.title_lines.split("\n", 1)[0][:120],
        status=status,
        text=text.text,
        image_class=extraction.image_class,
        code=exam.code,
        contrast=contrast,
        features=extraction.features,
        lesion_count=extraction.lesion_count,
        lesion_sizes_mm=extraction.lesion_sizes_mm,
        levels=extraction.levels,
        field_strength_t=extraction.field_strength_t,
        signal_drop_pct=extraction.signal_drop_pct,
        interval_change=extraction.interval_change,
        chemical_shift_done=extraction.chemical_shift_done or shift_in_technique,
        unread_chars=unread,
        **_exam_identity(report),
    )
    return _Outcome(imaging, marrow_mri, tuple(problems), not extraction.not_analysed)


def exam_with_text(
    exam: _Exam, text: ReportText
) -> tuple[Modality | None, Region | None, Contrast]:
    """Modality, region and contrast: from the codes (`recognise_exam`), else from the report's
    title lines, else (modality and region) from a first line that names the exam ("MRI lumbar
    spine: ...")."""
    modality, region, contrast = exam.modality, exam.region, exam.contrast
    title = text.title_lines
    if title:
        modality = modality or codes.modality_in(title)
        region = region or codes.region_in(title)
        if contrast is Contrast.UNKNOWN:
            contrast = codes.contrast_in(title)
    if modality is None or region is None:
        opening = _opening_line(text.text)
        modality = modality or codes.modality_in(opening)
        region = region or codes.region_in(opening)
    return modality, region, contrast


def unused_exam_problems(
    modality: Modality | None, region: Region | None, reference: str
) -> tuple[MappingProblem, ...]:
    """Why an imaging report that is neither a marrow MRI nor lytic-lesion imaging is not used
    (nothing when it is simply another exam, e.g. an ultrasound)."""
    if modality is None:
        return (
            MappingProblem(
                reference, "radiology report whose modality could not be recognised: not used"
            ),
        )
    if modality is Modality.MR and region is None:
        return (
            MappingProblem(reference, "MRI report whose body region is not recognised: not used"),
        )
    return ()


def _status_problem(status: str, reference: str) -> MappingProblem:
    return MappingProblem(
        reference,
        f"imaging report status '{status or 'missing'}' is not final/amended/corrected/"
        "appended: not used (SPEC.md section 2)",
    )


def _unread_problem(total_chars: int, unread: int, reference: str) -> MappingProblem:
    """The report was longer than the reader reads: how much of it was read."""
    read = total_chars - unread
    return MappingProblem(
        reference,
        f"report text is {total_chars:,} characters long: the first {read:,} were "
        f"read and {unread:,} were not (reading limit {REPORT_READING_LIMIT_CHARS:,} "
        f"characters or {MAX_SENTENCES:,} sentences); findings past it are not known",
    )


def _opening_line(text: str) -> str:
    """First line of the analysed text after its heading, unless it is about a prior study."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.rstrip(":").upper() in {"FINDINGS", "IMPRESSION"}:
            continue
        if re.match(r"(compar|prior|previous|history)", line, re.I):
            return ""
        return line[:120]
    return ""


# --------------------------------------------------------------------------- dates


def _effective(report: Mapping[str, Any]) -> tuple[datetime | None, list[str]]:
    """effectiveDateTime, else effectivePeriod (start, else end), else issued."""
    problems: list[str] = []
    period = report.get("effectivePeriod")
    candidates: list[tuple[str, Any]] = [("effectiveDateTime", report.get("effectiveDateTime"))]
    if isinstance(period, Mapping):
        candidates += [("effectivePeriod.start", period.get("start"))]
        candidates += [("effectivePeriod.end", period.get("end"))]
    candidates.append(("issued", report.get("issued")))
    for name, value in candidates:
        if value is None:
            continue
        parsed, problem = parse_datetime(value)
        if problem:
            problems.append(f"{name}: {problem}")
        if parsed is not None:
            return parsed, problems
    return None, problems


# --------------------------------------------------------------------------- exam identity


def _exam_identity(report: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies the exam, for superseded reports (SPEC.md section 2): identifiers as
    "system|value", basedOn and imagingStudy references, and `issued` (which version is later)."""

    def references(key: str) -> tuple[str, ...]:
        items = report.get(key)
        found = (
            [_str(i.get("reference")) for i in items if isinstance(i, Mapping)]
            if isinstance(items, list)
            else []
        )
        return tuple(dict.fromkeys(r for r in found if r))

    identifiers = report.get("identifier")
    ids = [
        f"{_str(i.get('system'))}|{_str(i.get('value'))}"
        for i in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(i, Mapping) and _str(i.get("value"))
    ]
    issued, _ = parse_datetime(report.get("issued"))
    return {
        "identifiers": tuple(dict.fromkeys(ids)),
        "based_on": references("basedOn"),
        "studies": references("imagingStudy"),
        "issued": issued,
    }
