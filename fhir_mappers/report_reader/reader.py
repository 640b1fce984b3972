"""The reader: one report's Findings + Impression text -> an `Extraction` (SPEC.md section 3).

`extract(text)` runs the pipeline of this package (its `__init__` lists the steps) over the text
`fhir_mappers.report_reader.sections` assembled, and never raises: arbitrary text gives an
Extraction (NEGATIVE when nothing is found). Every feature's span is mapped back to the text as
sent, so a card quotes the report's own words.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from fhir_mappers.limits import REPORT_READING_LIMIT_SENTENCES, Stop, WorkStopped, check, never
from fhir_mappers.report_reader.anatomy import mentions_bone
from fhir_mappers.report_reader.classify import _interval, classify
from fhir_mappers.report_reader.corrections import (
    anaphora_of_other_organs,
    benign_diagnosis,
    red_marrow_called_normal,
    withdraw_corrected,
    young_red_marrow,
)
from fhir_mappers.report_reader.measurements import (
    _chemical_shift_drops,
    _field_strength,
    _lesion_mentions,
    _levels_in,
    _order_levels,
    _sites_in,
    _summarise_lesions,
)
from fhir_mappers.report_reader.normalise import Normalised, normalise
from fhir_mappers.report_reader.scope import _clause_of, _Hit, _sentences, _terminators
from fhir_mappers.report_reader.sections import (
    general_parts,
    index_fields,
    option_blocks,
    organ_parts,
)
from fhir_mappers.report_reader.sentence import _analyse_sentence
from fhir_mappers.report_reader.statements import _add_multilevel, about_this_patient
from fhir_mappers.report_reader.teaching import (
    earlier_study_parts,
    general_paragraphs,
    narrated_earlier_studies,
)
from fhir_mappers.report_reader.vocabulary import (
    _CHEMICAL_SHIFT,
    _FIELD,
    REPORT_KEYWORDS,
    keywords_of_report,
)
from logic.imaging import chemical_shift_threshold_at
from logic.model import FeatureKind, ImagingClass, ImagingFeature, IntervalChange, TextSpan

# Bounded work (issue 16): at most this many sentences of one report are read (limits.py).
MAX_SENTENCES = REPORT_READING_LIMIT_SENTENCES

_USE_PREFILTER = True  # tests switch it off to prove it changes nothing; read by `_extract`

# The readings of the last texts read, reused when the same text is read again: a chart is opened
# many times a day (patient-view on every opening, order-select on every order picked) and its MRI
# report does not change between openings. Bounded: this many readings of texts up to this many
# characters (longer texts are read each time); a reading that failed or was stopped is not kept.
READING_MEMO_SIZE = 256
READING_MEMO_MAX_CHARS = 20_000
_STOP: ContextVar[Stop] = ContextVar("report_reader_stop", default=never)


# --------------------------------------------------------------------------- result


# Worrisome and benign kinds (SPEC.md section 3). Chemical shift is either, by field strength.
WORRISOME_KINDS = frozenset(
    {
        FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC,
        FeatureKind.DIFFUSE_HOMOGENEOUS,
        FeatureKind.SHARP_MARGIN,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.INTERVAL_INCREASE,
        FeatureKind.NEW_LESION,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
BENIGN_KINDS = frozenset(
    {
        FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE,
        FeatureKind.COMPLETE_FAT_SUPPRESSION,
        FeatureKind.BENIGN_HEDGE,
    }
)


# SPEC.md section 3: chemical-shift drop below 20% at 1.5 T / below 25% at 3 T is worrisome.
def chemical_shift_worrisome(drop_pct: float, field_strength_t: float | None) -> bool:
    """SPEC.md section 3 (worrisome feature / benign modifier): chemical-shift signal drop.

    Below 20% at 1.5 T or below 25% at 3 T is worrisome; at or above is benign. The thresholds and
    the field strength from which the 3 T one applies live in `logic.thresholds` (one home), as
    `logic.imaging.chemical_shift_threshold` reads them: field strength unknown is decided with
    the 3 T threshold, so a drop is called benign only if it would be benign at either field.
    """
    return drop_pct < chemical_shift_threshold_at(field_strength_t)


_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extraction:
    """What one report text says, ConText-style (SPEC.md section 3)."""

    image_class: ImagingClass
    features: tuple[ImagingFeature, ...] = ()
    lesion_count: int | None = None  # lower bound when stated as "multiple"/"several"
    lesion_sizes_mm: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()
    field_strength_t: float | None = None
    signal_drop_pct: float | None = None
    interval_change: IntervalChange | None = None
    chemical_shift_done: bool = False
    hedges: tuple[str, ...] = ()  # canonical hedge words applying to a finding ("mild", ...)
    reasons: tuple[str, ...] = field(default=())  # why this class, in words
    unread_chars: int = 0  # characters past the sentence limit, not read (MAX_SENTENCES)
    # the reader failed on this text (a bug): its class is not known, and the mapper says so
    not_analysed: bool = False

    def _present(self) -> Iterable[ImagingFeature]:
        return (f for f in self.features if not f.negated and not f.historical)

    @property
    def worrisome(self) -> tuple[FeatureKind, ...]:
        """Worrisome kinds present (SPEC.md section 3; flag H-IMAGING), sorted, each once."""
        kinds = {f.kind for f in self._present() if f.kind in WORRISOME_KINDS}
        if self.signal_drop_pct is not None and chemical_shift_worrisome(
            self.signal_drop_pct, self.field_strength_t
        ):
            kinds.add(FeatureKind.CHEMICAL_SHIFT_DROP)
        return tuple(sorted(kinds))

    @property
    def benign(self) -> tuple[FeatureKind, ...]:
        """Benign modifiers present (SPEC.md section 3), sorted, each once."""
        kinds = {f.kind for f in self._present() if f.kind in BENIGN_KINDS}
        if self.signal_drop_pct is not None and not chemical_shift_worrisome(
            self.signal_drop_pct, self.field_strength_t
        ):
            kinds.add(FeatureKind.CHEMICAL_SHIFT_DROP)
        return tuple(sorted(kinds))

    @property
    def negated(self) -> tuple[FeatureKind, ...]:
        """Kinds that were mentioned only as negated, sorted, each once."""
        present = {f.kind for f in self._present()}
        return tuple(sorted({f.kind for f in self.features if f.negated} - present))

    @property
    def lytic(self) -> bool:
        """A non-negated, current lytic lesion (flag U-B on CT / radiograph / PET)."""
        return any(f.kind is FeatureKind.LYTIC_LESION for f in self._present())


# --------------------------------------------------------------------------- public


def extract(
    text: str,
    *,
    field_strength_t: float | None = None,
    history: str = "",
    stop: Stop = never,
) -> Extraction:
    """Read Findings + Impression text like a radiologist (SPEC.md section 3). Never raises.

    `field_strength_t` is the scanner field strength when known from elsewhere (the Technique
    section); a value stated in the text itself wins. `history` is the report's indication /
    history text: never read for findings, only for the patient's stated age (red marrow in the
    young). Every feature's span indexes into `text`.
    """
    text = text if isinstance(text, str) else ""
    history = history if isinstance(history, str) else ""
    try:
        if len(text) + len(history) > READING_MEMO_MAX_CHARS:
            return _extract(text, field_strength_t, stop, history=history)
        token = _STOP.set(stop)
        try:
            return _remembered_reading(text, field_strength_t, history, _USE_PREFILTER)
        finally:
            _STOP.reset(token)
    except WorkStopped:
        raise
    # the reader boundary: a bug in one report's reading must not fail the whole request
    except Exception as exc:  # noqa: BLE001  # never raise out of the reader
        # where it failed, never the text (patient data) nor the exception's message
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        _LOG.error(
            "report reader failed: %s at %s:%s", type(exc).__name__, frame.filename, frame.lineno
        )
        return Extraction(
            image_class=ImagingClass.NEGATIVE,
            reasons=(f"text could not be analysed ({type(exc).__name__})",),
            not_analysed=True,
        )


@lru_cache(maxsize=READING_MEMO_SIZE)
def _remembered_reading(
    text: str, field_strength_t: float | None, history: str, prefilter: bool
) -> Extraction:
    """`_extract`, remembered (READING_MEMO_SIZE): the result is immutable and depends on these
    arguments alone (`prefilter` is in the key so that the tests' switch reads again); the
    call's `stop` comes through `_STOP`. Exceptions (a stopped or failed reading) are not
    remembered."""
    return _extract(text, field_strength_t, _STOP.get(), history=history, prefilter=prefilter)


def forget_readings() -> None:
    """Forget the remembered whole-text readings (`_remembered_reading`)."""
    _remembered_reading.cache_clear()


def _extract(
    original: str,
    hint_field_t: float | None,
    stop: Stop = never,
    *,
    history: str = "",
    prefilter: bool | None = None,
) -> Extraction:
    prefilter = _USE_PREFILTER if prefilter is None else prefilter
    norm = normalise(original)
    text = norm.text
    hits: list[_Hit] = []
    hedges: list[str] = []
    sentences = _sentences(text)
    unread = 0
    if len(sentences) > MAX_SENTENCES:
        # bounded work (issue 16): past the sentence limit the text is not read, and says so
        cut = sentences[MAX_SENTENCES - 1][1]
        unread = len(original) - norm.original_span(cut, cut)[0]
        sentences = sentences[:MAX_SENTENCES]
    token = REPORT_KEYWORDS.set(keywords_of_report(text.lower()))
    try:
        for n, sentence in enumerate(sentences):
            if n % 32 == 0:
                check(stop)
            s_hits, s_hedges = _analyse_sentence(text, sentence, prefilter=prefilter)
            hits.extend(s_hits)
            hedges.extend(h for h in s_hedges if h not in hedges)
    finally:
        REPORT_KEYWORDS.reset(token)

    field_t = hint_field_t
    field_hit = _field_strength(text, sentences)
    if field_hit is not None:
        field_t = field_hit.value
        hits.append(field_hit)

    drops, chemical_shift_done = _chemical_shift_drops(text, sentences, prefilter=prefilter)
    hits.extend(drops)
    signal_drop = min((d.value for d in drops if d.value is not None), default=None)

    general = _general_spans(text)
    hits = _not_in_answer_options(text, hits)
    hits = _not_in_general_discussion(text, hits, general, prefilter=prefilter)
    _earlier_studies_are_history(text, hits, sentences)
    hits = _not_under_organ_headings(text, hits)

    # several vertebral levels of abnormal marrow signal = diffuse (SPEC.md section 3)
    by_sentence: dict[tuple[int, int], list[_Hit]] = {}
    for hit in hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    for sentence, sentence_hits in by_sentence.items():
        hits.extend(_add_multilevel(text, sentence, sentence_hits, prefilter=prefilter))

    withdraw_corrected(text, sentences, hits, general)
    hits = benign_diagnosis(text, sentences, hits, general)
    hits = anaphora_of_other_organs(text, sentences, hits)
    hits = young_red_marrow(text, hits, history=history[:2000], general=general)
    hits = red_marrow_called_normal(text, hits, general)
    hits.extend(_lesions_named_in_a_concern(text, hits))
    mentions = _lesion_mentions(text, hits)
    lesions = _summarise_lesions(mentions)

    image_class, reasons = classify(hits, lesions)

    levels: set[str] = set(lesions.levels)
    clauses_seen: set[tuple[int, int]] = set()
    for h in hits:
        if (
            h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN}
            and not (h.negated or h.historical)
            and h.subtype != "normal"
        ):
            clause_stops = _terminators(
                text[h.sentence[0] : h.sentence[1]], h.sentence[0], prefilter=prefilter
            )
            clause = _clause_of(h.start, h.sentence, clause_stops)
            if clause in clauses_seen:
                continue  # several findings of one clause: its levels are read once
            clauses_seen.add(clause)
            for _, lv in _levels_in(text, *clause):
                levels.update(lv)
            for _, site in _sites_in(text, *clause):
                levels.add(site)

    interval = _interval(hits)
    features = tuple(
        _feature(original, norm, h)
        for h in sorted(hits, key=lambda h: h.start)
        if isinstance(h.kind, FeatureKind)
    )
    return Extraction(
        image_class=image_class,
        features=features,
        lesion_count=lesions.count if mentions else None,
        lesion_sizes_mm=lesions.sizes_mm,
        levels=_order_levels(levels),
        field_strength_t=field_t,
        signal_drop_pct=signal_drop,
        interval_change=interval,
        chemical_shift_done=chemical_shift_done,
        hedges=tuple(hedges),
        reasons=tuple(reasons),
        unread_chars=unread,
    )


_CONCERNED_LESIONS = re.compile(
    r"\b(?:metastases|metastatic\s+(?:deposits|lesions|foci)|deposits|lesions|foci)\b",
    re.IGNORECASE,
)


def _lesions_named_in_a_concern(text: str, hits: list[_Hit]) -> list[_Hit]:
    """ "Findings concerning for metastases at L2 and L4, 8 and 9 mm": the worrisome wording
    ("concerning for") takes the lesion noun into its own span, yet the sentence locates and
    measures lesions at vertebral levels; the noun is a (hedged) lesion mention as well."""
    found: list[_Hit] = []
    for h in hits:
        if (
            h.kind is not FeatureKind.CANNOT_EXCLUDE_INFILTRATION
            or h.subtype != "soft"
            or h.negated
            or h.historical
        ):
            continue
        noun = _CONCERNED_LESIONS.search(text, h.start, h.end)
        if noun is None or not _levels_in(text, h.end, h.sentence[1]):
            continue
        found.append(
            _Hit(FeatureKind.FOCAL_LESION, noun.start(), noun.end(), h.sentence, hedged=True)
        )
    return found


def _earlier_studies_are_history(
    text: str, hits: list[_Hit], sentences: list[tuple[int, int]]
) -> None:
    """A finding under an earlier study's heading, a later study reported below, is history; so
    is one a case report narrates of an earlier study before it narrates a later one."""
    for a, b in earlier_study_parts(text) + narrated_earlier_studies(text, sentences):
        for h in hits:
            if a <= h.start < b:
                h.historical = True


def _general_spans(text: str) -> list[tuple[int, int]]:
    """The parts of the text that speak of diseases in general: under a general-discussion
    heading, answer options, a teaching case's tail (`sections`), and the general paragraphs of a
    teaching document (`teaching`)."""
    return sorted(general_parts(text) + general_paragraphs(text))


def _not_in_answer_options(text: str, hits: list[_Hit]) -> list[_Hit]:
    """A quiz's answer options are choices offered, not findings: "(c) There are multiple focal
    marrow lesions" under "Which statement is true?" (the answer restates the right one). Nor
    are a page's index terms ("Keywords: ..., pathologic fracture, l1, ...")."""
    options = option_blocks(text) + index_fields(text)
    if not options:
        return hits
    return [
        h
        for h in hits
        if h.kind is FeatureKind.FIELD_STRENGTH or not any(a <= h.start < b for a, b in options)
    ]


def _not_in_general_discussion(
    text: str, hits: list[_Hit], spans: list[tuple[int, int]], *, prefilter: bool
) -> list[_Hit]:
    """Under a "Discussion" / "Teaching points" heading, a clause that does not speak of this
    patient speaks of a disease in general: it is no finding ("Malignant fractures tend to show
    complete replacement of the normal marrow")."""
    if not spans:
        return hits
    kept: list[_Hit] = []
    for h in hits:
        if h.kind is FeatureKind.FIELD_STRENGTH or not any(a <= h.start < b for a, b in spans):
            kept.append(h)
            continue
        s0, s1 = h.sentence
        stops = (*_terminators(text[s0:s1], s0, prefilter=prefilter),)
        c0, c1 = _clause_of(h.start, h.sentence, stops)
        if about_this_patient(text[c0:c1]):
            kept.append(h)
    return kept


def _not_under_organ_headings(text: str, hits: list[_Hit]) -> list[_Hit]:
    """A finding under a heading that names another organ ("Liver: a 9 mm hypodense lesion")
    is that organ's unless its own sentence names a bone (SPEC.md section 3 Anatomy)."""
    spans = organ_parts(text)
    if not spans:
        return hits
    return [
        h
        for h in hits
        if h.kind is FeatureKind.FIELD_STRENGTH
        or h.subtype == "normal"
        or not any(a <= h.start < b for a, b in spans)
        or mentions_bone(text, *h.sentence)
    ]


def _feature(text: str, norm: Normalised, hit: _Hit) -> ImagingFeature:
    """The feature, its spans mapped back to the text as sent (`text`)."""
    assert isinstance(hit.kind, FeatureKind)
    h0, h1 = norm.original_span(hit.start, hit.end)
    s0, s1 = norm.original_span(*hit.sentence)
    return ImagingFeature(
        kind=hit.kind,
        span=TextSpan(h0, h1, text[h0:h1]),
        sentence=TextSpan(s0, s1, text[s0:s1]) if s1 > s0 else None,
        negated=hit.negated,
        hedged=hit.hedged,
        historical=hit.historical or hit.kind is FeatureKind.RESOLVED,
        value=hit.value,
        uncertain=hit.uncertain,
    )


def technique_facts(technique: str) -> tuple[float | None, bool]:
    """(field strength in tesla, chemical-shift sequences done) from a Technique section.

    The Technique section is not read for findings (SPEC.md section 3), but it is where the
    scanner field strength and in/opposed-phase (Dixon) sequences are usually stated.
    """
    if not isinstance(technique, str) or not technique:
        return None, False
    field_t: float | None = None
    for m in _FIELD.finditer(technique):
        value = float(m.group("v"))
        if 0.2 <= value <= 7.0:
            field_t = value
            break
    return field_t, bool(_CHEMICAL_SHIFT.search(technique))
