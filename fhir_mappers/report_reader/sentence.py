"""Targets and features of one sentence, and the modifiers that apply to them (SPEC.md section 3).

`_analyse_sentence` finds, in order: pseudo-negations (they own their "no"), modifiers, targets
(heterogeneous / normal marrow signal, focal and lytic lesions, diffuse pattern, worrisome and
benign features), interval changes; then applies the modifiers in scope (`scope`).
`_keep_target` holds the context checks a regular expression alone cannot express (a typical
haemangioma, bone island, Schmorl node or disc is not a focal marrow lesion; "diffuse" about the
uterus is not a marrow pattern; lesions spread "throughout" are tagged for `classify`).
`_add_multilevel` turns abnormal marrow signal over three or more vertebral levels into a
diffuse pattern.

`prefilter` (default on) skips patterns whose keywords are absent; it never changes the result
(the tests switch it off through `fhir_mappers.report_reader.reader._USE_PREFILTER` to prove it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from fhir_mappers.report_reader.anatomy import Anchor, anchor, mentions_bone
from fhir_mappers.report_reader.measurements import _levels_in
from fhir_mappers.report_reader.scope import (
    _apply,
    _clause_of,
    _dedupe,
    _Hit,
    _in_forward_scope,
    _ModHit,
    _overlaps,
    _segment,
    _terminators,
)
from fhir_mappers.report_reader.vocabulary import (
    _F,
    _INTERVAL,
    _KW_FINDING,
    _KW_INTERVAL,
    _KW_MODIFIERS,
    _KW_NORMAL,
    _KW_PSEUDO,
    _KW_TARGETS,
    _LESION_ADJ_BEFORE,
    _LESION_NOUN,
    _LESION_SPREAD,
    _LEVEL,
    _LOSS_OF,
    _MALIGNANCY,
    _MARROW_ADJ,
    _MARROW_NOUN,
    _MODIFIERS,
    _NORMAL_MARROW,
    _NOT_MARROW_CONTEXT,
    _OTHER_SEQUENCE,
    _PSEUDO,
    _T1,
    _TARGETS,
    _keywords_in,
    _Kind,
    _Mod,
)
from logic.model import FeatureKind, IntervalChange

# What modifiers qualify and the class is read from (SPEC.md section 3): the marrow findings.
TARGET_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
    }
)


def _analyse_sentence(
    text: str, sentence: tuple[int, int], *, prefilter: bool = True
) -> tuple[list[_Hit], list[str]]:
    """The targets of one sentence, modifiers applied, and the hedge words that count.

    A sentence's reading depends on its own words only, so it is read once per distinct sentence
    text (a small cache: reports and hostile texts repeat sentences) and shifted into place.
    """
    s_start, s_end = sentence
    hits, hedges = _analyse_sentence_text(text[s_start:s_end], prefilter)
    return [
        replace(h, start=h.start + s_start, end=h.end + s_start, sentence=sentence) for h in hits
    ], list(hedges)


@lru_cache(maxsize=2048)
def _analyse_sentence_text(
    s_text: str, prefilter: bool
) -> tuple[tuple[_Hit, ...], tuple[str, ...]]:
    hits, hedges = _analyse(s_text, (0, len(s_text)), prefilter=prefilter)
    return tuple(hits), tuple(hedges)


def _analyse(
    text: str, sentence: tuple[int, int], *, prefilter: bool = True
) -> tuple[list[_Hit], list[str]]:
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    present = _keywords_in(s_text.lower()) if prefilter else None
    if present is not None and present.isdisjoint(_KW_FINDING):
        return [], []  # "L1-L2: No disc herniation.": nothing this reader looks for
    stops = _terminators(s_text, s_start, prefilter=prefilter)

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
    for hit in hits:
        # a phrase matched across a clause boundary ("vertebral bodies which demonstrate patchy")
        # belongs to the clause its abnormal word is in
        inner = [stop for stop in stops if hit.start < stop < hit.end]
        if inner:
            hit.start = _AFTER_TERMINATOR.match(text, max(inner)).end()  # type: ignore[union-attr]
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
            where = anchor(text, span[0], span[1], clause)
            if where is Anchor.ORGAN or (where is Anchor.NONE and not has_target):
                continue  # "enlarged adrenal nodule", "progressive sensory symptoms"
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
    hits = _dedupe(_normal_statements_win(text, sentence, hits, stops))
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

    # 4. apply modifiers. A negation's scope also ends at a new finding phrase that carries its
    # own descriptor ("without fracture, with diffusely heterogeneous marrow"; SPEC.md 3).
    neg_stops = sorted({*stops, *_negation_breaks(s_text, s_start)})
    for hit in hits:
        if hit.kind is FeatureKind.ENHANCEMENT and _NON_PREFIX.match(text, hit.start):
            hit.negated = True  # "non-enhancing": the enhancement alone is denied
            continue
        if hit.subtype not in {"normal", "pseudo"}:
            for mh in mods:
                _apply(mh, hit, neg_stops if mh.mod is _Mod.NEG_FWD else stops, text)
        if hit.kind is FeatureKind.CHEMICAL_SHIFT_DROP:
            hit.negated = False  # "no signal loss" is a value (0%), not a negation
    _mark_uncertain(text, hits, mods, neg_stops)
    for hit in hits:
        if hit.kind is FeatureKind.MARROW_SIGNAL and _SELF_CONTRADICTION.search(
            text, hit.start, hit.end
        ):
            hit.uncertain = True  # "heterogeneous and normal signal at L3": kept, uncertain
    hits = [_benign_comparison_denied(h) for h in hits if not _partial_benign(h)]
    if not (_MARROW_WORD.search(s_text) or mentions_bone(s_text)):
        # an affirmed enhancement or high signal said of nothing in particular is not a marrow
        # feature (a denied one is kept: "abnormal enhancement is not identified")
        hits = [h for h in hits if h.negated or h.kind not in _NEEDS_MARROW_CONTEXT]
    hits.extend(_distribution(text, sentence, hits, stops))
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


# SPEC.md section 3 "Other causes of marrow signal": oedema next to a fracture, endplate (Modic) and
# degenerative change, Schmorl nodes, post-radiation fatty marrow, post-surgical change; infection
# is another pathway. A pathological fracture is not among them (it is a worrisome feature).
_OTHER_CAUSE = re.compile(
    r"\b(?:end-?plates?|modic|schmorl\w*|degenerat\w*|(?<!patholog)(?<!pathologic\s)"
    r"(?<!pathological\s)fractures?|compression\s+deformit\w*|radiation|radiotherapy|"
    r"irradiat\w*|post-?(?:surgical|operative)|laminectomy|fusion|hardware|discitis|"
    r"osteomyelitis|spondylodiscitis|infect\w*|abscess\w*|septic|"
    # marrow stimulated by G-CSF or recovering after chemotherapy, called physiological / reactive
    r"g-?csf|growth\s+factor|post-?chemotherapy|marrow\s+(?:stimulation|activation)|"
    r"reactive\s+marrow|physiolog\w*\s+(?:marrow\s+)?(?:stimulation|activation))\b",
    _F,
)
_DENIED_BEFORE = re.compile(
    r"\b(?:no|without|negative\s+for|free\s+of|not)\b(?:[\s,]+[\w-]+){0,3}[\s,]*$", _F
)


def _other_cause(text: str, clause: tuple[int, int]) -> bool:
    """The clause attributes the marrow signal to another cause it affirms ("oedema around the
    L1 fracture"); a denied one ("without fracture") attributes nothing."""
    return _affirms_other_cause(text[clause[0] : clause[1]])


_ATTRIBUTION = re.compile(
    r"\b(?:consistent\s+with|in\s+keeping\s+with|compatible\s+with|due\s+to|related\s+to|"
    r"secondary\s+to|reflect\w*|represent\w*|attributed\s+to|attributable\s+to|caused\s+by|"
    r"after|following)\s+(?:(?:a|an|the|recent|known|prior)\s+)?(?:[\w-]+\s+){0,3}?",
    _F,
)


@lru_cache(maxsize=256)
def _attributed_to_other_cause(sentence: str) -> bool:
    """The sentence attributes its finding to another cause ("..., consistent with physiological
    marrow stimulation after G-CSF", "... due to the recent fracture")."""
    for m in _ATTRIBUTION.finditer(sentence):
        cause = _OTHER_CAUSE.match(sentence, m.end())
        if cause is not None:
            return True
    return False


@lru_cache(maxsize=256)
def _affirms_other_cause(clause: str) -> bool:
    for m in _OTHER_CAUSE.finditer(clause):
        if not _DENIED_BEFORE.search(clause, max(0, m.start() - 40), m.start()):
            return True
    return False


# SPEC.md section 3: marrow signal, enhancement and high STIR / fat-saturated signal attributed to
# another cause (fracture, Modic change, infection ...) are not findings of this service.
_OTHER_CAUSE_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.DIFFUSE_HOMOGENEOUS,
    }
)
_ANCHORED_KINDS = frozenset(
    {
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.SHARP_MARGIN,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
_NEEDS_MARROW_CONTEXT = frozenset(
    {
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
_MARROW_WORD = re.compile(
    rf"\b(?:{_LESION_NOUN}|marrow|osseous|bony|bone|vertebra\w*|sacr\w*|ilia\w*|metasta\w*|"
    r"myeloma|plasmacytoma|infiltrat\w*|marrow[\s-]+replac\w*)\b",
    _F,
)
_BENIGN_ATTRIBUTION = re.compile(
    r"\bh(?:a)?emangioma|\bbone\s+islands?|\benostos[ie]s|\bschmorl\w*|\bcysts?\b|"
    r"\bdegenerat\w*|\bsubchondral",
    _F,
)


_PATHOLOGICAL_FRACTURE = re.compile(r"patholog", _F)
_BENIGN_ENTITY = re.compile(
    r"\bh(?:a)?emangiomas?\b|\bbone\s+islands?\b|\benostos[ie]s\b|\bschmorl\w*|"
    r"\b(?:degenerative|subchondral|synovial)\s+cysts?\b|\bgeodes?\b|\bmodic\b|"
    r"(?<!pathologic\s)(?<!pathological\s)\b(?:stress|insufficiency|compression|healing|healed|"
    r"acute|old|traumatic)?\s*fractures?\b|\bfat(?:ty)?\s+(?:deposit|island|rest|focus)\w*",
    _F,
)
_ATTRIBUTION_HEDGE = re.compile(
    r"\b(?:likely|probabl[ey]|possibl[ey]|may|might|could|favou?r\w*|suggest\w*|presum\w*|"
    r"versus|vs|differential|uncertain|indeterminate|query)\b|\?",
    _F,
)
_NEXT_LESION = re.compile(
    rf"\b{_LESION_NOUN}\b|;|\band\s+(?:an?|the|another|one|two|multiple|several)\b", _F
)
_SELF_CONTRADICTION = re.compile(r"\b(?:and|or)\s+normal\b", _F)
_AFTER_TERMINATOR = re.compile(r"[\w;,]*\s*")
_NON_PREFIX = re.compile(r"non[\s-]?", _F)
# Words that give a finding phrase its own descriptor (SPEC.md section 3 negation scope).
_DESCRIPTOR = (
    r"(?:an?\s+)?(?:diffuse(?:ly)?|patchy|heterogene\w*|inhomogene\w*|mottled|variegated|mild(?:ly)?|"
    r"slight(?:ly)?|subtle|abnormal(?:ly)?|low|decreased|reduced|multiple|several|numerous|"
    r"innumerable|scattered|multifocal|focal|new|marked(?:ly)?|extensive|widespread|"
    r"(?:t1[\s-]+)?hypointense|enhancing|lytic|sclerotic|\d+(?:\.\d+)?\s*(?:mm|cm))\b"
)
_BREAK = re.compile(
    rf",\s*(?:with\s+|and\s+)?(?={_DESCRIPTOR})|\s(?:with|and)\s+(?={_DESCRIPTOR})"
    r"|(?:,\s*|\s)(?:and\s+)?(?=there\s+(?:is|are)\b)",
    _F,
)
_LIST_CLOSE = re.compile(r"\b(?:or|nor)\b", _F)


_FOR_AGE = re.compile(r"\bage\b|age[\s-]appropriate|physiolog", _F)
_RED_MARROW = re.compile(r"\b(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic|cellular)\s+marrow", _F)
_ABNORMAL = re.compile(
    rf"\b(?:{_MARROW_ADJ}|low|decreased|reduced|diminished|hypointense|infiltrat\w*|replac\w*)\b",
    _F,
)


def _normal_statements_win(
    text: str, sentence: tuple[int, int], hits: list[_Hit], stops: Sequence[int]
) -> list[_Hit]:
    """SPEC.md section 3 normal-marrow statements are never a finding: distribution words inside
    them describe the normality ("normal marrow signal at all levels"), red marrow described as
    residual / physiological / normal for age is normal (and no benign hedge), and a distribution
    word with a marrow noun but no abnormality ("diffuse fatty marrow") is not a pattern."""
    normal = [h for h in hits if h.subtype == "normal"]
    out: list[_Hit] = []
    for h in hits:
        clause = _clause_of(h.start, sentence, stops)
        normal_here = [n for n in normal if clause[0] <= n.start < clause[1]]
        if h.kind is _Kind.MULTILEVEL or (
            h.kind is FeatureKind.DIFFUSE_PATTERN and h.subtype == "distribution"
        ):
            clause_text = text[clause[0] : clause[1]]
            if normal_here or not _ABNORMAL.search(clause_text):
                continue
        if (
            h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.BENIGN_HEDGE}
            and h.subtype != "normal"
            and normal
            and (
                _RED_MARROW.search(text, sentence[0], sentence[1])
                or any(_FOR_AGE.search(text, n.start, n.end) for n in normal)
            )
        ):
            continue  # "patchy residual red marrow", "red marrow ..., physiological"
        out.append(h)
    return out


def _negation_breaks(s_text: str, offset: int) -> list[int]:
    """Where a new finding phrase with its own descriptor starts: a negation stops there. A comma
    inside a list of negated items ("no fracture, abnormal marrow signal or mass") is not such a
    place: the list closes with "or" / "nor" later in the sentence."""
    out: list[int] = []
    for m in _BREAK.finditer(s_text):
        joiner = m.group(0).strip().lower()
        in_list = "with" not in joiner and "and" not in joiner
        if joiner.startswith(",") and in_list and _LIST_CLOSE.search(s_text, m.end()):
            continue
        out.append(offset + m.start())
    return out


# A negation trigger this far before its target, across a verb, may not reach it.
_FAR_WORDS = 6
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|seen|noted|identified|demonstrat\w*|shows?|showing|measur\w*|"
    r"appears?|there)\b",
    _F,
)


def _partial_benign(hit: _Hit) -> bool:
    return (
        hit.kind is FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE
        and hit.subtype == "partial"
        and not hit.negated
    )


def _benign_comparison_denied(hit: _Hit) -> _Hit:
    """SPEC.md section 3: a negated benign comparison ("not brighter than the discs", "no longer
    higher than muscle") is the worrisome feature."""
    if hit.kind is FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE and hit.negated:
        hit.kind = FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC
        hit.negated = False
    return hit


def _mark_uncertain(
    text: str, hits: list[_Hit], mods: Sequence[_ModHit], stops: Sequence[int]
) -> None:
    """SPEC.md section 3 "Uncertain reading": an abnormal-marrow target negated by a trigger that is
    far from it, across a verb, is kept (never silently NEGATIVE) and marked uncertain."""
    for hit in hits:
        if not hit.negated or hit.kind not in TARGET_KINDS or hit.subtype in {"normal", "pseudo"}:
            continue
        triggers = [
            m
            for m in mods
            if m.mod is _Mod.NEG_FWD
            and m.end <= hit.start
            and not any(m.end <= stop < hit.start for stop in stops)
        ]
        if not triggers:
            continue
        nearest = max(triggers, key=lambda m: m.end)
        between = text[nearest.end : hit.start]
        if len(between.split()) > _FAR_WORDS and _VERBISH.search(between):
            hit.negated = False
            hit.uncertain = True


# Distribution words (SPEC.md section 3): they count only with a marrow target of their own clause.
_SPREAD_WORDS = re.compile(
    r"\bthroughout\b|\bat\s+(?:all|every|multiple|most)\s+(?:of\s+the\s+)?(?:visuali[sz]ed\s+|"
    r"imaged\s+|included\s+|lumbar\s+|thoracic\s+)?levels?\b|\b(?:in|of|involving|within)\s+"
    r"(?:all|each)\s+(?:of\s+)?(?:the\s+)?(?:visuali[sz]ed\s+|imaged\s+|included\s+|lumbar\s+|"
    r"thoracic\s+)?(?:vertebral\s+bod(?:y|ies)|vertebrae|levels)",
    _F,
)
_SPREAD_TARGETS = frozenset(
    {FeatureKind.MARROW_SIGNAL, FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION}
)


def _distribution(
    text: str, sentence: tuple[int, int], hits: Sequence[_Hit], stops: Sequence[int]
) -> list[_Hit]:
    """A diffuse pattern for each distribution word attached to a marrow target of its clause; a
    distribution word inside a normal-marrow statement describes the normality and adds nothing."""
    out: list[_Hit] = []
    for m in _SPREAD_WORDS.finditer(text, sentence[0], sentence[1]):
        clause = _clause_of(m.start(), sentence, stops)
        in_clause = [h for h in hits if clause[0] <= h.start < clause[1]]
        if any(h.subtype == "normal" for h in in_clause):
            continue
        targets = [h for h in in_clause if h.kind in _SPREAD_TARGETS and h.subtype != "normal"]
        if not targets:
            continue
        target = min(targets, key=lambda h: abs(h.start - m.start()))
        subtype = "distribution"
        if target.kind is not FeatureKind.MARROW_SIGNAL:
            clause_text = text[clause[0] : clause[1]]
            spread = _LESION_SPREAD.search(clause_text) and not re.search(
                rf"\b(?:{_MARROW_ADJ})\b", clause_text, _F
            )
            subtype = "lesion-spread" if spread else "lesion-distribution"
        out.append(
            _Hit(
                FeatureKind.DIFFUSE_PATTERN,
                m.start(),
                m.end(),
                sentence,
                subtype,
                negated=target.negated,
                hedged=target.hedged,
                possible=target.possible,
                historical=target.historical,
                uncertain=target.uncertain,
            )
        )
    return out


def _keep_target(hit: _Hit, text: str, sentence: tuple[int, int], stops: Sequence[int]) -> bool:
    """Context checks that a regex alone cannot express."""
    s_text = text[sentence[0] : sentence[1]]
    clause = _clause_of(hit.start, sentence, stops)
    clause_text = text[clause[0] : clause[1]]
    kind = hit.kind
    if kind in _OTHER_CAUSE_KINDS and (
        _other_cause(text, clause) or _attributed_to_other_cause(text[sentence[0] : sentence[1]])
    ):
        return False  # SPEC.md section 3 "Other causes of marrow signal": not this service's
    if kind in _ANCHORED_KINDS:
        where = anchor(text, hit.start, hit.end, clause)
        if where is Anchor.ORGAN:
            return False  # a lesion / enhancement / change of another organ (SPEC.md 3 Anatomy)
    if kind is FeatureKind.LYTIC_LESION and _BENIGN_ATTRIBUTION.search(
        text, *_segment(text, sentence, hit.start, hit.end)
    ):
        return False  # U-B: a lytic-looking lesion attributed to a benign cause
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
        # ... up to the next finding noun of its clause ("a focus of T1 and T2 hyperintense
        # signal in L1, consistent with a hemangioma" is said to be a haemangioma)
        nxt = _NEXT_LESION.search(text, hit.end, sentence[1])
        said = text[seg_start : max(seg_end, nxt.start() if nxt else sentence[1])]
        attribution = text[hit.start : max(seg_end, nxt.start() if nxt else sentence[1])]
        if _BENIGN_ENTITY.search(attribution) and "atypical" not in said.lower():
            # SPEC.md section 3 "Benign attribution": a lesion the report attributes to a benign
            # entity is not a focal lesion for U-L; hedged, it is at most FOCAL_EQUIVOCAL
            if not _ATTRIBUTION_HEDGE.search(attribution):
                return False
            hit.subtype = "benign-hedged"
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
                # brighter than one of them only: not the benign modifier, but its negation
                # ("not brighter than the discs") is still the worrisome feature
                hit.subtype = "partial"
    if kind in {
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
    } and _NOT_MARROW_CONTEXT.search(clause_text):
        return False
    if kind is FeatureKind.CANNOT_EXCLUDE_INFILTRATION and _PATHOLOGICAL_FRACTURE.match(
        text, hit.start
    ):
        return True  # SPEC.md section 3: a pathological fracture is itself the worrisome feature
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


def _add_multilevel(
    text: str, sentence: tuple[int, int], hits: Sequence[_Hit], *, prefilter: bool = True
) -> list[_Hit]:
    """Abnormal marrow signal over three or more vertebral levels: a diffuse pattern (SPEC.md 3)."""
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
        return []
    stops = _terminators(text[sentence[0] : sentence[1]], sentence[0], prefilter=prefilter)
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
            return [
                _Hit(
                    FeatureKind.DIFFUSE_PATTERN,
                    first,
                    end,
                    sentence,
                    "levels",
                    value=float(len(levels)),
                )
            ]
    return []
