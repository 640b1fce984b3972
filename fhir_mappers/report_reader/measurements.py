"""Measurements in a report: lesion counts and sizes, levels, field strength, chemical shift.

SPEC.md section 3. Sizes are in mm ("6-12 mm" and "each 6 mm" give a lower bound for every lesion
of a mention, "up to 8 mm" documents the largest only, "< 5 mm" documents no size); counts are a
lower bound when stated as "multiple" / "several"; levels are spinal levels (T1 / T2 only in
level context, disc levels excluded) and named sites. Lesion mentions are merged across
sentences (`_summarise_lesions`) into the `_LesionSummary` that `classify` reads. Field strength
(tesla) and the chemical-shift (in/opposed-phase) signal drop are read from the text;
`chemical_shift_worrisome` (in `fhir_mappers.report_reader.reader`) judges the drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fhir_mappers.report_reader.scope import _dedupe, _Hit, _overlaps, _segment, _sentence_of
from fhir_mappers.report_reader.vocabulary import (
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
    _KW_CHEMICAL_SHIFT,
    _KW_SHIFT,
    _LEVEL,
    _LEVEL_CONTEXT_BEFORE,
    _LEVEL_WORDS,
    _NO_DROP,
    _NOT_MARROW_LESION,
    _NOW_BEFORE,
    _ONE_BEFORE,
    _PRIOR_BEFORE,
    _SEQUENCE_AFTER,
    _SITES,
    _SITES_ORDER,
    _SIZE,
    _SIZE_PIECE_CUT,
    _SPINE_INDEX,
    _SPINE_ORDER,
    _UP_BEFORE,
)
from logic.model import FeatureKind
from logic.thresholds import U_L_MIN_SIZE_MM as _U_L_MM


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
            if _NONE_BEFORE.search(before) and not cmp.startswith(("<", "≤")):
                # "none larger than 3 mm", "no more than 4 mm": an upper bound
                cmp = "at most"
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
        elif cmp.startswith(("<", "≤", "less", "smaller", "under", "below", "at most", "sub")):
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
            if not upper:
                out.extend(_listed_before(text, start, m.start(), factor))
            out.append(_Size(m.start(), m.end(), [largest], upper, None, now=now))
    return out


_NONE_BEFORE = re.compile(r"\b(?:none|no|not|neither)\s*(?:[\w-]+\s+)?$", _F)
# "measuring 4 and 8 mm", "6, 7 and 9 mm": numbers that share the unit of the size after them
_LISTED_BEFORE = re.compile(
    r"(?:(?<![\w.])\d+(?:\.\d+)?\s*(?:,\s*|,?\s+and\s+|\s+or\s+)){1,4}$", _F
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _listed_before(text: str, start: int, at: int, factor: float) -> list[_Size]:
    listed = _LISTED_BEFORE.search(text, max(start, at - 40), at)
    if listed is None:
        return []
    return [
        _Size(n.start(), n.end(), [round(float(n.group(0)) * factor, 1)], False, None)
        for n in _NUMBER.finditer(text, listed.start(), listed.end())
    ]


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
    by_sentence: dict[tuple[int, int], list[_Hit]] = {}
    for h in _countable_lesion_hits(hits):
        by_sentence.setdefault(h.sentence, []).append(h)
    mentions: list[_Lesion] = []
    for sentence, sentence_hits in by_sentence.items():
        local = [_mention(text, sentence, h) for h in sorted(sentence_hits, key=lambda x: x.start)]
        _attach_levels_and_sizes(text, sentence, local)
        _attach_sizes_said_next(text, sentence, local, by_sentence)
        _attach_items_listed_below(text, sentence, local, by_sentence)
        _settle_counts(local)
        mentions.extend(local)
    return mentions


# "Multiple lesions in L1, L3 and L5. They measure between 6 and 15 mm.": the next sentence,
# whose subject is a pronoun for the lesions, gives their sizes
_SIZES_SAID_NEXT = re.compile(
    r"\s*(?:they|these|those|both|each(?:\s+one)?|the\s+(?:largest|biggest)(?:\s+one)?)\s+"
    r"(?:measures?|measuring|ranges?|ranging|vary|varies|are|is)\b[^.\n]{0,120}",
    _F,
)


def _attach_sizes_said_next(
    text: str,
    sentence: tuple[int, int],
    local: list[_Lesion],
    by_sentence: dict[tuple[int, int], list[_Hit]],
) -> None:
    if not local or any(s[0] >= sentence[1] and s[0] - sentence[1] < 3 for s in by_sentence):
        return  # the next sentence names its own lesion
    nxt = _SIZES_SAID_NEXT.match(text, sentence[1])
    if nxt is None:
        return
    for size in _sizes_in(text, nxt.start(), nxt.end()):
        local[-1].sizes.append(size)


# "Focal lesions:" on a line of its own, then "1) L1 vertebral body, 8 x 6 mm, T1 hypointense."
# "2) L3 vertebral body, 5 mm.": each item of the list below the label is one lesion, with its
# own level and size
_LIST_LABEL = re.compile(r"\s*(?:[a-z]+\s+){0,2}lesions\s*:\s*", _F)
_LIST_ITEM = re.compile(r"[ \t]*\n[ \t]*(?:\d{1,2}[.)]|[-\u2022*])[ \t]+(?P<item>[^\n]+)")
_MAX_LISTED = 50  # items read under one label (bounded work: a longer list is not a lesion list)
_NOT_AN_ITEM_LESION = re.compile(r"\b(?:no|none|normal|otherwise)\b", _F)


def _attach_items_listed_below(
    text: str,
    sentence: tuple[int, int],
    local: list[_Lesion],
    by_sentence: dict[tuple[int, int], list[_Hit]],
) -> None:
    if len(local) != 1 or not local[0].plural:
        return
    if _LIST_LABEL.fullmatch(text, sentence[0], sentence[1]) is None:
        return
    items: list[tuple[int, int]] = []
    pos = sentence[1]
    while len(items) < _MAX_LISTED and (item := _LIST_ITEM.match(text, pos)) is not None:
        a, b = item.span("item")
        if _NOT_AN_ITEM_LESION.search(text, a, b) or any(a <= s[0] < b for s in by_sentence):
            break  # "3) No other lesion." / an item that names its own lesion counts itself
        items.append((a, b))
        pos = b
    if len(items) < 2:
        return
    group = local[0]
    group.count = max(group.count or 0, len(items))
    for a, b in items:
        for _, levels in _levels_in(text, a, b):
            group.levels.update(levels)
        group.sizes.extend(_sizes_in(text, a, b)[:1])


def _countable_lesion_hits(hits: Sequence[_Hit]) -> list[_Hit]:
    """Present lesions; a lesion attributed (hedged) to a benign entity is not counted for U-L
    (SPEC.md 3), and a lytic lesion also matched as a focal lesion is one mention."""
    lesion_hits = [
        h
        for h in hits
        if h.kind in {FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION}
        and not h.negated
        and not h.historical
        and h.subtype != "benign-hedged"
    ]
    return [
        h
        for h in lesion_hits
        if not (
            h.kind is FeatureKind.LYTIC_LESION
            and any(
                o.kind is FeatureKind.FOCAL_LESION and _overlaps((o.start, o.end), (h.start, h.end))
                for o in lesion_hits
            )
        )
    ]


_PLURAL_NOUN = re.compile(
    r"(?:lesions|foci|nodules|deposits|masses|areas|ies|lucencies|metastases|changes)\b", _F
)


def _mention(text: str, sentence: tuple[int, int], h: _Hit) -> _Lesion:
    """One lesion mention: plural or not, and the count written just before it."""
    plural = bool(_PLURAL_NOUN.search(text[h.start : h.end]))
    count: int | None = None
    for cm in _COUNT.finditer(text[max(sentence[0], h.start - 60) : h.end]):
        word = re.sub(r"\s+", " ", (cm.group("w") or "").lower())
        value = _COUNT_WORDS.get(word) if word else int(cm.group("d"))
        if value is not None:
            count = value
    if count is not None and count >= 2:
        plural = True
    if plural and (count is None or count < 2):
        count = 2
    segment = _segment(text, sentence, h.start, h.end)
    return _Lesion(h.start, count if plural else None, plural, segment=segment)


def _attach_levels_and_sizes(text: str, sentence: tuple[int, int], local: list[_Lesion]) -> None:
    """Each level, site and size of the sentence to its nearest mention."""
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


def _settle_counts(local: list[_Lesion]) -> None:
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
        return max(size.values_mm) < _U_L_MM
    return size.below is not None and size.below <= _U_L_MM


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
    singles = _merged_singles(mentions)
    groups = [m for m in mentions if m.plural]
    count_candidates = [len(singles)] + [g.count or 2 for g in groups]
    count = max(count_candidates) if mentions else None

    measured_single = [
        max((v for z in s.sizes for v in z.values_mm), default=None) for s in singles
    ]
    ge5_single = sum(1 for v in measured_single if v is not None and v >= _U_L_MM)
    ge5_groups = max((_group_ge_5(g) for g in groups), default=0)
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
    below_5 = any(v < _U_L_MM for v in all_sizes) or any(
        z.below is not None and z.below <= _U_L_MM for z in stated
    )
    return _LesionSummary(count, sizes, measured_ge_5, all_lt_5, levels, largest, below_5)


def _merged_singles(mentions: Sequence[_Lesion]) -> list[_Lesion]:
    """Singular mentions merged into lesions: same level, or (without levels) same or no size."""
    singles: list[_Lesion] = []
    for m in sorted((m for m in mentions if not m.plural), key=lambda m: (not m.levels, m.pos)):
        m_sizes = {v for s in m.sizes for v in s.values_mm}
        for s in singles:
            s_sizes = {v for z in s.sizes for v in z.values_mm}
            if (m.levels and s.levels and m.levels & s.levels) or (
                not (m.levels and s.levels)
                and (not m_sizes or not s_sizes or m_sizes & s_sizes)
                and not (m.levels and s.levels)
            ):
                s.levels |= m.levels
                s.sizes.extend(z for z in m.sizes if not (set(z.values_mm) & s_sizes))
                break
        else:
            singles.append(_Lesion(m.pos, None, False, set(m.levels), list(m.sizes)))
    return singles


def _group_ge_5(g: _Lesion) -> int:
    """How many lesions of a plural mention its sizes document as >= 5 mm."""
    n = 0
    for z in g.sizes:
        if z.range_min is not None:
            if z.range_min >= _U_L_MM:
                n += g.count or 2
            else:
                n += 1 if max(z.values_mm, default=0.0) >= _U_L_MM else 0
        elif z.upper_bound:
            n += 1 if z.values_mm and z.values_mm[0] >= _U_L_MM else 0
        elif z.values_mm and z.values_mm[0] >= _U_L_MM:
            n += 1
    each = g.count or 2
    return min(n, each) if n else 0


def _order_levels(levels: Iterable[str]) -> tuple[str, ...]:
    spinal = sorted((lv for lv in levels if lv in _SPINE_INDEX), key=_SPINE_INDEX.__getitem__)
    sites = [s for s in _SITES_ORDER if s in levels]
    return tuple(spinal + sites)


def _field_strength(text: str, sentences: Sequence[tuple[int, int]]) -> _Hit | None:
    """The first plausible scanner field strength stated in the text (0.2-7 T), as a hit."""
    for m in _FIELD.finditer(text):
        value = float(m.group("v"))
        if 0.2 <= value <= 7.0:
            return _Hit(
                FeatureKind.FIELD_STRENGTH,
                m.start(),
                m.end(),
                _sentence_of(sentences, m.start()),
                value=value,
            )
    return None


_SIGNAL_WORDS = re.compile(
    r"\bsignal|phase\b|\bdixon\b|chemical[\s-]+shift|\bfat\s+fraction", re.IGNORECASE
)
_HEIGHT_AFTER = re.compile(
    r"\s*(?:of\s+)?(?:the\s+)?(?:\w+\s+){0,3}?(?:height|stature)\b", re.IGNORECASE
)


def _is_signal_drop(text: str, sentence: tuple[int, int], end: int) -> bool:
    """SPEC.md section 3: a chemical-shift drop needs signal words in its sentence, and a loss
    of height is never one."""
    if _HEIGHT_AFTER.match(text, end, min(sentence[1], end + 60)):
        return False
    return _SIGNAL_WORDS.search(text, sentence[0], sentence[1]) is not None


def _chemical_shift_drops(
    text: str, sentences: Sequence[tuple[int, int]], *, prefilter: bool = True
) -> tuple[list[_Hit], bool]:
    """Chemical-shift signal drops stated in the text (percent; "no signal loss" is 0%), and
    whether chemical-shift imaging was done at all."""
    lowered = text.lower()
    shift_words = any(k in lowered for k in _KW_SHIFT)
    percent = "%" in text or "percent" in lowered
    drops: list[_Hit] = []
    for pattern in _DROP if (shift_words and percent) or not prefilter else ():
        for m in pattern.finditer(text):
            value = float(m.group("v"))
            sentence = _sentence_of(sentences, m.start())
            if not _is_signal_drop(text, sentence, m.end()):
                continue  # "10% loss of vertebral body height" is not a signal drop
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
    for m in _NO_DROP.finditer(text) if no_drop or not prefilter else ():
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
    chemical_shift_done = bool(drops) or (
        any(k in lowered for k in _KW_CHEMICAL_SHIFT) and bool(_CHEMICAL_SHIFT.search(text))
    )
    return drops, chemical_shift_done


_THRESHOLD_BEFORE = re.compile(
    r"(?:[<>≥≤]=?|at\s+least|(?:greater|larger|bigger|more)\s+than|over|exceeding|above)\s*$",
    re.IGNORECASE,
)


def is_threshold(text: str, size: re.Match[str]) -> bool:
    """A size (a `_SIZE` match) that is a threshold ("5 mm or greater", ">= 5 mm"), not a
    measurement."""
    return bool(size.group("orlarger")) or bool(
        _THRESHOLD_BEFORE.search(text, max(0, size.start() - 20), size.start())
    )


_CLAUSE_MARK = re.compile(r"[;,]|\.(?!\d)")  # (not the point of "1.0 cm")


def measured_size_within(text: str, start: int, reach: int) -> re.Match[str] | None:
    """The first size measured (not a threshold) from `start`, at most `reach` characters on and
    not past a full stop, semicolon or comma."""
    mark = _CLAUSE_MARK.search(text, start, start + reach)
    end = mark.start() if mark is not None else min(len(text), start + reach)
    return next((m for m in _SIZE.finditer(text, start, end) if not is_threshold(text, m)), None)
