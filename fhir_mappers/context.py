"""ConText-style reading of the Findings + Impression text of a marrow MRI report.

SPEC.md section 3. A focused rule engine (compiled regular expressions, no NLP model): the text is
cut into sentences and clauses; *targets* (heterogeneous marrow signal, focal lesions, diffuse
pattern, worrisome and benign features) are found, then *modifiers* decide, for each target,
whether it is negated, hedged or historical:

- negation triggers (no, without, negative for, free of, not seen, ...) have a scope that runs
  forward (or, for "not seen"/"is absent", backward) to the end of the clause: the sentence end or
  but / however / although / except / ";". So "diffuse heterogeneity without a discrete focal
  lesion" negates only the lesion.
- pseudo-negations ("no change in", "not significantly changed", "no new", "no interval
  increase") are matched first and swallow their "no": the finding stays present; "no new" negates
  only newness; "no longer" / "resolved" make a finding historical.
- hedges: severity (slight, mild, subtle, minimal) and uncertainty (nonspecific, may represent,
  likely, favoured/favored, probably, could reflect, possible, cannot exclude ...). British and
  American spellings throughout (haemangioma/hemangioma, haematopoietic/hematopoietic,
  favoured/favored, localised/localized).

The class (exactly one, SPEC.md section 3) is decided from what is present (not negated, not
historical), in this order -- the choices the SPEC leaves open are documented on `classify`:
FOCAL_MULTIPLE > DIFFUSE > FOCAL_EQUIVOCAL > NONSPECIFIC > NEGATIVE.

Several focal lesions whose sizes are given only as the largest ("numerous lesions measuring up to
9 mm", "multiple lesions, largest 12 mm") are FOCAL_MULTIPLE when no stated size is below 5 mm:
a conservative (safety-first) reading of SPEC.md's "two or more focal lesions each >= 5 mm",
decided by the team pending clinical sign-off (see `classify`). Lesions spread "throughout" the
spine in innumerable / numerous / diffuse numbers are a DIFFUSE pattern, not FOCAL_EQUIVOCAL.

The words and patterns live in `context_vocabulary`; this module decides what they mean.
`extract(text)` never raises: arbitrary text gives an Extraction (NEGATIVE when nothing is found).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from fhir_mappers.context_vocabulary import (
    _ABBREVIATIONS,
    _AND_CUT,
    _BACKWARD_WINDOW,
    _BOUNDARY,
    _CHANGE_WORD,
    _CHEMICAL_SHIFT,
    _CMP_BEFORE,
    _COUNT,
    _COUNT_WORDS,
    _DISC_AFTER,
    _DISC_BEFORE,
    _DROP,
    _EACH_BEFORE,
    _F,
    _FIELD,
    _INTERVAL,
    _KW_CHEMICAL_SHIFT,
    _KW_FINDING,
    _KW_INTERVAL,
    _KW_MODIFIERS,
    _KW_NORMAL,
    _KW_PSEUDO,
    _KW_SHIFT,
    _KW_TARGETS,
    _KW_TERMINATOR,
    _LESION_ADJ_BEFORE,
    _LESION_NOUN,
    _LESION_SPREAD,
    _LEVEL,
    _LEVEL_CONTEXT_BEFORE,
    _LEVEL_WORDS,
    _LOSS_OF,
    _MALIGNANCY,
    _MARROW_ADJ,
    _MARROW_NOUN,
    _MODIFIERS,
    _NO_DROP,
    _NORMAL_MARROW,
    _NOT_MARROW_CONTEXT,
    _NOT_MARROW_LESION,
    _NOW_BEFORE,
    _ONE_BEFORE,
    _OTHER_SEQUENCE,
    _PRIOR_BEFORE,
    _PSEUDO,
    _SEQUENCE_AFTER,
    _SITES,
    _SITES_ORDER,
    _SIZE,
    _SIZE_PIECE_CUT,
    _SPINE_INDEX,
    _SPINE_ORDER,
    _T1,
    _TARGETS,
    _TERMINATOR,
    _UP_BEFORE,
    _keywords_in,
    _Kind,
    _Mod,
)
from logic.model import FeatureKind, ImagingClass, ImagingFeature, IntervalChange, TextSpan

_USE_PREFILTER = True  # tests switch it off to prove it changes nothing


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
TARGET_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
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


# --------------------------------------------------------------------------- engine


@dataclass
class _Hit:
    kind: FeatureKind | _Kind
    start: int
    end: int
    sentence: tuple[int, int]
    subtype: str = ""
    negated: bool = False
    hedged: bool = False
    possible: bool = False  # hedged as a possibility ("possible", "cannot exclude")
    historical: bool = False
    value: float | None = None
    interval: IntervalChange | None = None


@dataclass
class _ModHit:
    mod: _Mod
    start: int
    end: int
    label: str


def _sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(0).startswith("."):
            words = text[max(start, match.start() - 12) : match.start()].split()
            if words and words[-1].lower().rstrip(".") in _ABBREVIATIONS:
                continue
        end = match.end() if match.group(0)[0] in ".!?" else match.start()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@lru_cache(maxsize=512)
def _terminators(sentence: str, offset: int) -> tuple[int, ...]:
    lowered = sentence.lower()
    if _USE_PREFILTER and not any(k in lowered for k in _KW_TERMINATOR):
        return ()
    return tuple(offset + m.start() for m in _TERMINATOR.finditer(sentence))


def _in_forward_scope(mod: _ModHit, hit: _Hit, stops: Sequence[int]) -> bool:
    if hit.start < mod.end:
        return False
    return not any(mod.end <= stop < hit.start for stop in stops)


def _in_backward_scope(mod: _ModHit, hit: _Hit, stops: Sequence[int], text: str) -> bool:
    if hit.end > mod.start:
        return False
    if any(hit.end <= stop < mod.start for stop in stops):
        return False
    return len(text[hit.end : mod.start].split()) <= _BACKWARD_WINDOW


def _clause_of(pos: int, sentence: tuple[int, int], stops: Sequence[int]) -> tuple[int, int]:
    start, end = sentence
    for stop in stops:
        if stop <= pos:
            start = max(start, stop)
        elif stop < end:
            end = stop
            break
    return start, end


def _analyse_sentence(text: str, sentence: tuple[int, int]) -> tuple[list[_Hit], list[str]]:
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    present = _keywords_in(s_text.lower()) if _USE_PREFILTER else None
    if present is not None and present.isdisjoint(_KW_FINDING):
        return [], []  # "L1-L2: No disc herniation.": nothing this reader looks for
    stops = _terminators(s_text, s_start)

    # 1. pseudo-negations (they own their "no")
    pseudo: list[tuple[str, int, int]] = []
    for (meaning, pattern), kw in zip(_PSEUDO, _KW_PSEUDO, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            pseudo.append((meaning, s_start + m.start(), s_start + m.end()))

    # 2. modifiers, except inside pseudo-negations (a "no longer" is a modifier of its own)
    mods: list[_ModHit] = []
    for (mod, pattern, label), kw in zip(_MODIFIERS, _KW_MODIFIERS, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            span = (s_start + m.start(), s_start + m.end())
            if mod in {_Mod.NEG_FWD, _Mod.NEG_BACK} and any(
                _overlaps(span, (p0, p1)) for _, p0, p1 in pseudo
            ):
                continue
            mods.append(_ModHit(mod, span[0], span[1], label))
    # a negation word inside a longer negation phrase ("no evidence of") counts once
    mods = [
        m
        for m in mods
        if not any(
            o is not m
            and o.mod is m.mod
            and o.start <= m.start
            and m.end <= o.end
            and (o.end - o.start) > (m.end - m.start)
            for o in mods
        )
    ]

    # 3. targets and features
    hits: list[_Hit] = []
    for (kind, pattern, subtype), kw in zip(_TARGETS, _KW_TARGETS, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            hit = _Hit(kind, s_start + m.start(), s_start + m.end(), sentence, subtype)
            if subtype == "lesion-noun":
                # extend a lesion noun back over its adjectives: "7 mm T1-hypointense lesion"
                head = s_text[max(0, m.start() - 80) : m.start()]
                adj = _LESION_ADJ_BEFORE.search(head)
                if adj and adj.group(0):
                    hit.start -= len(head) - adj.start()
                hit.subtype = ""
            if _keep_target(hit, text, sentence, stops):
                hits.append(hit)
    for m in (
        _NORMAL_MARROW.finditer(s_text)
        if present is None or not present.isdisjoint(_KW_NORMAL)
        else ()
    ):
        if _LOSS_OF.search(s_text[: m.start()]):
            continue  # "loss of normal fatty marrow signal" is abnormal
        hits.append(
            _Hit(
                FeatureKind.MARROW_SIGNAL,
                s_start + m.start(),
                s_start + m.end(),
                sentence,
                "normal",
                negated=True,
            )
        )
    has_target = any(h.kind in TARGET_KINDS and h.subtype != "normal" for h in hits)
    for (ikind, interval, pattern), kw in zip(_INTERVAL, _KW_INTERVAL, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            span = (s_start + m.start(), s_start + m.end())
            if any(
                _overlaps(span, (p0, p1)) for meaning, p0, p1 in pseudo if meaning != "no-longer"
            ):
                continue
            clause = _clause_of(span[0], sentence, stops)
            if not has_target and _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]]):
                continue
            if has_target and _NOT_MARROW_CONTEXT.search(text[span[0] : clause[1]][:40]):
                # "larger disc protrusion": the change is about something else
                continue
            hits.append(_Hit(ikind, span[0], span[1], sentence, interval=interval))
    for meaning, p0, p1 in pseudo:
        clause = _clause_of(p0, sentence, stops)
        if not has_target and _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]]):
            continue
        if meaning == "stable":
            hits.append(_Hit(FeatureKind.STABLE, p0, p1, sentence, interval=IntervalChange.STABLE))
        elif meaning == "no-new":
            hits.append(
                _Hit(
                    FeatureKind.NEW_LESION,
                    p0,
                    p1,
                    sentence,
                    "pseudo",
                    negated=True,
                    interval=IntervalChange.NEW_LESION,
                )
            )
        elif meaning == "no-increase":
            hits.append(
                _Hit(
                    FeatureKind.INTERVAL_INCREASE,
                    p0,
                    p1,
                    sentence,
                    "pseudo",
                    negated=True,
                    interval=IntervalChange.INCREASED,
                )
            )
    hits = _dedupe(hits)
    # "no new focal lesion": only newness is negated; the lesion is neither asserted nor denied,
    # so the target inside the scope of "no new" is not kept (the negated NEW_LESION is).
    for meaning, p0, p1 in pseudo:
        if meaning == "no-new":
            scope = _ModHit(_Mod.NEG_FWD, p0, p1, "")
            hits = [
                h
                for h in hits
                if not (
                    h.kind in TARGET_KINDS
                    and (
                        _in_forward_scope(scope, h, stops) or _overlaps((p0, p1), (h.start, h.end))
                    )
                    and h.subtype != "normal"
                )
            ]

    # 4. apply modifiers
    for hit in hits:
        if hit.subtype not in {"normal", "pseudo"}:
            for mh in mods:
                _apply(mh, hit, stops, text)
        if hit.kind is FeatureKind.CHEMICAL_SHIFT_DROP:
            hit.negated = False  # "no signal loss" is a value (0%), not a negation
    # A hedge word counts for the report when its sentence states a present finding: hedges
    # qualify the interpretation ("..., likely reconversion"), before or after the finding.
    hedges: list[str] = []
    if any(
        (h.kind in TARGET_KINDS or h.kind is FeatureKind.BENIGN_HEDGE)
        and not h.negated
        and not h.historical
        and h.subtype != "normal"
        for h in hits
    ):
        hedges = list(dict.fromkeys(mh.label for mh in mods if mh.label))
    return hits, hedges


_HEDGE_MODS = frozenset({_Mod.SEVERITY, _Mod.UNCERTAIN, _Mod.POSSIBLE})


def _apply(mh: _ModHit, hit: _Hit, stops: Sequence[int], text: str) -> None:
    """Apply one modifier to one target if the target lies in its scope (ConText)."""
    inside = mh.start >= hit.start and mh.end <= hit.end
    if _overlaps((mh.start, mh.end), (hit.start, hit.end)):
        if not inside:
            return
        # a modifier inside the target phrase: "mildly heterogeneous", "non-enhancing"
        if mh.mod is _Mod.NEG_FWD and hit.kind is FeatureKind.ENHANCEMENT:
            hit.negated = True
        elif mh.mod in _HEDGE_MODS:
            hit.hedged = True
            hit.possible = hit.possible or mh.mod is _Mod.POSSIBLE
        return
    fwd = _in_forward_scope(mh, hit, stops)
    back = _in_backward_scope(mh, hit, stops, text)
    if (mh.mod is _Mod.NEG_FWD and fwd) or (mh.mod is _Mod.NEG_BACK and back):
        hit.negated = True
    elif mh.mod in {_Mod.SEVERITY, _Mod.UNCERTAIN} and fwd:
        hit.hedged = True
    elif (mh.mod is _Mod.POSSIBLE and fwd) or (mh.mod is _Mod.POSSIBLE_BACK and back):
        hit.hedged = hit.possible = True
    elif (
        (mh.mod is _Mod.HIST_FWD and fwd)
        or (mh.mod is _Mod.HIST_BACK and back)
        or (mh.mod is _Mod.HIST_BOTH and (fwd or back))
    ):
        hit.historical = True


def _segment(text: str, sentence: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """The stretch of a sentence around [start, end) between "and" / ";" cuts."""
    cuts = [m.start() for m in _AND_CUT.finditer(text, sentence[0], sentence[1])]
    seg_start = max((c for c in cuts if c <= start), default=sentence[0])
    seg_end = min((c for c in cuts if c >= end), default=sentence[1])
    return seg_start, seg_end


def _keep_target(hit: _Hit, text: str, sentence: tuple[int, int], stops: Sequence[int]) -> bool:
    """Context checks that a regex alone cannot express."""
    s_text = text[sentence[0] : sentence[1]]
    clause = _clause_of(hit.start, sentence, stops)
    clause_text = text[clause[0] : clause[1]]
    kind = hit.kind
    if kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN} and re.search(
        r"\b(?:end-?plates?|modic|schmorl\w*)\b", clause_text, _F
    ):
        return False
    if (
        kind is FeatureKind.DIFFUSE_PATTERN
        and not re.search(_MARROW_NOUN, text[hit.start : hit.end], _F)
        and re.match(r"diffuse", text[hit.start : hit.end], _F)
        and _NOT_MARROW_CONTEXT.search(clause_text)
    ):
        return False  # "diffusely heterogeneous uterus", "diffuse heterogeneous disc"
    if kind is FeatureKind.FOCAL_LESION:
        phrase = text[hit.start : hit.end].lower()
        # what the lesion is said to be: its stretch of the sentence between "and" / ";"
        seg_start, seg_end = _segment(text, sentence, hit.start, hit.end)
        said = text[seg_start:seg_end]
        if re.search(r"\bh(?:a)?emangioma", said, _F) and "atypical" not in said.lower():
            return False  # a typical haemangioma is not a focal marrow lesion
        if re.search(r"\bbone\s+islands?\b|\benostos[ie]s\b", said, _F):
            return False  # a bone island is not a focal marrow lesion
        near = text[max(clause[0], hit.start - 25) : min(clause[1], hit.end + 15)]
        if re.search(r"\b(?:schmorl\w*|cysts?|tarlov|synovial|perineural|dis[ck])\b", near, _F):
            return False  # "Schmorl node", "disc lesion", "Tarlov cyst": not marrow lesions
        if re.search(r"\bfoc(?:us|i)\b", phrase) and re.search(
            r"\bfoc(?:us|i)\s+of\s+(?:fat|fatty|normal|red)", text[hit.start : hit.end + 20], _F
        ):
            return False
        if re.search(r"\bfat(?:ty)?(?:[\s-]+containing)?\s*$", text[clause[0] : hit.start], _F):
            return False
    if kind is FeatureKind.LYTIC_LESION and re.search(
        r"peri-?prosthetic|prosthe|hardware|screws?|implant|arthroplasty", clause_text, _F
    ):
        return False
    if kind in {FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC, FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE}:
        if not _T1.search(s_text) and _OTHER_SEQUENCE.search(s_text):
            return False
        if kind is FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE:
            phrase = text[hit.start : hit.end].lower()
            # SPEC.md section 3: brighter than disc AND muscle; one of them is not enough.
            if not (re.search(r"dis[ck]", phrase) and re.search(r"muscl", phrase)):
                return False
    if kind in {
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
    } and _NOT_MARROW_CONTEXT.search(clause_text):
        return False
    if kind is FeatureKind.CANNOT_EXCLUDE_INFILTRATION:
        # Only about an infiltrative / malignant process; the span is widened to that word so
        # that a card quotes "infiltrative process cannot be excluded", not the bare phrase.
        phrase = text[hit.start : hit.end].lower()
        if "excluded" in phrase or "ruled out" in phrase:
            first = _MALIGNANCY.search(text, max(clause[0], hit.start - 80), hit.start)
            if first is None:
                return False
            head = re.search(r"[\w-]*$", text[clause[0] : first.start()])
            hit.start = first.start() - (len(head.group(0)) if head else 0)
        else:
            after = _MALIGNANCY.search(text, hit.start, clause[1])
            if after is None:
                return False
            tail = re.match(r"[\w-]*", text[after.end() : clause[1]])
            hit.end = after.end() + (tail.end() if tail else 0)
    if (
        kind is FeatureKind.DIFFUSE_PATTERN
        and hit.subtype == "distribution"
        and re.search(rf"\b{_LESION_NOUN}\b", clause_text, _F)
        and not re.search(rf"\b(?:{_MARROW_ADJ})\b", clause_text, _F)
    ):
        # "multiple lesions throughout the pelvis": the spread of lesions, not a diffuse pattern;
        # but "innumerable / numerous / diffuse lesions throughout the spine" is a pattern
        # (SPEC.md section 3 DIFFUSE: "throughout", distribution words), see `classify`.
        spread = _LESION_SPREAD.search(clause_text)
        hit.subtype = "lesion-spread" if spread else "lesion-distribution"
    if kind is _Kind.MULTILEVEL:
        # only a marrow-signal clause spreads over levels; "lesions at several levels" does not
        return bool(
            re.search(rf"\b(?:{_MARROW_ADJ})\b|marrow", clause_text, _F)
            and not re.search(rf"\b{_LESION_NOUN}\b", clause_text, _F)
        )
    return True


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """Keep the longest of overlapping hits of the same kind."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[_Hit] = []
    for hit in hits:
        if any(
            o.kind == hit.kind and _overlaps((o.start, o.end), (hit.start, hit.end)) for o in out
        ):
            continue
        out.append(hit)
    return out


# --------------------------------------------------------------------------- values


def _levels_in(text: str, start: int, end: int) -> list[tuple[int, list[str]]]:
    """(position, levels) for every spinal level or range mentioned in text[start:end]."""
    out: list[tuple[int, list[str]]] = []
    for m in _LEVEL.finditer(text, start, end):
        r1 = m.group("r1").upper()
        n1 = int(m.group("n1"))
        if n1 not in _LEVEL_WORDS[r1]:
            continue
        r2 = (m.group("r2") or r1).upper()
        n2 = int(m.group("n2")) if m.group("n2") else None
        # T1 / T2 are usually sequences: a level only in level context
        if (
            r1 == "T"
            and n1 in (1, 2)
            and n2 is None
            and (
                _SEQUENCE_AFTER.match(text, m.end())
                or not _LEVEL_CONTEXT_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
            )
        ):
            continue
        if (_DISC_AFTER.search(text[m.end() : m.end() + 40]) and n2 is not None) or (
            _DISC_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
        ):
            continue  # "L4-5 disc", "disc bulge at L4-5": a disc level, not marrow
        first = f"{r1}{n1}"
        if n2 is None:
            out.append((m.start(), [first]))
            continue
        if n2 not in _LEVEL_WORDS[r2]:
            out.append((m.start(), [first]))
            continue
        last = f"{r2}{n2}"
        i, j = _SPINE_INDEX[first], _SPINE_INDEX[last]
        if j < i:
            i, j = j, i
        out.append((m.start(), list(_SPINE_ORDER[i : j + 1])))
    return out


def _sites_in(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _SITES:
        for m in pattern.finditer(text, start, end):
            if any(_overlaps((m.start(), m.end()), t) for t in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), name))
    return out


@dataclass
class _Size:
    pos: int
    end: int
    values_mm: list[float]  # largest dimension of each size, or both ends of a range
    upper_bound: bool  # "up to 8 mm": the largest only
    range_min: float | None  # "6-12 mm": all at least 6
    now: bool = False  # "now 12 mm": the current size of a lesion that changed
    below: float | None = None  # "< 5 mm", "each under 5 mm": every lesion below this


def _sizes_in(text: str, start: int, end: int) -> list[_Size]:
    """Sizes in mm. "6-12 mm" and "each 6 mm" / ">5 mm" / "6 mm or larger" give a lower bound
    for every lesion of the mention; "up to 8 mm" documents the largest only; "< 5 mm" and "one
    larger than 5 mm" document no lesion size."""
    out: list[_Size] = []
    for m in _SIZE.finditer(text, start, end):
        factor = 10.0 if m.group("unit").lower().startswith(("cm", "cent")) else 1.0
        dims = [float(m.group("a"))] + [
            float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group("dims") or "")
        ]
        largest = round(max(dims) * factor, 1)
        before = text[max(start, m.start() - 30) : m.start()]
        up_m = _UP_BEFORE.search(before)
        up = up_m.group(0).lower() if up_m else ""
        cmp_m = _CMP_BEFORE.search(before)
        cmp = re.sub(r"\s+", " ", cmp_m.group(0).lower()).strip() if cmp_m else ""
        if cmp_m:
            before = before[: cmp_m.start()]
        if _PRIOR_BEFORE.search(before) and m.group("b") is None:
            continue  # "(previously 8 mm)": a size on the prior study, not a current lesion
        if m.group("b") is not None:
            lo = round(float(m.group("a")) * factor, 1)
            hi = round(float(m.group("b")) * factor, 1)
            if re.search(r"\bfrom\s*$", before, _F) and _CHANGE_WORD.search(text, start, end):
                # "increased from 8 to 12 mm": the lesion now measures the second value
                out.append(_Size(m.start(), m.end(), [hi], False, None, now=True))
                continue
            out.append(_Size(m.start(), m.end(), [lo, hi], False, min(lo, hi)))
        elif cmp.startswith(("<", "≤", "less", "smaller", "under", "below", "at most")):
            # "< 5 mm": small, no lesion size documented, but a stated bound below
            out.append(_Size(m.start(), m.end(), [], False, None, below=largest))
        elif cmp or m.group("orlarger"):
            # "> 5 mm", "at least 6 mm", "6 mm or larger": every lesion is at least this big,
            # unless it says "one larger than 5 mm"
            bound = None if _ONE_BEFORE.search(before) else largest
            out.append(_Size(m.start(), m.end(), [], False, bound))
        elif m.group("each") or _EACH_BEFORE.search(before):
            out.append(_Size(m.start(), m.end(), [largest], False, largest))
        else:
            upper = bool(up) and "larger" not in up
            now = bool(_NOW_BEFORE.search(before))
            out.append(_Size(m.start(), m.end(), [largest], upper, None, now=now))
    return out


@dataclass
class _Lesion:
    """One lesion mention: a singular mention, or a group ("multiple lesions")."""

    pos: int
    count: int | None  # explicit count (group) or None for singular
    plural: bool
    levels: set[str] = field(default_factory=set)
    sizes: list[_Size] = field(default_factory=list)
    segment: tuple[int, int] = (0, 0)  # a singular mention takes sizes/levels from here only

    def takes(self, pos: int) -> bool:
        return self.plural or self.segment[0] <= pos < self.segment[1]


def _lesion_mentions(text: str, hits: Sequence[_Hit]) -> list[_Lesion]:
    """Lesion mentions with their counts; sizes and levels go to the nearest mention."""
    mentions: list[_Lesion] = []
    lesion_hits = [
        h
        for h in hits
        if h.kind in {FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION}
        and not h.negated
        and not h.historical
    ]
    by_sentence: dict[tuple[int, int], list[_Hit]] = {}
    for h in lesion_hits:
        # a lytic lesion that is also matched as a focal lesion is one mention
        if h.kind is FeatureKind.LYTIC_LESION and any(
            o.kind is FeatureKind.FOCAL_LESION and _overlaps((o.start, o.end), (h.start, h.end))
            for o in lesion_hits
        ):
            continue
        by_sentence.setdefault(h.sentence, []).append(h)
    for sentence, sentence_hits in by_sentence.items():
        local: list[_Lesion] = []
        for h in sorted(sentence_hits, key=lambda x: x.start):
            phrase = text[h.start : h.end]
            plural = bool(
                re.search(
                    r"(?:lesions|foci|nodules|deposits|masses|areas|ies|"
                    r"lucencies|metastases|changes)\b",
                    phrase,
                    _F,
                )
            )
            count: int | None = None
            before = text[max(sentence[0], h.start - 60) : h.end]
            for cm in _COUNT.finditer(before):
                word = (cm.group("w") or "").lower()
                word = re.sub(r"\s+", " ", word)
                value = _COUNT_WORDS.get(word) if word else int(cm.group("d"))
                if value is not None:
                    count = value
            if count is not None and count >= 2:
                plural = True
            if plural and (count is None or count < 2):
                count = 2
            segment = _segment(text, sentence, h.start, h.end)
            local.append(_Lesion(h.start, count if plural else None, plural, segment=segment))
        if not local:
            continue
        for pos, levels in _levels_in(text, sentence[0], sentence[1]):
            if near := _nearest(local, pos):
                near.levels.update(levels)
        for pos, site in _sites_in(text, sentence[0], sentence[1]):
            if near := _nearest(local, pos):
                near.levels.add(site)
        for size in _sizes_in(text, sentence[0], sentence[1]):
            if _not_a_marrow_lesion_size(text, sentence, size, local):
                continue
            if near := _nearest(local, size.pos):
                near.sizes.append(size)
        for lesion in local:
            # "the 10 mm lesion has decreased, now 6 mm": the current size only
            if not lesion.plural and any(z.now for z in lesion.sizes):
                lesion.sizes = [z for z in lesion.sizes if z.now]
        # A plural mention whose clause lists single sizes/levels counts at least those.
        for lesion in local:
            if lesion.plural:
                explicit = sum(1 for s in lesion.sizes if not s.upper_bound and s.range_min is None)
                vertebral = len({lv for lv in lesion.levels if lv in _SPINE_INDEX})
                lesion.count = max(lesion.count or 2, explicit, vertebral if vertebral <= 6 else 0)
        mentions.extend(local)
    return mentions


def _not_a_marrow_lesion_size(
    text: str, sentence: tuple[int, int], size: _Size, local: Sequence[_Lesion]
) -> bool:
    """A size whose own stretch of sentence (cut at , ; ( ) and / with) names something other
    than a marrow lesion -- a typical haemangioma, bone island, cyst, disc protrusion, canal,
    listhesis, lymph node -- and no marrow lesion: "multiple lesions up to 4 mm; typical
    haemangiomas up to 15 mm", "multiple small foci; 6 mm disc protrusion at L4-5". Since one
    size >= 5 mm can make several lesions FOCAL_MULTIPLE (`classify`), a stray size must not."""
    s0, s1 = sentence
    cuts = [m for m in _SIZE_PIECE_CUT.finditer(text, s0, s1)]
    p0 = max((m.end() for m in cuts if m.end() <= size.pos), default=s0)
    p1 = min((m.start() for m in cuts if m.start() >= size.end), default=s1)
    said = text[p0:p1]
    found = _NOT_MARROW_LESION.search(said)
    if found is None:
        return False
    if "atypical" in said.lower() and "emangioma" in found.group(0).lower():
        return False  # an atypical haemangioma is a focal lesion (SPEC.md section 3 hedges)
    return not any(p0 <= m.pos < p1 for m in local)


def _nearest(mentions: Sequence[_Lesion], pos: int) -> _Lesion | None:
    """The closest mention that can take a size / level at `pos` (ties: the one before)."""
    candidates = [m for m in mentions if m.takes(pos)]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (abs(m.pos - pos), m.pos > pos))


def _small(size: _Size) -> bool:
    """A stated size below 5 mm: "3 mm", "2-4 mm", "< 5 mm" / "each under 5 mm"."""
    if size.values_mm:
        return max(size.values_mm) < 5.0
    return size.below is not None and size.below <= 5.0


@dataclass
class _LesionSummary:
    count: int | None
    sizes_mm: tuple[float, ...]
    measured_ge_5: int  # lesions documented as >= 5 mm
    all_lt_5: bool
    levels: set[str]
    largest_mm: float | None = None  # the largest size stated ("up to 9 mm", "largest 12 mm")
    stated_below_5: bool = False  # some stated size, or "< N mm" bound, is below 5 mm


def _summarise_lesions(mentions: Sequence[_Lesion]) -> _LesionSummary:
    """Merge mentions across sentences (Findings and Impression repeat each other).

    Singular mentions are one lesion each unless they share a level, or (without levels) a size,
    or one of them has neither (an anaphoric "the lesion"). The count is the larger of the merged
    singular lesions and the largest group count.
    """
    singles: list[_Lesion] = []
    for m in sorted((m for m in mentions if not m.plural), key=lambda m: (not m.levels, m.pos)):
        m_sizes = {v for s in m.sizes for v in s.values_mm}
        merged = False
        for s in singles:
            s_sizes = {v for z in s.sizes for v in z.values_mm}
            if (m.levels and s.levels and m.levels & s.levels) or (
                not (m.levels and s.levels)
                and (not m_sizes or not s_sizes or m_sizes & s_sizes)
                and not (m.levels and s.levels)
            ):
                s.levels |= m.levels
                s.sizes.extend(z for z in m.sizes if not (set(z.values_mm) & s_sizes))
                merged = True
                break
        if not merged:
            singles.append(_Lesion(m.pos, None, False, set(m.levels), list(m.sizes)))
    groups = [m for m in mentions if m.plural]
    count_candidates = [len(singles)] + [g.count or 2 for g in groups]
    count = max(count_candidates) if mentions else None

    measured_single = [
        max((v for z in s.sizes for v in z.values_mm), default=None) for s in singles
    ]
    ge5_single = sum(1 for v in measured_single if v is not None and v >= 5.0)
    ge5_groups = 0
    for g in groups:
        n = 0
        for z in g.sizes:
            if z.range_min is not None:
                if z.range_min >= 5.0:
                    n += g.count or 2
                else:
                    n += 1 if max(z.values_mm) >= 5.0 else 0
            elif z.upper_bound:
                n += 1 if z.values_mm and z.values_mm[0] >= 5.0 else 0
            elif z.values_mm and z.values_mm[0] >= 5.0:
                n += 1
        each = g.count or 2
        ge5_groups = max(ge5_groups, min(n, each) if n else 0)
    measured_ge_5 = max(ge5_single, ge5_groups)
    # "each measuring 6 mm" / "both 7 mm": a single size applies to every lesion of the group
    all_sizes: list[float] = []
    for s in singles:
        all_sizes.extend(v for z in s.sizes for v in z.values_mm)
    for g in groups:
        for z in g.sizes:
            all_sizes.extend(z.values_mm)
    unmeasured = any(not s.sizes for s in singles) or any(not g.sizes for g in groups)
    stated = [z for m in (*singles, *groups) for z in m.sizes]
    all_lt_5 = bool(stated) and not unmeasured and all(_small(z) for z in stated)
    levels: set[str] = set()
    for m in mentions:
        levels |= m.levels
    sizes = tuple(sorted(dict.fromkeys(all_sizes)))
    bounds = [z.range_min for z in stated if z.range_min is not None]
    largest = max([*all_sizes, *bounds], default=None)
    below_5 = any(v < 5.0 for v in all_sizes) or any(
        z.below is not None and z.below <= 5.0 for z in stated
    )
    return _LesionSummary(count, sizes, measured_ge_5, all_lt_5, levels, largest, below_5)


# --------------------------------------------------------------------------- public


_INTERVAL_PRIORITY = (
    IntervalChange.NEW_LESION,
    IntervalChange.EVOLVED_DIFFUSE,
    IntervalChange.INCREASED,
    IntervalChange.STABLE,
    IntervalChange.DECREASED,
    IntervalChange.RESOLVED,
)


def extract(text: str, *, field_strength_t: float | None = None) -> Extraction:
    """Read Findings + Impression text like a radiologist (SPEC.md section 3). Never raises.

    `field_strength_t` is the scanner field strength when known from elsewhere (the Technique
    section); a value stated in the text itself wins. Every feature's span indexes into `text`.
    """
    try:
        return _extract(text if isinstance(text, str) else "", field_strength_t)
    except Exception as exc:  # pragma: no cover - defensive: never raise out of the extractor
        return Extraction(
            image_class=ImagingClass.NEGATIVE,
            reasons=(f"text could not be analysed ({type(exc).__name__})",),
        )


def _extract(text: str, hint_field_t: float | None) -> Extraction:
    hits: list[_Hit] = []
    hedges: list[str] = []
    sentences = _sentences(text)
    for sentence in sentences:
        s_hits, s_hedges = _analyse_sentence(text, sentence)
        hits.extend(s_hits)
        hedges.extend(h for h in s_hedges if h not in hedges)

    field_t = hint_field_t
    for m in _FIELD.finditer(text):
        value = float(m.group("v"))
        if 0.2 <= value <= 7.0:
            field_t = value
            hits.append(
                _Hit(
                    FeatureKind.FIELD_STRENGTH,
                    m.start(),
                    m.end(),
                    _sentence_of(sentences, m.start()),
                    value=value,
                )
            )
            break

    lowered = text.lower()
    shift_words = any(k in lowered for k in _KW_SHIFT)
    percent = "%" in text or "percent" in lowered
    drops: list[_Hit] = []
    for pattern in _DROP if (shift_words and percent) or not _USE_PREFILTER else ():
        for m in pattern.finditer(text):
            value = float(m.group("v"))
            if 0.0 <= value <= 100.0:
                drops.append(
                    _Hit(
                        FeatureKind.CHEMICAL_SHIFT_DROP,
                        m.start(),
                        m.end(),
                        _sentence_of(sentences, m.start()),
                        value=value,
                    )
                )
    no_drop = shift_words and ("signal" in lowered or "drop" in lowered)
    for m in _NO_DROP.finditer(text) if no_drop or not _USE_PREFILTER else ():
        drops.append(
            _Hit(
                FeatureKind.CHEMICAL_SHIFT_DROP,
                m.start(),
                m.end(),
                _sentence_of(sentences, m.start()),
                value=0.0,
            )
        )
    drops = _dedupe(drops)
    hits.extend(drops)
    signal_drop = min((d.value for d in drops if d.value is not None), default=None)
    chemical_shift_done = bool(drops) or (
        any(k in lowered for k in _KW_CHEMICAL_SHIFT) and bool(_CHEMICAL_SHIFT.search(text))
    )

    # several vertebral levels of abnormal marrow signal = diffuse (SPEC.md section 3)
    for sentence in sentences:
        _add_multilevel(text, sentence, hits)

    mentions = _lesion_mentions(text, hits)
    lesions = _summarise_lesions(mentions)

    image_class, reasons = classify(hits, lesions)

    levels: set[str] = set(lesions.levels)
    for h in hits:
        if (
            h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN}
            and not (h.negated or h.historical)
            and h.subtype != "normal"
        ):
            clause_stops = _terminators(text[h.sentence[0] : h.sentence[1]], h.sentence[0])
            c0, c1 = _clause_of(h.start, h.sentence, clause_stops)
            for _, lv in _levels_in(text, c0, c1):
                levels.update(lv)
            for _, site in _sites_in(text, c0, c1):
                levels.add(site)

    interval = _interval(hits)
    features = tuple(
        _feature(text, h)
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
    )


def _sentence_of(sentences: Sequence[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s in sentences:
        if s[0] <= pos < s[1]:
            return s
    return (pos, pos)


def _add_multilevel(text: str, sentence: tuple[int, int], hits: list[_Hit]) -> None:
    marrow = [
        h
        for h in hits
        if h.sentence == sentence
        and h.kind is FeatureKind.MARROW_SIGNAL
        and not h.negated
        and not h.historical
        and h.subtype != "normal"
    ]
    if not marrow:
        return
    stops = _terminators(text[sentence[0] : sentence[1]], sentence[0])
    for h in marrow:
        c0, c1 = _clause_of(h.start, sentence, stops)
        if re.search(rf"\b{_LESION_NOUN}\b", text[c0:c1], _F):
            continue
        found = _levels_in(text, c0, c1)
        levels = {lv for _, lvs in found for lv in lvs}
        if len(levels) >= 3:
            first = min(p for p, _ in found)
            last_match = max(found, key=lambda x: x[0])
            end_m = _LEVEL.match(text, last_match[0])
            end = end_m.end() if end_m else last_match[0] + 2
            hits.append(
                _Hit(
                    FeatureKind.DIFFUSE_PATTERN,
                    first,
                    end,
                    sentence,
                    "levels",
                    value=float(len(levels)),
                )
            )
            return


def classify(hits: Sequence[_Hit], lesions: _LesionSummary) -> tuple[ImagingClass, list[str]]:
    """The class of the report (SPEC.md section 3), with the reasons in words.

    Only present findings count (not negated, not historical). Order, first match wins:

    1. FOCAL_MULTIPLE: two or more focal lesions documented as >= 5 mm each (flag U-L):
       explicit sizes, or a range whose lower end is >= 5 mm ("6-12 mm").
    1b. FOCAL_MULTIPLE, conservative reading (team decision, safety first, pending clinical
       sign-off): the report affirms two or more focal lesions (count >= 2, not negated, not
       historical), no stated size is below 5 mm (neither a size nor a "< 5 mm" bound), and the
       largest stated size is >= 5 mm: "numerous lesions at L1, L2, L4 and S1 measuring up to
       9 mm", "multiple focal lesions, largest 12 mm", "multiple lesions up to 8 mm". SPEC.md
       section 3 says "each >= 5 mm"; a radiologist who gives only the largest size of a set of
       lesions does not document the others as small, and reading them as FOCAL_EQUIVOCAL (R6)
       would hide a possible myeloma-defining event (U-L, R2). Sizes of typical haemangiomas,
       bone islands, Schmorl nodes and cysts are not lesion sizes. Lesions with no size at all
       stay FOCAL_EQUIVOCAL (indeterminate) unless their distribution makes them DIFFUSE.
    2. DIFFUSE: a distribution word about the marrow ("diffuse", "throughout", "all vertebral
       bodies", three or more vertebral levels), or marrow replacement / infiltration that is not
       merely possible ("cannot exclude an infiltrative process" is a worrisome feature, not a
       pattern). Distribution beats "mild", and it beats a single equivocal lesion (which keeps
       its own worrisome features). Lesions described as a spread -- "innumerable / numerous /
       diffuse / widespread lesions throughout the spine" -- are a DIFFUSE pattern too (SPEC.md
       section 3: "throughout", distribution words), unless every stated size is < 5 mm (then
       FOCAL_EQUIVOCAL, the SPEC's "lesions all < 5 mm"). "Multiple lesions throughout the
       pelvis" (a count word, not a spread word) stays a set of focal lesions.
    3. FOCAL_EQUIVOCAL: any present focal lesion (one lesion, lesions all < 5 mm, sizes unknown)
       or "indeterminate" / "equivocal" about a marrow finding.
    4. NONSPECIFIC: heterogeneous / abnormal marrow signal otherwise (slight, mild, patchy,
       localised, or unqualified), or a benign hedge (red marrow reconversion / hyperplasia).
    5. NEGATIVE: nothing present.
    """
    present = [h for h in hits if not h.negated and not h.historical and h.subtype != "normal"]
    lesion_present = any(
        h.kind in {FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION} for h in present
    )
    if lesion_present and lesions.measured_ge_5 >= 2:
        return ImagingClass.FOCAL_MULTIPLE, [f"{lesions.measured_ge_5} focal lesions >= 5 mm"]
    if lesion_present and _several_lesions_largest_ge_5(lesions):
        return ImagingClass.FOCAL_MULTIPLE, [
            f"{lesions.count} or more focal lesions, largest {lesions.largest_mm:g} mm, "
            "no stated size < 5 mm (conservative reading of U-L, pending clinical sign-off)"
        ]
    spread_ok = not lesions.all_lt_5
    diffuse = [
        h
        for h in present
        if (
            h.kind is FeatureKind.DIFFUSE_PATTERN
            and not h.possible
            and h.subtype != "lesion-distribution"
            and (h.subtype != "lesion-spread" or spread_ok)
        )
        or (h.kind is _Kind.MULTILEVEL)
        or (h.kind is FeatureKind.DIFFUSE_HOMOGENEOUS)
    ]
    if diffuse:
        if all(h.subtype == "lesion-spread" for h in diffuse):
            return ImagingClass.DIFFUSE, ["innumerable / numerous lesions throughout (diffuse)"]
        return ImagingClass.DIFFUSE, ["diffuse marrow pattern"]
    if lesion_present:
        if lesions.all_lt_5:
            return ImagingClass.FOCAL_EQUIVOCAL, ["focal lesion(s), all < 5 mm"]
        if (lesions.count or 0) >= 2:
            return ImagingClass.FOCAL_EQUIVOCAL, ["focal lesions without two documented >= 5 mm"]
        return ImagingClass.FOCAL_EQUIVOCAL, ["one focal lesion"]
    marrow = any(
        h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN} for h in present
    )
    if marrow and any(h.kind is _Kind.INDETERMINATE for h in present):
        return ImagingClass.FOCAL_EQUIVOCAL, ["indeterminate marrow finding"]
    if marrow or any(h.kind is FeatureKind.BENIGN_HEDGE for h in present):
        return ImagingClass.NONSPECIFIC, ["nonspecific heterogeneous marrow signal"]
    return ImagingClass.NEGATIVE, ["no current marrow abnormality"]


def _several_lesions_largest_ge_5(lesions: _LesionSummary) -> bool:
    """Two or more affirmed focal lesions, none stated < 5 mm, the largest stated >= 5 mm.

    The conservative reading of FOCAL_MULTIPLE / U-L (SPEC.md sections 3 and 5) documented on
    `classify`; a team decision pending clinical sign-off.
    """
    return (
        (lesions.count or 0) >= 2
        and not lesions.stated_below_5
        and lesions.largest_mm is not None
        and lesions.largest_mm >= 5.0
    )


def _interval(hits: Sequence[_Hit]) -> IntervalChange | None:
    found = {h.interval for h in hits if h.interval is not None and not h.negated}
    for change in _INTERVAL_PRIORITY:
        if change in found:
            return change
    # "no new lesion" / "no interval increase" alone: nothing worse than before
    if any(h.interval is not None and h.negated and h.subtype == "pseudo" for h in hits):
        return IntervalChange.STABLE
    return None


def _feature(text: str, hit: _Hit) -> ImagingFeature:
    assert isinstance(hit.kind, FeatureKind)
    s0, s1 = hit.sentence
    return ImagingFeature(
        kind=hit.kind,
        span=TextSpan(hit.start, hit.end, text[hit.start : hit.end]),
        sentence=TextSpan(s0, s1, text[s0:s1]) if s1 > s0 else None,
        negated=hit.negated,
        hedged=hit.hedged,
        historical=hit.historical or hit.kind is FeatureKind.RESOLVED,
        value=hit.value,
    )


def _order_levels(levels: Iterable[str]) -> tuple[str, ...]:
    spinal = sorted((lv for lv in levels if lv in _SPINE_INDEX), key=_SPINE_INDEX.__getitem__)
    sites = [s for s in _SITES_ORDER if s in levels]
    return tuple(spinal + sites)


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
