"""What a clinician reads in a card's `detail` (CARDS.md), as typed blocks
(`cds_hooks.cards.document`: rendered as the card's Markdown and as the offline text view).

The decision in one sentence, the reasons, an evidence table (item | value | unit | date; the
FHIR references are in the card's `extension`), the quoted report sentence, what was checked and
found normal, notes and citations. Summary lines are built in `cds_hooks.cards.summary`.

Every text here is plain text: `cds_hooks.cards.document` escapes it for Markdown
(`cds_hooks.cards.escaping.escape_md`), once, where the Markdown is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Final

from cds_hooks.cards.document import (
    Block,
    Bullets,
    Document,
    Fold,
    Labelled,
    Paragraph,
    Quotes,
    Section,
    Table,
)
from cds_hooks.cards.escaping import DROPPED_CHARACTERS
from fhir_mappers.fhir_id import FHIR_ID_PATTERN
from logic.catalogue import FLAG_WORDS
from logic.model import (
    Advisory,
    Check,
    DataDomain,
    DataGap,
    Evidence,
    FeatureKind,
    Flag,
    ImagingClass,
    ImagingReport,
    MappingProblem,
    Recommendation,
    Region,
)
from logic.rules import CardSpec
from logic.units import display_unit

# Evidence whose quote is report text (captioned by the report's title).
REPORT_TYPES: Final = ("DiagnosticReport/", "DocumentReference/", "ImagingStudy/")

# ------------------------------------------------------------------------------ formatting

REGION_WORDS: Final = {
    Region.LUMBAR_SPINE: "lumbar spine",
    Region.SACRUM: "sacrum",
    Region.PELVIS: "pelvis",
    Region.SPINE: "spine",
    Region.SACROILIAC: "sacroiliac joint",
    Region.WHOLE_BODY: "whole-body",
    Region.OTHER: "",
}

DOMAIN_WORDS: Final = {
    DataDomain.PATIENT: "patient details",
    DataDomain.LABS: "lab results",
    DataDomain.IMAGING: "imaging reports",
    DataDomain.CONDITIONS: "problem list",
    DataDomain.ORDERS: "orders already placed",
    DataDomain.REPORT_TEXT: "the full MRI report text",
    DataDomain.IMAGING_DOCUMENTS: "imaging reports kept as documents",
}


def date_display(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


# ------------------------------------------------------------------------------ clinical words

# CARDS.md (2026-12-07): clinician-facing text never names internal documents, code identifiers
# or bare flag ids: FLAG_WORDS (logic.catalogue) says each flag id in words.
_FLAG_ID: Final = re.compile(
    r"\b(?:" + "|".join(sorted(FLAG_WORDS, key=len, reverse=True)) + r")\b"
)
_FLAG_LIST: Final = re.compile(
    r"\s*\((?:" + _FLAG_ID.pattern + r")(?:,\s*(?:" + _FLAG_ID.pattern + r"))*\)"
)
# "(SPEC.md section 5)", "(SPEC.md §2; WHO 2011)", "SPEC.md section 3 pitfall", "CARDS.md"
_DOC_CITATION: Final = re.compile(
    r"\s*\((?:see )?(?:SPEC|CARDS)\.md[^()]*\)|(?:,\s*|\s*;\s*)?(?:SPEC|CARDS)\.md"
    r"(?:\s+(?:section|§)\s*\d+(?:\s+pitfalls?)?|\s*§\s*\d+)?"
)


_REF: Final = (
    r"(?:Observation|DiagnosticReport|Condition|DocumentReference|ServiceRequest|Patient|"
    r"ImagingStudy|Binary|Encounter)/" + FHIR_ID_PATTERN
)
_REFS: Final = _REF + r"(?:,\s*" + _REF + r")*"
# "(computed from Observation/kappa, Observation/lambda)", "(DiagnosticReport/mri-1; the end of
# the first interval)", "(Observation/hb)": FHIR references belong in the card's extension.
_COMPUTED_FROM: Final = re.compile(r"\(computed from " + _REFS + r"\)")
_REFS_THEN_TEXT: Final = re.compile(r"\(" + _REFS + r"[;,]\s*")
_REFS_ALONE: Final = re.compile(r"\s*\(" + _REFS + r"\)")
_BARE_REF: Final = re.compile(r"\s" + _REF + r"(?=[\s,;.:)]|$)")
_IMAGE_CLASS_WORDS: Final = {
    "FOCAL_EQUIVOCAL": "one indeterminate focal lesion",
    "FOCAL_MULTIPLE": "several focal lesions",
    "NONSPECIFIC": "nonspecific heterogeneity",
    "DIFFUSE": "diffuse change",
    "NEGATIVE": "no marrow abnormality",
}
_IMAGE_CLASS: Final = re.compile(r"\b(?:" + "|".join(_IMAGE_CLASS_WORDS) + r")\b")
# Every pattern of `clinical_words` needs ".md" (a citation), a resource type and "/" (a FHIR
# reference: "g/dL" is none) or one of these words (a flag id, an image class).
_REWRITTEN_WORD: Final = re.compile(_FLAG_ID.pattern + "|" + _IMAGE_CLASS.pattern)
_REF_START: Final = re.compile(_REF.removesuffix(FHIR_ID_PATTERN))
# What a flag id or an image class word contains ("U-", "H-", "I-"; the class words): without
# one of these, `_REWRITTEN_WORD` cannot match, and its long alternation is not run.
_WORD_NEEDLES: Final = tuple(
    dict.fromkeys([*(flag_id[:2] for flag_id in FLAG_WORDS), *_IMAGE_CLASS_WORDS])
)
# One scan for any of them (a literal alternation: the same answer as `needle in text` for each).
_ANY_NEEDLE: Final = re.compile("|".join(re.escape(needle) for needle in _WORD_NEEDLES))


def could_be_rewritten(text: str) -> bool:
    """Whether any pattern of `clinical_words` can match `text` (most card text: none)."""
    if ".md" in text:
        return True
    if "/" in text and _REF_START.search(text) is not None:
        return True
    if _ANY_NEEDLE.search(text) is None:
        return False
    return _REWRITTEN_WORD.search(text) is not None


def clinical_words(text: str) -> str:
    """Text for a clinician: citations of the internal contract and FHIR references dropped,
    flag ids and image classes in words ("Marrow biopsy indicated (H-ANAEMIA, H-IMAGING)" ->
    "... (unexplained anaemia, worrisome MRI features)")."""
    if not could_be_rewritten(text):
        return text  # nothing below could match: a scan or two instead of eight
    return rewritten(text)


def rewritten(text: str) -> str:
    """`clinical_words` without its check that something could match."""
    text = _DOC_CITATION.sub("", text)
    text = _COMPUTED_FROM.sub("(computed)", text)
    text = _REFS_THEN_TEXT.sub("(", text)
    text = _REFS_ALONE.sub("", text)
    text = _BARE_REF.sub("", text)  # "the follow-up MRI order ServiceRequest/sr-1 of <date>"
    text = _IMAGE_CLASS.sub(lambda m: _IMAGE_CLASS_WORDS[m.group(0)], text)

    def in_words(match: re.Match[str]) -> str:
        ids = _FLAG_ID.findall(match.group(0))
        return " (" + ", ".join(dict.fromkeys(FLAG_WORDS[i] for i in ids)) + ")"

    text = _FLAG_LIST.sub(in_words, text)
    return _FLAG_ID.sub(lambda m: FLAG_WORDS[m.group(0)], text)


def is_published_source(citation: str) -> bool:
    """A citation a clinician can look up (not the project's own contract)."""
    return "SPEC.md" not in citation and "CARDS.md" not in citation


def published_sources(citation: str) -> str:
    """The published parts of a "; "-separated citation ("" when it cites only the contract)."""
    parts = [p.strip() for p in citation.split(";")]
    return "; ".join(clinical_words(p) for p in parts if p and is_published_source(p))


# ------------------------------------------------------------------------------ plain text

SUMMARY_MAX: Final = 139  # CDS Hooks: summary under 140 characters


def plain(text: str) -> str:
    """One line of plain text: whitespace collapsed, control characters dropped."""
    return DROPPED_CHARACTERS.sub("", " ".join(text.split()))


def join_words(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """Plain text cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    text = plain(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def data_quality_summary(problems: Sequence[MappingProblem], gaps: Sequence[DataGap]) -> str:
    """ "Check the data behind this advice: lab results could not be fetched; 2 items could not
    be read as sent". The mapper's severity is not shown: its message says what happened."""
    parts: list[str] = []
    fetched = [g for g in gaps if g.domain is not DataDomain.REPORT_TEXT]
    domains = list(dict.fromkeys(DOMAIN_WORDS[gap.domain] for gap in fetched))
    if domains:
        parts.append(f"{join_words(domains)} could not be fetched")
    if len(fetched) < len(gaps):
        parts.append(f"{DOMAIN_WORDS[DataDomain.REPORT_TEXT]} could not be read")
    count = len({p.reference or p.message for p in problems})
    if count:
        parts.append(f"{count} {'item' if count == 1 else 'items'} could not be read as sent")
    return shorten("Check the data behind this advice: " + "; ".join(parts))


# ------------------------------------------------------------------------------ detail


EVIDENCE_HEADER: Final = ("Item", "Value", "Unit", "Date")


def evidence_table(rows: Sequence[tuple[Evidence, Sequence[str]]]) -> Table | None:
    """The evidence: item | value | unit | date (FHIR references and flag ids are in the card's
    `extension`, `evidence_extension`)."""
    if not rows:
        return None
    cells: list[tuple[str, ...]] = []
    shown: set[tuple[object, ...]] = set()
    for item, flag_ids in rows:
        key = (*_evidence_key(item), tuple(flag_ids))
        if key in shown:
            continue
        shown.add(key)
        cells.append(
            (
                clinical_words(item.label),
                value_words(item),
                display_unit(item.unit),
                date_display(item.date),
            )
        )
    return Table(EVIDENCE_HEADER, tuple(cells))


def _evidence_key(item: Evidence) -> tuple[object, ...]:
    return (item.label, item.reference, item.value, item.unit, item.date)


def collect_evidence(flags: Sequence[Flag]) -> list[tuple[Evidence, list[str]]]:
    """Evidence of all flags, each item once, with the ids of the flags it supports."""
    rows: dict[tuple[object, ...], tuple[Evidence, list[str]]] = {}
    for flag in flags:
        for item in flag.evidence:
            key = _evidence_key(item)
            if key not in rows:
                rows[key] = (item, [])
            if flag.id not in rows[key][1]:
                rows[key][1].append(flag.id)
    return list(rows.values())


EVIDENCE_EXTENSION: Final = "org.marrow-cds.evidence"


def evidence_extension(
    rows: Sequence[tuple[Evidence, Sequence[str]]],
    checks: Sequence[Check] = (),
    problems: Sequence[MappingProblem] = (),
) -> dict[str, list[dict[str, object]]] | None:
    """The card's `extension` (CARDS.md): per evidence item its FHIR reference, the item (its
    code as the card names it), value, unit, date and flag ids; checked items (flag-less, with
    the check and its outcome) and items that could not be read. None when there is nothing."""
    items: list[dict[str, object]] = []
    seen: set[tuple[object, ...]] = set()

    def add(item: Evidence, flag_ids: Sequence[str], **more: str) -> None:
        key = (*_evidence_key(item), tuple(flag_ids), tuple(more.items()))
        if key in seen:
            return
        seen.add(key)
        entry: dict[str, object] = {"reference": item.reference, "code": item.label}
        entry.update(value=item.value, unit=item.unit, date=date_display(item.date) or None)
        entry["flags"] = list(flag_ids)
        entry.update(more)
        items.append({k: v for k, v in entry.items() if v not in (None, "", [])})

    for item, flag_ids in rows:
        add(item, flag_ids)
    for check in checks:
        for item in check.evidence:
            add(item, (), check=check.label, outcome=check.outcome)
    for problem in problems:
        items.append(
            {
                k: v
                for k, v in {"reference": problem.reference, "problem": problem.message}.items()
                if v
            }
        )
    return {EVIDENCE_EXTENSION: items} if items else None


def is_report_quote(item: Evidence) -> bool:
    """A quote to show as a blockquote: report text, or the text a lab finding was read from
    (what the lab sent for a converted value is `Evidence.as_sent`: it goes into the value cell).
    """
    return bool(item.quote and item.quote.strip())


def value_words(item: Evidence) -> str:
    """The value, with the result as the lab sent it when that differs (units converted)."""
    value = item.value or ""
    if not item.as_sent:
        return value
    as_sent = item.as_sent.strip()
    if not value:
        return f"as sent: {as_sent}"
    if _same_quantity(value, item.unit or "", as_sent):
        return value
    return f"{value} (as sent: {as_sent})"


def _same_quantity(value: str, unit: str, as_sent: str) -> bool:
    """ "11" g/dL and "11.0 g/dL" are the same result (nothing was converted)."""
    number, _, unit_sent = as_sent.partition(" ")
    if unit_sent.strip() != unit:
        return False
    try:
        return float(number) == float(value)
    except ValueError:
        return number == value


_MARROW_FINDINGS: Final = frozenset({FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN})


def report_quotes(
    evidence: Iterable[Evidence], report: ImagingReport | None, limit: int = 4
) -> list[Quotes]:
    """The quoted report sentences, grouped by source; from the index report when no evidence
    carries one (its findings that are neither negated nor historical)."""
    groups: dict[str | None, tuple[str, str, list[str]]] = {}
    seen: set[str] = set()
    count = 0

    def add(reference: str | None, label: str, when: date | None, sentence: str) -> None:
        nonlocal count
        if count >= limit or not sentence.strip() or sentence in seen:
            return
        seen.add(sentence)
        count += 1
        groups.setdefault(reference, (label, date_display(when), []))[2].append(sentence)

    for item in evidence:
        if not is_report_quote(item) or item.quote is None:
            continue
        label = item.label
        if report is not None and item.reference == report.reference and report.title:
            label = report.title
        elif item.reference and item.reference.startswith(REPORT_TYPES):
            label = label.split(": ", 1)[0]
        add(item.reference, label, item.date, item.quote)
    if not groups and report is not None:
        findings = [
            f
            for f in report.features
            if not (f.negated or f.historical) and f.kind is not FeatureKind.FIELD_STRENGTH
        ]
        # the marrow finding itself first, then the features that qualify it
        findings.sort(key=lambda f: f.kind not in _MARROW_FINDINGS)
        for feature in findings:
            add(
                report.reference,
                report.title,
                report.effective,
                (feature.sentence or feature.span).text,
            )
    return [Quotes(label, when, tuple(quotes)) for label, when, quotes in groups.values()]


CHECKS_HEADER: Final = ("Check", "Result", "Item", "Value", "Unit", "Date")


def checks_section(checks: Sequence[Check], spec: CardSpec | None = None) -> Table | None:
    """What was checked, under the title the rule's row gives (`CardSpec.checks_title`):
    "Checked and normal" (why not biopsy) on surveillance and deferral cards, the
    palliative-care Conditions on the goals-of-care card, "Also checked" on the others. One
    table row per check and piece of evidence; the Item column names each value ("Haemoglobin",
    "Platelets"), so that the rows after a check's first one say what they show."""
    if not checks:
        return None
    rows: list[tuple[str, ...]] = []
    for check in checks:
        items = check.evidence or (Evidence(label=""),)
        for n, item in enumerate(items):
            rows.append(
                (
                    clinical_words(check.label) if n == 0 else "",
                    clinical_words(check.outcome) if n == 0 else "",
                    clinical_words(item.label),
                    value_words(item),
                    display_unit(item.unit),
                    date_display(item.date),
                )
            )
    return Table(
        CHECKS_HEADER,
        tuple(rows),
        title=spec.checks_title if spec is not None else "Also checked",
        why=spec.checks_why if spec is not None and spec.checks_why else "",
    )


def _bullets(title: str, items: Iterable[str]) -> Bullets | None:
    shown = tuple(item for item in items if item.strip())
    return Bullets(title, shown) if shown else None


MAX_SOURCES: Final = 3  # CARDS.md: at most three published sources


def sources_section(citations: Sequence[str]) -> Bullets | None:
    """At most three published sources (author, journal, year); never the project's contract,
    never a link (links go in the card's `links`)."""
    published = [clinical_words(c) for c in citations if is_published_source(c)]
    return _bullets("Sources", list(dict.fromkeys(published))[:MAX_SOURCES])


_CLASS_WORDS: Final = {
    ImagingClass.NEGATIVE: "no marrow abnormality",
    ImagingClass.NONSPECIFIC: "nonspecific heterogeneity",
    ImagingClass.DIFFUSE: "diffuse change",
    ImagingClass.FOCAL_EQUIVOCAL: "one indeterminate focal lesion",
    ImagingClass.FOCAL_MULTIPLE: "several focal lesions",
}


def _index_report_row(report: ImagingReport) -> tuple[Evidence, list[str]]:
    item = Evidence(
        label=f"{report.title} (index MRI)" if report.title else "Index MRI",
        reference=report.reference,
        value=_CLASS_WORDS.get(report.image_class, str(report.image_class)),
        date=report.effective,
    )
    return item, []


def primary_detail(
    recommendation: Recommendation, spec: CardSpec, *, follow_up: Bullets | None = None
) -> Document:
    """The `detail` of the primary card of a rule (`spec`: its row's CardSpec); `follow_up`: the
    surveillance card's "Follow-up MRI" section, shown right under the decision. CARDS.md: no
    links inside `detail` (the catalogue is in `links`)."""
    flags = recommendation.flags
    evidence_rows = collect_evidence(flags)
    report = recommendation.index_report
    if report is not None and all(item.reference != report.reference for item, _ in evidence_rows):
        evidence_rows.insert(0, _index_report_row(report))
    # CARDS.md: the decision, its reasons (at most four) and the buttons are seen without
    # scrolling; in the sandbox the buttons come after the detail, so the part above "More" is
    # short and everything else (report quotes, checks, notes, sources) goes under "More".
    reasons = [clinical_words(flag.criterion) for flag in flags][:MAX_REASONS]
    sections: list[Block | None] = [
        Paragraph(clinical_words(recommendation.decision), lead="Recommendation:"),
        follow_up,
        _bullets("Why", reasons),
    ]
    more: list[Block | None] = [evidence_table(evidence_rows)]
    quotes = report_quotes(
        [item for flag in flags for item in flag.evidence], recommendation.index_report
    )
    if quotes:
        more.append(Section("Report", tuple(quotes)))
    more.append(checks_section(recommendation.checks, spec))
    more.append(_bullets("Notes", [clinical_words(n) for n in recommendation.notes]))
    more.append(sources_section(recommendation.citations))
    shown = tuple(m for m in more if m)
    if shown:
        sections.append(Fold(MORE_SUMMARY, shown))
    return tuple(s for s in sections if s)


MAX_REASONS: Final = 4  # CARDS.md: at most four reasons
# The sandbox shows the buttons after the whole `detail`: the evidence, report quotes, checks,
# notes and sources are folded under a "More" disclosure (an HTML block; CommonMark renders the
# Markdown between its lines), so that the decision, the reasons and the buttons fit in about
# 700 px at 640 px width (tests/browser/test_card_fold.py).
MORE_SUMMARY: Final = "More: evidence, report text, checks and sources"


def primary_evidence(recommendation: Recommendation) -> dict[str, list[dict[str, object]]] | None:
    """The primary card's `extension`: its evidence with flag ids, the index MRI, the checks."""
    rows = collect_evidence(recommendation.flags)
    report = recommendation.index_report
    if report is not None and all(item.reference != report.reference for item, _ in rows):
        rows.insert(0, _index_report_row(report))
    return evidence_extension(rows, recommendation.checks)


def imaging_protocol_detail(advisories: Sequence[Advisory]) -> Document:
    """Per advisory: its summary in bold, what it says, its evidence and report quotes (no
    links inside `detail`: the catalogue is in the card's `links`)."""
    blocks: list[Block] = []
    for advisory in advisories:
        blocks.append(Paragraph(lead=clinical_words(advisory.summary)))
        detail = clinical_words(advisory.detail)
        if " ".join(detail.split()):
            blocks.append(Paragraph(detail))
        table = evidence_table([(item, ()) for item in advisory.evidence])
        if table:
            blocks.append(table)
        blocks.extend(report_quotes(advisory.evidence, None))
    return tuple(blocks)


_TRANSPORT: Final = (
    (re.compile(r"^FHIR server answered 40[13]\b.*"), "the EHR did not let the service read them"),
    (
        re.compile(r"^FHIR server answered \d{3}\b.*"),
        "the EHR's FHIR server answered with an error",
    ),
    (re.compile(r"^FHIR server timed out\b.*"), "the EHR's FHIR server did not answer in time"),
    (
        re.compile(r"^FHIR server could not be reached\b.*"),
        "the EHR's FHIR server could not be reached",
    ),
    (
        re.compile(r"^FHIR server sent invalid JSON\b.*"),
        "the EHR's FHIR server sent an unreadable answer",
    ),
)


def gap_words(reason: str) -> str:
    """Why data could not be obtained, in words for a clinician: raw transport reasons (HTTP
    status codes) stay in the service log (issue 10)."""
    for pattern, words in _TRANSPORT:
        if pattern.match(reason):
            return words
    return reason


_RESOURCE_WORDS: Final = {
    "Observation": "Lab result",
    "DiagnosticReport": "Imaging report",
    "DocumentReference": "Report document",
    "Binary": "Report text",
    "Condition": "Problem-list entry",
    "ServiceRequest": "Order",
    "Patient": "Patient details",
}


def _item_words(reference: str | None) -> str:
    """What kind of item a problem concerns, in words (its FHIR reference is in the extension)."""
    if not reference:
        return "Whole response"
    return _RESOURCE_WORDS.get(reference.split("/", 1)[0], "Item")


def data_quality_detail(
    problems: Sequence[MappingProblem],
    gaps: Sequence[DataGap],
    *,
    decided: bool = True,
) -> Document:
    """`decided`: a recommendation was made (from the data that could be read); False when the
    missing data kept the rules from deciding, so nothing was recommended (issue 2). No links
    inside `detail`: the catalogue is in the card's `links`."""
    opening = (
        "The recommendation was made with the data that could be read. "
        "Check these items in the chart:"
        if decided
        else "No recommendation was made: the data below are needed to decide, and nothing is "
        "built on missing data. Check them in the chart, or open the chart again once they "
        "can be fetched:"
    )
    blocks: list[Block] = [Paragraph(opening)]
    if gaps:
        blocks.append(
            Bullets(
                "Not obtained",
                tuple(Labelled(DOMAIN_WORDS[gap.domain], gap_words(gap.reason)) for gap in gaps),
            )
        )
    if problems:
        # the FHIR references are in the card's extension (integrators, audits)
        blocks.append(
            Bullets(
                "Could not be read as sent",
                tuple(
                    Labelled(_item_words(p.reference), clinical_words(p.message)) for p in problems
                ),
            )
        )
    return tuple(blocks)
