"""``marrow-cds read-report``: check the MRI report reader on a site's own reports (issue 9).

    marrow-cds read-report PATH... [--html OUT.html] [--as-of DATE] [--format text|json]

PATH is a report text file (``.txt``; ``.html`` / ``.htm``), a folder of them (read in name
order, not recursively; ``.ndjson`` files in it too), or FHIR resources as NDJSON (``.ndjson`` /
``.jsonl``, one resource a line: the form a FHIR Bulk Data export gives). In NDJSON only
DiagnosticReports are read; other resource types (DocumentReference, ...) are skipped and counted.

How a report is read: exactly as the service reads it. A text file becomes the presentedForm
(base64 ``text/plain``, or ``text/html`` for an HTML file) of a final lumbar spine MRI
DiagnosticReport (LOINC 24968-0) dated `as_of` (`wrap_text`); an NDJSON DiagnosticReport is read
as sent (only its subject is pointed at the synthetic patient below). Each report goes through
`fhir_mappers.imaging.read_imaging_reports` for its class, features (with the quoted span of the
report text each came from) and lesions, and through the whole patient-view pipeline of
``marrow-cds evaluate`` (`cds_hooks.cli.evaluate_offline.evaluate`) for the card it would raise.

The labs are SYNTHETIC: every report is evaluated as if it were the only MRI of a 60-year-old
woman with no conditions and a complete, normal first-line panel (SPEC.md section 5: CBC with
differential, creatinine and eGFR, calcium with albumin, SPEP with immunofixation, serum free
light chains) dated `as_of` (`synthetic_normal_panel`). So the card shown is the card the report
alone would raise; with the patient's real labs or conditions it can differ.

Bounded: a text file is read up to the service's reading limit
(`fhir_mappers.limits.REPORT_READING_LIMIT_CHARS` characters; an HTML file is cut there before its
tags are stripped) and the output says so; an NDJSON line longer than the service's default
request body limit is skipped and reported. Nothing is logged: report text goes only to the
output the user asked for (stdout, the HTML page).

``--html OUT.html`` writes one self-contained page (inline CSS, no scripts, no external
requests; every piece of report text escaped): each report's text with the reader's features
highlighted (targets, worrisome features, benign modifiers, negated / hedged / historical /
uncertain marks, sizes; a legend), and a summary table (reports per class, share that would raise
a card).
"""

from __future__ import annotations

import base64
import html
import itertools
import re
import sys
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from cds_hooks.cli.evaluate_offline import evaluate, rule_of_card, service_for_hook
from cds_hooks.cli.synthetic_fhir import lab_observation
from cds_hooks.settings import DEFAULT_MAX_BODY_BYTES
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS
from logic.imaging import BENIGN, WORRISOME, chemical_shift_threshold, worrisome_features
from logic.model import FeatureKind, ImagingClass, ImagingFeature, ImagingReport

TEXT_SUFFIXES = frozenset({".txt", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
NDJSON_SUFFIXES = frozenset({".ndjson", ".jsonl"})
# An NDJSON line longer than this is not read: the service would refuse such a request body too.
NDJSON_LINE_LIMIT_BYTES = DEFAULT_MAX_BODY_BYTES

LUMBAR_SPINE_MRI_LOINC = "24968-0"  # SPEC.md section 6: MR lumbar spine
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT_ID = "read-report-patient"
SYNTHETIC_LABS_NOTE = (
    "Cards are computed with SYNTHETIC labs: a complete, normal first-line panel dated as_of, "
    "for a 60-year-old woman with no conditions. They show what the report alone would raise."
)

# Order of the classes in summaries: the reader's classes, then reports that are not a marrow MRI.
OTHER_IMAGING = "other imaging"
NOT_READ = "not read"
CLASS_ORDER: tuple[str, ...] = (*(c.value for c in ImagingClass), OTHER_IMAGING, NOT_READ)

TARGETS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
    }
)


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Source:
    """One report to read: a DiagnosticReport and where it came from."""

    label: str  # the file, or "file:line N" for NDJSON
    resource: dict[str, Any]
    sent_text: str | None = None  # a text file's text as read (up to the limit), for the page
    notes: tuple[str, ...] = ()  # e.g. "read up to the limit"


@dataclass
class Inputs:
    sources: list[Source] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # resourceType -> lines skipped
    errors: list[str] = field(default_factory=list)  # files or lines that could not be read


def wrap_text(
    text: str, *, report_id: str, effective: datetime, media_type: str = "text/plain"
) -> dict[str, Any]:
    """A report text as the service receives it: the base64 presentedForm of a final lumbar
    spine MRI DiagnosticReport (LOINC 24968-0, Radiology category) of the synthetic patient."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {
        "resourceType": "DiagnosticReport",
        "id": report_id,
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": LUMBAR_SPINE_MRI_LOINC, "display": "MR Lumbar spine"}
            ]
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": _fhir_datetime(effective),
        "presentedForm": [{"contentType": f"{media_type}; charset=utf-8", "data": data}],
    }


def read_text_file(path: Path, limit: int = REPORT_READING_LIMIT_CHARS) -> tuple[str, str | None]:
    """(the text up to `limit` characters, a note when the file was longer). Undecodable bytes
    are replaced, as a lenient reader would; at most `limit` + 1 characters are read."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as stream:
        text = stream.read(limit + 1)
    if len(text) <= limit:
        return text, None
    size = path.stat().st_size
    return text[:limit], (
        f"read up to the service's reading limit: the first {limit:,} characters of "
        f"{size:,} bytes; the rest was not read"
    )


def collect(paths: Sequence[Path], as_of: datetime) -> Inputs:
    """Every report under `paths`, in the order given (a folder's files in name order)."""
    inputs = Inputs()
    counter = iter(range(1, 1 << 62))
    for path in paths:
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES | NDJSON_SUFFIXES
            )
            if not files:
                inputs.errors.append(f"{path}: no .txt, .html or .ndjson files in this folder")
            for file in files:
                _collect_file(file, as_of, inputs, counter)
        elif path.is_file():
            _collect_file(path, as_of, inputs, counter)
        else:
            inputs.errors.append(f"{path}: no such file or folder")
    return inputs


def _collect_file(path: Path, as_of: datetime, inputs: Inputs, counter: Iterator[int]) -> None:
    suffix = path.suffix.lower()
    try:
        if suffix in NDJSON_SUFFIXES:
            _collect_ndjson(path, inputs)
            return
        text, note = read_text_file(path)
    except OSError as exc:
        inputs.errors.append(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})")
        return
    media = "text/html" if suffix in HTML_SUFFIXES else "text/plain"
    number = next(counter)
    resource = wrap_text(text, report_id=f"read-report-{number}", effective=as_of, media_type=media)
    inputs.sources.append(Source(str(path), resource, text, (note,) if note else ()))


def _collect_ndjson(path: Path, inputs: Inputs) -> None:
    with path.open("rb") as stream:
        number = 0
        while True:
            line = stream.readline(NDJSON_LINE_LIMIT_BYTES + 1)
            if not line:
                return
            number += 1
            if len(line) > NDJSON_LINE_LIMIT_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = stream.readline(1 << 20)
                inputs.errors.append(
                    f"{path}:{number}: line longer than {NDJSON_LINE_LIMIT_BYTES:,} bytes "
                    "(the service's request body limit): skipped"
                )
                continue
            if not line.strip():
                continue
            try:
                resource = orjson.loads(line)
            except orjson.JSONDecodeError:
                inputs.errors.append(f"{path}:{number}: not a JSON object: skipped")
                continue
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if kind != "DiagnosticReport" or not isinstance(resource, dict):
                inputs.skipped[kind if isinstance(kind, str) else "(no resourceType)"] += 1
                continue
            # One report = one synthetic patient: its own subject would be another patient's.
            resource = {**resource, "subject": {"reference": f"Patient/{PATIENT_ID}"}}
            inputs.sources.append(Source(f"{path}:{number}", resource))


# ------------------------------------------------------------------------------ synthetic labs


def _fhir_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _lab(
    obs_id: str,
    loinc: str,
    display: str,
    value: float,
    unit: str,
    when: str,
    low: float | None = None,
    high: float | None = None,
) -> dict[str, Any]:
    return lab_observation(obs_id, PATIENT_ID, loinc, display, value, unit, when, low, high)


def synthetic_normal_panel(as_of: datetime) -> list[dict[str, Any]]:
    """A complete, normal first-line panel (SPEC.md sections 4 and 5) dated `as_of`, as FHIR
    Observations with the LOINC codes and units labs send. Synthetic: no patient's values."""
    when = _fhir_datetime(as_of)
    spep = _lab("spep", "12851-2", "Protein electrophoresis panel - Serum or Plasma", 0, "1", when)
    del spep["valueQuantity"]
    spep["valueString"] = "No monoclonal protein detected."
    return [
        _lab("hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 13.4, "g/dL", when, 12.0, 15.5),
        _lab("wbc", "6690-2", "Leukocytes [#/volume] in Blood", 6.1, "10*3/uL", when, 4.0, 11.0),
        _lab("plt", "777-3", "Platelets [#/volume] in Blood", 245, "10*3/uL", when, 150, 400),
        _lab("neut", "751-8", "Neutrophils [#/volume] in Blood", 3.6, "10*3/uL", when, 1.8, 7.7),
        _lab("crea", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.82, "mg/dL", when),
        _lab("egfr", "98979-8", "eGFR (CKD-EPI 2021)", 84, "mL/min/{1.73_m2}", when),
        _lab("ca", "17861-6", "Calcium [Mass/volume] in Serum or Plasma", 9.4, "mg/dL", when),
        _lab("alb", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", 4.2, "g/dL", when),
        spep,
        _lab(
            "kappa",
            "36916-5",
            "Kappa light chains.free [Mass/volume] in Serum",
            12.1,
            "mg/L",
            when,
            3.3,
            19.4,
        ),
        _lab(
            "lambda",
            "33944-0",
            "Lambda light chains.free [Mass/volume] in Serum",
            14.3,
            "mg/L",
            when,
            5.7,
            26.3,
        ),
    ]


def hook_request(report: Mapping[str, Any], as_of: datetime) -> dict[str, Any]:
    """A patient-view request with the report and the synthetic patient, labs and conditions."""

    def bundle(resources_: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources_),
            "entry": [{"resource": r} for r in resources_],
        }

    prefetch: dict[str, Any] = {
        "patient": {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "gender": "female",
            "birthDate": f"{as_of.year - 60:04d}-01-01",
        },
        "labs": bundle(synthetic_normal_panel(as_of)),
        "imaging": bundle([report]),
        "conditions": bundle([]),
    }
    # Every other prefetch key the service advertises (orders already placed, ...) is fulfilled
    # as empty: the synthetic patient has nothing else, and nothing is fetched offline.
    for key in service_for_hook("patient-view").prefetch:
        prefetch.setdefault(key, bundle([]))
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/read-report", "patientId": PATIENT_ID},
        "prefetch": prefetch,
    }


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class CardLine:
    indicator: str
    summary: str
    rule: str | None
    topic: str | None


@dataclass(frozen=True)
class Reading:
    """What the service makes of one report."""

    source: Source
    reference: str
    image_class: str  # an ImagingClass value, OTHER_IMAGING or NOT_READ
    report: ImagingReport | None
    marrow_mri: bool
    problems: tuple[str, ...]
    worrisome: tuple[str, ...]  # worrisome features as the rules see them (logic.imaging)
    rule_id: str | None  # the decision "R0".."R8"; None when the evaluation failed
    cards: tuple[CardLine, ...]
    error: str | None = None  # the evaluation's OperationOutcome text, when it failed

    @property
    def raises_card(self) -> bool:
        """A primary card (rule R1-R8) would be raised."""
        return self.rule_id is not None and self.rule_id != "R0"

    @property
    def uncertain(self) -> bool:
        return self.report is not None and any(_uncertain(f) for f in self.report.features)


def _uncertain(feature: ImagingFeature) -> bool:
    return getattr(feature, "uncertain", False) is True


def read_one(source: Source, as_of: datetime) -> Reading:
    """Read one report (`read_imaging_reports`) and evaluate it (`evaluate`)."""
    resource = source.resource
    mri, other, problems = read_imaging_reports([resource])
    rid = resource.get("id")
    reference = f"DiagnosticReport/{rid}" if isinstance(rid, str) and rid else "DiagnosticReport"
    report = mri[0] if mri else other[0] if other else None
    if report is not None:
        reference = report.reference
    image_class = mri[0].image_class.value if mri else OTHER_IMAGING if other else NOT_READ
    # each worrisome feature once, however many sentences state it
    worrisome = tuple(dict.fromkeys(f.label for f in worrisome_features(report))) if report else ()

    rule_id, cards, error = card_lines(resource, as_of)
    return Reading(
        source=source,
        reference=reference,
        image_class=image_class,
        report=report,
        marrow_mri=bool(mri),
        problems=tuple(p.message for p in problems if hasattr(p, "message")),
        worrisome=worrisome,
        rule_id=rule_id,
        cards=cards,
        error=error,
    )


def card_lines(
    resource: Mapping[str, Any], as_of: datetime
) -> tuple[str | None, tuple[CardLine, ...], str | None]:
    """(decision rule, cards, error) of the patient-view pipeline (`evaluate`) for the report
    with the synthetic patient and labs. An error is returned, never raised, so that one report
    cannot stop the others."""
    try:
        evaluation = evaluate(hook_request(resource, as_of), as_of)
    except Exception as exc:  # noqa: BLE001 - per-report boundary: a bug must not end the run; said per report
        return None, (), f"the evaluation failed ({type(exc).__name__})"
    if evaluation.status != 200:
        issues = evaluation.response.get("issue", [])
        details = [
            str(i.get("diagnostics", i.get("code", ""))) for i in issues if isinstance(i, dict)
        ]
        return None, (), "; ".join(details) or f"status {evaluation.status}"
    cards = [
        CardLine(
            indicator=card.indicator,
            summary=card.summary,
            rule=rule_of_card(card, evaluation.rule_ids),
            topic=card.source.topic.code if card.source.topic is not None else None,
        )
        for card in evaluation.cards
    ]
    return evaluation.rule_id, tuple(cards), None


def read_all(sources: Iterable[Source], as_of: datetime) -> list[Reading]:
    return [read_one(source, as_of) for source in sources]


# ------------------------------------------------------------------------------ summary


@dataclass(frozen=True)
class Summary:
    total: int
    per_class: dict[str, int]
    raising_per_class: dict[str, int]
    per_rule: dict[str, int]
    raising: int

    @property
    def raising_share(self) -> float:
        return self.raising / self.total if self.total else 0.0


def summarise(readings: Sequence[Reading]) -> Summary:
    per_class: Counter[str] = Counter(r.image_class for r in readings)
    raising: Counter[str] = Counter(r.image_class for r in readings if r.raises_card)
    rules: Counter[str] = Counter(r.rule_id or "error" for r in readings)
    order = [c for c in CLASS_ORDER if c in per_class] + sorted(set(per_class) - set(CLASS_ORDER))
    return Summary(
        total=len(readings),
        per_class={c: per_class[c] for c in order},
        raising_per_class={c: raising[c] for c in order},
        per_rule=dict(sorted(rules.items())),
        raising=sum(raising.values()),
    )


# ------------------------------------------------------------------------------ features


def category(feature: ImagingFeature, report: ImagingReport) -> str:
    """target / worrisome / benign / descriptor, as the legend of the page names them."""
    if feature.kind in WORRISOME:
        return "worrisome"
    if feature.kind is FeatureKind.CHEMICAL_SHIFT_DROP:
        if feature.value is not None and feature.value < chemical_shift_threshold(report):
            return "worrisome"
        return "benign" if feature.value is not None else "descriptor"
    if feature.kind in TARGETS:
        return "target"
    if feature.kind in BENIGN:
        return "benign"
    return "descriptor"


def marks(feature: ImagingFeature) -> tuple[str, ...]:
    found = [
        name
        for name, on in (
            ("negated", feature.negated),
            ("hedged", feature.hedged),
            ("historical", feature.historical),
            ("uncertain", _uncertain(feature)),
        )
        if on
    ]
    return tuple(found)


def _kind(feature: ImagingFeature) -> str:
    kind = feature.kind
    return kind.value if isinstance(kind, FeatureKind) else str(kind)


def feature_json(feature: ImagingFeature, report: ImagingReport) -> dict[str, Any]:
    return {
        "kind": _kind(feature),
        "category": category(feature, report),
        "text": feature.span.text,
        "start": feature.span.start,
        "end": feature.span.end,
        "negated": feature.negated,
        "hedged": feature.hedged,
        "historical": feature.historical,
        "uncertain": _uncertain(feature),
        "value": feature.value,
    }


def reading_json(reading: Reading) -> dict[str, Any]:
    report = reading.report
    out: dict[str, Any] = {
        "source": reading.source.label,
        "reference": reading.reference,
        "class": reading.image_class,
        "marrow_mri": reading.marrow_mri,
        "notes": list(reading.source.notes),
        "problems": list(reading.problems),
        "features": [feature_json(f, report) for f in report.features] if report else [],
        "lesion_count": report.lesion_count if report else None,
        "lesion_sizes_mm": list(report.lesion_sizes_mm) if report else [],
        "levels": list(report.levels) if report else [],
        "worrisome": list(reading.worrisome),
        "uncertain": reading.uncertain,
        "rule": reading.rule_id,
        "raises_card": reading.raises_card,
        "cards": [
            {"indicator": c.indicator, "summary": c.summary, "rule": c.rule, "topic": c.topic}
            for c in reading.cards
        ],
    }
    if reading.error:
        out["error"] = reading.error
    return out


# ------------------------------------------------------------------------------ text and JSON


def _sizes(sizes: Sequence[float]) -> str:
    return ", ".join(f"{s:g}" for s in sizes) + " mm" if sizes else "none stated"


def render_text(readings: Sequence[Reading], inputs: Inputs, as_of: datetime) -> str:
    lines = [f"as_of: {as_of.isoformat()}", SYNTHETIC_LABS_NOTE, ""]
    for n, reading in enumerate(readings, 1):
        report = reading.report
        lines.append(f"{n}. {reading.source.label} ({reading.reference})")
        lines.extend(f"   note: {note}" for note in reading.source.notes)
        lines.append(f"   class: {reading.image_class}")
        if report is not None:
            if report.features:
                lines.append("   features:")
                for feature in report.features:
                    flag = ", ".join(marks(feature))
                    value = f" = {feature.value:g}" if feature.value is not None else ""
                    lines.append(
                        f"     - {_kind(feature)}{value} ({category(feature, report)}): "
                        f"{_quote(feature.span.text)}" + (f"  [{flag}]" if flag else "")
                    )
            else:
                lines.append("   features: none")
            count = report.lesion_count if report.lesion_count is not None else "none stated"
            lines.append(f"   lesions: count {count}; sizes {_sizes(report.lesion_sizes_mm)}")
            if report.levels:
                lines.append(f"   levels: {', '.join(report.levels)}")
            if reading.worrisome:
                lines.append(f"   worrisome: {'; '.join(reading.worrisome)}")
            if reading.uncertain:
                lines.append("   reading uncertain: the card says so")
        lines.extend(f"   problem: {p}" for p in reading.problems)
        if reading.error:
            lines.append(f"   card: not evaluated: {reading.error}")
        elif not reading.cards:
            lines.append(f"   card: none (rule {reading.rule_id})")
        for card in reading.cards:
            lines.append(f"   card: {_card_name(card)} [{card.indicator.upper()}] {card.summary}")
        lines.append("")
    lines.extend(_summary_lines(summarise(readings), inputs))
    return "\n".join(lines) + "\n"


def _card_name(card: CardLine) -> str:
    """ "rule R4" for the primary card, the topic ("data-quality", ...) for a secondary one."""
    if card.rule and re.fullmatch(r"R\d+", card.rule):
        return f"rule {card.rule}"
    return card.topic or card.rule or "card"


def _quote(text: str) -> str:
    one_line = re.sub(r"\s+", " ", text).strip()
    return f'"{one_line}"'


def _summary_lines(summary: Summary, inputs: Inputs) -> list[str]:
    lines = [f"summary: {summary.total} reports"]
    for name, count in summary.per_class.items():
        raising = summary.raising_per_class.get(name, 0)
        lines.append(f"  {name:16s} {count:5d}   would raise a card: {raising}")
    lines.append(
        f"  would raise a card: {summary.raising}/{summary.total} "
        f"({100 * summary.raising_share:.1f}%)"
    )
    lines.append("  rules: " + ", ".join(f"{k} {v}" for k, v in summary.per_rule.items()))
    if inputs.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(inputs.skipped.items()))
        lines.append(f"  skipped (not DiagnosticReport): {skipped}")
    return lines


def render_json(readings: Sequence[Reading], inputs: Inputs, as_of: datetime) -> str:
    summary = summarise(readings)
    body = {
        "as_of": as_of.isoformat(),
        "labs": SYNTHETIC_LABS_NOTE,
        "reports": [reading_json(r) for r in readings],
        "summary": {
            "total": summary.total,
            "per_class": summary.per_class,
            "raising_per_class": summary.raising_per_class,
            "per_rule": summary.per_rule,
            "raising": summary.raising,
            "raising_share": round(summary.raising_share, 4),
        },
        "skipped": dict(sorted(inputs.skipped.items())),
        "errors": list(inputs.errors),
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"


# ------------------------------------------------------------------------------ HTML page

# Sizes as reports write them ("8 mm", "8-mm", "0.8 cm", "8 x 6 mm"): shown, not read.
_SIZE = re.compile(
    r"(?<![\w.])\d{1,3}(?:\.\d+)?(?:\s*(?:x|×|by)\s*\d{1,3}(?:\.\d+)?)*\s*-?\s*(?:mm|cm)\b", re.I
)
_SIZE_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    classes: tuple[str, ...]
    title: str
    kinds: tuple[str, ...] = ()


def _size_marks(report: ImagingReport) -> list[_Mark]:
    counted = set(report.lesion_sizes_mm)
    found = []
    for match in _SIZE.finditer(report.text):
        numbers = [float(n) for n in _SIZE_NUMBERS.findall(match.group())]
        scale = 10.0 if match.group().lower().rstrip().endswith("cm") else 1.0
        largest = max(numbers) * scale if numbers else None
        if largest is not None and any(abs(largest - c) < 0.05 for c in counted):
            title = f"size {largest:g} mm: counted by the reader as a lesion size"
        else:
            title = "size mentioned: not a lesion size of the reader"
        found.append(_Mark(match.start(), match.end(), ("size",), title))
    return found


def _feature_marks(report: ImagingReport) -> list[_Mark]:
    found = []
    length = len(report.text)
    for feature in report.features:
        start, end = feature.span.start, feature.span.end
        if not (0 <= start < end <= length):
            continue  # a span outside the text cannot be shown (it is listed in the table)
        flags = marks(feature)
        title = f"{_kind(feature)} ({category(feature, report)})"
        if flags:
            title += ": " + ", ".join(flags)
        classes = (f"cat-{category(feature, report)}", *(f"mod-{m}" for m in flags))
        found.append(_Mark(start, end, classes, title, (_kind(feature),)))
    return found


def highlighted(report: ImagingReport) -> str:
    """The report text as escaped HTML, each run of characters wrapped in one <mark> carrying
    the classes and titles of every feature / size covering it (overlaps never nest tags)."""
    text = report.text
    items = _feature_marks(report) + _size_marks(report)
    cuts = sorted({0, len(text), *(m.start for m in items), *(m.end for m in items)})
    out: list[str] = []
    for a, b in itertools.pairwise(cuts):
        piece = html.escape(text[a:b], quote=False)
        covering = [m for m in items if m.start <= a and b <= m.end]
        if not covering:
            out.append(piece)
            continue
        classes = sorted({c for m in covering for c in m.classes})
        kinds = sorted({k for m in covering for k in m.kinds})
        title = "; ".join(dict.fromkeys(m.title for m in covering))
        attrs = f'class="hl {" ".join(classes)}" title="{html.escape(title)}"'
        if kinds:
            attrs += f' data-kinds="{html.escape(" ".join(kinds))}"'
        out.append(f"<mark {attrs}>{piece}</mark>")
    return "".join(out)


def render_html(readings: Sequence[Reading], inputs: Inputs, as_of: datetime) -> str:
    import jinja2
    from markupsafe import Markup

    template_text = (
        resources.files("cds_hooks").joinpath("templates/read_report.html").read_text("utf-8")
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["card_name"] = _card_name
    summary = summarise(readings)
    items = []
    for n, reading in enumerate(readings, 1):
        report = reading.report
        items.append(
            {
                "n": n,
                "reading": reading,
                "json": reading_json(reading),
                "text_html": Markup(highlighted(report)) if report is not None else None,  # noqa: S704
                "sizes": _sizes(report.lesion_sizes_mm) if report else "",
            }
        )
    return env.from_string(template_text).render(
        as_of=as_of.isoformat(),
        labs_note=SYNTHETIC_LABS_NOTE,
        summary=summary,
        items=items,
        skipped=sorted(inputs.skipped.items()),
        errors=inputs.errors,
        limit=REPORT_READING_LIMIT_CHARS,
    )


# ------------------------------------------------------------------------------ command


def read_report_command(
    paths: Sequence[Path],
    as_of: datetime | None,
    output: str = "text",
    html_out: Path | None = None,
) -> int:
    """0 when every input was read, 1 when some could not be, 2 when there was nothing to read."""
    moment = as_of or datetime.now(UTC)
    inputs = collect(paths, moment)
    for error in inputs.errors:
        print(f"marrow-cds read-report: {error}", file=sys.stderr)
    if not inputs.sources:
        print("marrow-cds read-report: no report to read", file=sys.stderr)
        return 2
    readings = read_all(inputs.sources, moment)
    render = render_json if output == "json" else render_text
    sys.stdout.write(render(readings, inputs, moment))
    if html_out is not None:
        try:
            html_out.write_text(render_html(readings, inputs, moment), encoding="utf-8")
        except OSError as exc:
            print(f"marrow-cds read-report: cannot write {html_out}: {exc}", file=sys.stderr)
            return 1
        print(f"HTML page written to {html_out}", file=sys.stderr)
    return 1 if inputs.errors else 0
