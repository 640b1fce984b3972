"""ConText-style reading of the Findings + Impression text of a marrow MRI report.

SPEC.md section 3. A focused rule engine (compiled regular expressions, no NLP model): the text is
cut into sentences and clauses; *targets* (heterogeneous marrow signal, focal lesions, diffuse
pattern, worrisome and benign features) are found, then *modifiers* decide, for each target,
whether it is negated, hedged or historical. The class (exactly one) follows from what is present.

This module is the public face: `extract`, `Extraction`, `chemical_shift_worrisome`,
`technique_facts`. The engine is split by concern, each module documenting its own decisions:

- `context_vocabulary`: the words and patterns (British and American spellings);
- `context_scope`: sentences, clauses, negation / hedge / history scope (ConText);
- `context_features`: targets and features of a sentence, and the context checks on them;
- `context_measurements`: lesion counts and sizes, levels and sites, field strength, chemical
  shift;
- `context_classify`: the class (FOCAL_MULTIPLE > DIFFUSE > FOCAL_EQUIVOCAL > NONSPECIFIC >
  NEGATIVE, with the team's conservative FOCAL_MULTIPLE reading) and the interval change.

`extract(text)` never raises: arbitrary text gives an Extraction (NEGATIVE when nothing is found).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fhir_mappers.context_anatomy import Anchor, anchor, vertebral_levels

# The engine, imported as explicit re-exports (`x as x`): tests/mappers/test_context.py and
# tests/corpus/medspacy_compare.py read these names from `fhir_mappers.context`.
from fhir_mappers.context_classify import _INTERVAL_PRIORITY as _INTERVAL_PRIORITY
from fhir_mappers.context_classify import _interval as _interval
from fhir_mappers.context_classify import classify as classify
from fhir_mappers.context_features import TARGET_KINDS as TARGET_KINDS
from fhir_mappers.context_features import _add_multilevel as _add_multilevel
from fhir_mappers.context_features import _analyse_sentence as _analyse_sentence
from fhir_mappers.context_features import _keep_target as _keep_target
from fhir_mappers.context_measurements import _chemical_shift_drops as _chemical_shift_drops
from fhir_mappers.context_measurements import _field_strength as _field_strength
from fhir_mappers.context_measurements import _lesion_mentions as _lesion_mentions
from fhir_mappers.context_measurements import _levels_in as _levels_in
from fhir_mappers.context_measurements import _order_levels as _order_levels
from fhir_mappers.context_measurements import _sites_in as _sites_in
from fhir_mappers.context_measurements import _summarise_lesions as _summarise_lesions
from fhir_mappers.context_normalise import Normalised, normalise
from fhir_mappers.context_scope import _clause_of as _clause_of
from fhir_mappers.context_scope import _dedupe as _dedupe
from fhir_mappers.context_scope import _Hit as _Hit
from fhir_mappers.context_scope import _sentences as _sentences
from fhir_mappers.context_scope import _terminators as _terminators
from fhir_mappers.context_vocabulary import _CHEMICAL_SHIFT as _CHEMICAL_SHIFT
from fhir_mappers.context_vocabulary import _FIELD as _FIELD
from fhir_mappers.context_vocabulary import _INTERVAL as _INTERVAL
from fhir_mappers.context_vocabulary import _KW_INTERVAL as _KW_INTERVAL
from fhir_mappers.context_vocabulary import _KW_MODIFIERS as _KW_MODIFIERS
from fhir_mappers.context_vocabulary import _KW_PSEUDO as _KW_PSEUDO
from fhir_mappers.context_vocabulary import _KW_TARGETS as _KW_TARGETS
from fhir_mappers.context_vocabulary import _MODIFIERS as _MODIFIERS
from fhir_mappers.context_vocabulary import _NORMAL_MARROW as _NORMAL_MARROW
from fhir_mappers.context_vocabulary import _PSEUDO as _PSEUDO
from fhir_mappers.context_vocabulary import _TARGETS as _TARGETS
from fhir_mappers.context_vocabulary import _Kind as _Kind
from fhir_mappers.limits import REPORT_READING_LIMIT_SENTENCES, Stop, WorkStopped, check, never
from logic.model import FeatureKind as FeatureKind
from logic.model import ImagingClass as ImagingClass
from logic.model import ImagingFeature as ImagingFeature
from logic.model import IntervalChange as IntervalChange
from logic.model import TextSpan as TextSpan

# Bounded work (issue 16): at most this many sentences of one report are read (limits.py).
MAX_SENTENCES = REPORT_READING_LIMIT_SENTENCES

_USE_PREFILTER = True  # tests switch it off to prove it changes nothing; read by `_extract`


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
DROP_THRESHOLD_PCT_15T = 20.0
DROP_THRESHOLD_PCT_3T = 25.0


def chemical_shift_worrisome(drop_pct: float, field_strength_t: float | None) -> bool:
    """SPEC.md section 3 (worrisome feature / benign modifier): chemical-shift signal drop.

    Below 20% at 1.5 T or below 25% at 3 T is worrisome; at or above is benign. Field strength
    unknown (or neither 1.5 T nor 3 T): decided conservatively with the higher 3 T threshold, so a
    drop is called benign only if it would be benign at either field strength.
    """
    if field_strength_t is not None and field_strength_t < 2.0:
        return drop_pct < DROP_THRESHOLD_PCT_15T
    return drop_pct < DROP_THRESHOLD_PCT_3T


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


def extract(text: str, *, field_strength_t: float | None = None, stop: Stop = never) -> Extraction:
    """Read Findings + Impression text like a radiologist (SPEC.md section 3). Never raises.

    `field_strength_t` is the scanner field strength when known from elsewhere (the Technique
    section); a value stated in the text itself wins. Every feature's span indexes into `text`.
    """
    try:
        return _extract(text if isinstance(text, str) else "", field_strength_t, stop)
    except WorkStopped:
        raise
    except Exception as exc:  # pragma: no cover - defensive: never raise out of the extractor
        return Extraction(
            image_class=ImagingClass.NEGATIVE,
            reasons=(f"text could not be analysed ({type(exc).__name__})",),
        )


def _extract(original: str, hint_field_t: float | None, stop: Stop = never) -> Extraction:
    prefilter = _USE_PREFILTER
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
    for n, sentence in enumerate(sentences):
        if n % 32 == 0:
            check(stop)
        s_hits, s_hedges = _analyse_sentence(text, sentence, prefilter=prefilter)
        hits.extend(s_hits)
        hedges.extend(h for h in s_hedges if h not in hedges)

    field_t = hint_field_t
    field_hit = _field_strength(text, sentences)
    if field_hit is not None:
        field_t = field_hit.value
        hits.append(field_hit)

    drops, chemical_shift_done = _chemical_shift_drops(text, sentences, prefilter=prefilter)
    hits.extend(drops)
    signal_drop = min((d.value for d in drops if d.value is not None), default=None)

    # several vertebral levels of abnormal marrow signal = diffuse (SPEC.md section 3)
    by_sentence: dict[tuple[int, int], list[_Hit]] = {}
    for hit in hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    for sentence, sentence_hits in by_sentence.items():
        hits.extend(_add_multilevel(text, sentence, sentence_hits, prefilter=prefilter))

    _withdraw_corrected(text, sentences, hits)
    hits = _benign_diagnosis(text, sentences, hits)
    hits = _anaphora_of_other_organs(text, sentences, hits)
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


# SPEC.md section 2: an addendum that explicitly corrects or withdraws a statement replaces it.
_CORRECTION = re.compile(
    r"\bon\s+review\b|\bshould\s+read\b|\bcorrected\s+to\b|\bdisregard\b|\bin\s+error\b|"
    r"\bretract\w*|\bwithdraw\w*|\bamended\s+to\b|\bis\s+(?:in\s+fact|actually)\b|"
    r"\bdictation\s+error\b",
    re.IGNORECASE,
)
_BENIGN_NOW = re.compile(
    r"\bh(?:a)?emangioma|\bbone\s+islands?|\benostos|\bschmorl|\bartefact|\bartifact|\bcysts?\b|"
    r"\bnormal\b|\bno\s+(?:focal\s+|marrow\s+)?lesion|\bphysiolog\w*|\bred\s+marrow|\bmotion\b",
    re.IGNORECASE,
)
# A correcting sentence that withdraws what it names ("please disregard the statement about marrow
# heterogeneity at L2", "the earlier description ... was made in error") withdraws its own targets.
_WITHDRAWS = re.compile(
    r"\bdisregard\b|\bin\s+error\b|\bwithdraw\w*|\bretract\w*|\berroneous\w*|"
    r"\bshould\s+not\s+have\b|\bnot\s+present\b",
    re.IGNORECASE,
)
_CORRECTABLE = frozenset(
    {
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.BENIGN_HEDGE,
        FeatureKind.INTERVAL_INCREASE,
    }
)
_MAX_CORRECTIONS = 8  # bounded work: corrections read per report


def _withdraw_corrected(text: str, sentences: list[tuple[int, int]], hits: list[_Hit]) -> None:
    """A correcting sentence ("on review, the L2 lesion is a typical haemangioma"; "should read")
    withdraws the other findings of the levels it names (all of them when it names none): the
    addendum is later in time wherever the report places it."""
    corrections = [
        s
        for s in sentences
        if _CORRECTION.search(text, s[0], s[1])
        and (_BENIGN_NOW.search(text, s[0], s[1]) or _WITHDRAWS.search(text, s[0], s[1]))
    ][:_MAX_CORRECTIONS]
    for c0, c1 in corrections:
        named = {lv for _, lvs in _levels_in(text, c0, c1) for lv in lvs}
        withdraws_own = _WITHDRAWS.search(text, c0, c1) is not None
        for hit in hits:
            if hit.kind not in _CORRECTABLE or hit.negated:
                continue
            if c0 <= hit.start < c1:
                if withdraws_own:
                    hit.historical = True
                continue
            levels = {lv for _, lvs in _levels_in(text, *hit.sentence) for lv in lvs}
            if not named or levels & named:
                hit.historical = True


_TYPICAL_HAEMANGIOMA = re.compile(
    r"(?<!a)typical\s+(?:vertebral\s+|body\s+|intraosseous\s+)?h(?:a)?emangiomas?\b", re.IGNORECASE
)
_DENIED_OR_HEDGED = re.compile(
    r"\b(?:no|not|without|likely|probabl[ey]|possibl[ey]|may|might|could|versus|vs|favou?r\w*|"
    r"suggest\w*|differential)\b|\?",
    re.IGNORECASE,
)


def _benign_diagnosis(text: str, sentences: list[tuple[int, int]], hits: list[_Hit]) -> list[_Hit]:
    """SPEC.md section 3 "Benign attribution" across sentences: a report that concludes, without a
    hedge, that a lesion is a typical haemangioma ("Diagnosis: typical vertebral haemangioma")
    says it of the lesion it described elsewhere -- of the lesions at the levels it names, or,
    naming none, of the report's only lesion."""
    lesions = [
        h for h in hits if h.kind is FeatureKind.FOCAL_LESION and not (h.negated or h.historical)
    ]
    if not lesions:
        return hits
    diagnoses = [
        (s0, s1)
        for s0, s1 in sentences
        if _TYPICAL_HAEMANGIOMA.search(text, s0, s1) is not None
        and not _DENIED_OR_HEDGED.search(text, s0, s1)
    ][:_MAX_CORRECTIONS]
    if not diagnoses:
        return hits
    levels_of = {h.sentence: vertebral_levels(text, *h.sentence) for h in lesions}
    all_levels = set().union(*levels_of.values())
    dropped: set[int] = set()
    for d0, d1 in diagnoses:
        named = vertebral_levels(text, d0, d1)
        for h in lesions:
            if h.sentence == (d0, d1):
                continue  # said in the lesion's own sentence: `context_features` decides
            if (named and levels_of[h.sentence] & named) or (not named and len(all_levels) <= 1):
                dropped.add(id(h))
    return [h for h in hits if id(h) not in dropped]


_DEFINITE = re.compile(r"\b(?:the|this|that|these|those)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def _anaphora_of_other_organs(
    text: str, sentences: list[tuple[int, int]], hits: list[_Hit]
) -> list[_Hit]:
    """ "The mass enhances homogeneously": a definite lesion noun with no anatomy of its own is the
    one the report named just before; when that one belonged to another organ ("a large
    retroperitoneal nodal mass"), so does this one (SPEC.md section 3 Anatomy)."""
    out: list[_Hit] = []
    index = {s: i for i, s in enumerate(sentences)}
    for h in hits:
        if (
            h.kind is FeatureKind.FOCAL_LESION
            and _DEFINITE.search(text, max(h.sentence[0], h.start - 30), h.start)
            and anchor(text, h.start, h.end, h.sentence) is Anchor.NONE
            and _previous_mention_is_organ(text, sentences, index.get(h.sentence), h)
        ):
            continue
        out.append(h)
    return out


def _previous_mention_is_organ(
    text: str, sentences: list[tuple[int, int]], i: int | None, hit: _Hit
) -> bool:
    if i is None:
        return False
    noun = re.escape(text[hit.start : hit.end].split()[-1].lower().rstrip("es").rstrip("s"))
    pattern = re.compile(rf"\b{noun}\w*", re.IGNORECASE)
    for s0, s1 in reversed(sentences[max(0, i - 2) : i]):
        found = list(pattern.finditer(text, s0, s1))
        if found:
            m = found[-1]
            return anchor(text, m.start(), m.end(), (s0, s1)) is Anchor.ORGAN
    return False


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
