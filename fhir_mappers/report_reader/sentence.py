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
from fhir_mappers.report_reader.checks import _MARROW_WORD, _NEEDS_MARROW_CONTEXT, _keep_target
from fhir_mappers.report_reader.negation import (
    _AFTER_TERMINATOR,
    _NON_PREFIX,
    _SELF_CONTRADICTION,
    _benign_comparison_denied,
    _mark_uncertain,
    _negation_breaks,
    _partial_benign,
)
from fhir_mappers.report_reader.scope import (
    _apply,
    _clause_of,
    _dedupe,
    _Hit,
    _in_forward_scope,
    _ModHit,
    _overlaps,
    _terminators,
)
from fhir_mappers.report_reader.statements import (
    _distribution,
    _drop_general_statements,
    _normal_statements_win,
)
from fhir_mappers.report_reader.vocabulary import (
    _INTERVAL,
    _KW_FINDING,
    _KW_INTERVAL,
    _KW_MODIFIERS,
    _KW_NORMAL,
    _KW_PSEUDO,
    _KW_TARGET_ALSO,
    _KW_TARGETS,
    _LESION_ADJ_BEFORE,
    _LOSS_OF,
    _MODIFIERS,
    _NORMAL_MARROW,
    _NOT_MARROW_CONTEXT,
    _PSEUDO,
    _TARGETS,
    TARGET_KINDS,
    _keywords_in,
    _Mod,
)
from logic.model import FeatureKind, IntervalChange


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


_Pseudo = tuple[str, int, int]  # (meaning, start, end) of a pseudo-negation
_Present = frozenset[str] | None  # keywords of the sentence; None: the prefilter is off


def _analyse(
    text: str, sentence: tuple[int, int], *, prefilter: bool = True
) -> tuple[list[_Hit], list[str]]:
    """One sentence, in the order a reader meets it: pseudo-negations, modifiers, targets and
    features, interval changes, then the modifiers applied and the sentence-level checks."""
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    present = _keywords_in(s_text.lower()) if prefilter else None
    if present is not None and present.isdisjoint(_KW_FINDING):
        return [], []  # "L1-L2: No disc herniation.": nothing this reader looks for
    stops = _terminators(s_text, s_start, prefilter=prefilter)
    pseudo = _pseudo_negations(s_text, s_start, present)
    mods = _modifiers(s_text, s_start, present, pseudo)
    hits = _targets(text, sentence, stops, present) + _normal_statements(s_text, sentence, present)
    _to_own_clause(text, hits, stops)
    has_target = any(h.kind in TARGET_KINDS and h.subtype != "normal" for h in hits)
    hits += _interval_changes(text, sentence, stops, present, pseudo, has_target)
    hits += _pseudo_findings(text, sentence, stops, pseudo, has_target)
    hits = _dedupe(_normal_statements_win(text, sentence, hits, stops))
    hits = _without_newness_targets(hits, pseudo, stops)
    neg_stops = _apply_modifiers(text, sentence, hits, mods, stops)
    hits = _sentence_checks(text, sentence, hits, mods, neg_stops, stops)
    return hits, _hedges(hits, mods)


def _pseudo_negations(s_text: str, s_start: int, present: _Present) -> list[_Pseudo]:
    """Pseudo-negations ("no change in", "no new", "no longer"): they own their "no"."""
    pseudo: list[_Pseudo] = []
    for (meaning, pattern), kw in zip(_PSEUDO, _KW_PSEUDO, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            pseudo.append((meaning, s_start + m.start(), s_start + m.end()))
    return pseudo


def _modifiers(
    s_text: str, s_start: int, present: _Present, pseudo: list[_Pseudo]
) -> list[_ModHit]:
    """Negation, hedge and history words, except a negation inside a pseudo-negation; a negation
    word inside a longer negation phrase ("no evidence of") counts once."""
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
    return [m for m in mods if not _inside_a_longer(m, mods)]


def _inside_a_longer(m: _ModHit, mods: list[_ModHit]) -> bool:
    return any(
        o is not m
        and o.mod is m.mod
        and o.start <= m.start
        and m.end <= o.end
        and (o.end - o.start) > (m.end - m.start)
        for o in mods
    )


def _targets(
    text: str, sentence: tuple[int, int], stops: Sequence[int], present: _Present
) -> list[_Hit]:
    """Targets and features of the vocabulary that `checks` keeps as the marrow's."""
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    hits: list[_Hit] = []
    for i, ((kind, pattern, subtype), kw) in enumerate(zip(_TARGETS, _KW_TARGETS, strict=True)):
        # the keyword prefilter, inline (it runs for every pattern of every sentence)
        if present is not None and (
            present.isdisjoint(kw)
            or (i in _KW_TARGET_ALSO and present.isdisjoint(_KW_TARGET_ALSO[i]))
        ):
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
    return hits


def _normal_statements(s_text: str, sentence: tuple[int, int], present: _Present) -> list[_Hit]:
    """Normal-marrow statements, as negated marrow-signal hits of subtype "normal"."""
    if present is not None and present.isdisjoint(_KW_NORMAL):
        return []
    out: list[_Hit] = []
    for m in _NORMAL_MARROW.finditer(s_text):
        if _LOSS_OF.search(s_text[: m.start()]):
            continue  # "loss of normal fatty marrow signal" is abnormal
        out.append(
            _Hit(
                FeatureKind.MARROW_SIGNAL,
                sentence[0] + m.start(),
                sentence[0] + m.end(),
                sentence,
                "normal",
                negated=True,
            )
        )
    return out


def _to_own_clause(text: str, hits: list[_Hit], stops: Sequence[int]) -> None:
    """A phrase matched across a clause boundary ("vertebral bodies which demonstrate patchy")
    belongs to the clause its abnormal word is in."""
    for hit in hits:
        inner = [stop for stop in stops if hit.start < stop < hit.end]
        if inner:
            hit.start = _AFTER_TERMINATOR.match(text, max(inner)).end()  # type: ignore[union-attr]


def _interval_changes(
    text: str,
    sentence: tuple[int, int],
    stops: Sequence[int],
    present: _Present,
    pseudo: list[_Pseudo],
    has_target: bool,
) -> list[_Hit]:
    """Interval changes said of the marrow ("new lesions", "increased in size"), not of a disc or
    another organ ("larger disc protrusion", "enlarged adrenal nodule")."""
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    out: list[_Hit] = []
    for (ikind, interval, pattern), kw in zip(_INTERVAL, _KW_INTERVAL, strict=True):
        if present is not None and present.isdisjoint(kw):
            continue
        for m in pattern.finditer(s_text):
            span = (s_start + m.start(), s_start + m.end())
            if any(
                _overlaps(span, (p0, p1))
                for meaning, p0, p1 in pseudo
                if meaning not in {"no-longer", "then-absent"}
            ):
                continue
            if _change_of_the_marrow(text, span, sentence, stops, has_target):
                out.append(_Hit(ikind, span[0], span[1], sentence, interval=interval))
    return out


def _change_of_the_marrow(
    text: str,
    span: tuple[int, int],
    sentence: tuple[int, int],
    stops: Sequence[int],
    has_target: bool,
) -> bool:
    clause = _clause_of(span[0], sentence, stops)
    if not has_target and _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]]):
        return False
    if has_target and _NOT_MARROW_CONTEXT.search(text[span[0] : clause[1]][:40]):
        return False  # "larger disc protrusion": the change is about something else
    where = anchor(text, span[0], span[1], clause)
    # "enlarged adrenal nodule", "progressive sensory symptoms"
    return not (where is Anchor.ORGAN or (where is Anchor.NONE and not has_target))


_PSEUDO_FINDING = {
    "stable": (FeatureKind.STABLE, IntervalChange.STABLE, "", False),
    "no-new": (FeatureKind.NEW_LESION, IntervalChange.NEW_LESION, "pseudo", True),
    "no-increase": (FeatureKind.INTERVAL_INCREASE, IntervalChange.INCREASED, "pseudo", True),
}


def _pseudo_findings(
    text: str,
    sentence: tuple[int, int],
    stops: Sequence[int],
    pseudo: list[_Pseudo],
    has_target: bool,
) -> list[_Hit]:
    """What a pseudo-negation says: stable, or newness / increase denied."""
    out: list[_Hit] = []
    for meaning, p0, p1 in pseudo:
        clause = _clause_of(p0, sentence, stops)
        if not has_target and _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]]):
            continue
        if meaning in _PSEUDO_FINDING:
            kind, interval, subtype, negated = _PSEUDO_FINDING[meaning]
            out.append(_Hit(kind, p0, p1, sentence, subtype, negated=negated, interval=interval))
    return out


def _without_newness_targets(
    hits: list[_Hit], pseudo: list[_Pseudo], stops: Sequence[int]
) -> list[_Hit]:
    """ "no new focal lesion": only newness is negated; the lesion is neither asserted nor denied,
    so the target inside the scope of "no new" is not kept (the negated NEW_LESION is)."""
    for meaning, p0, p1 in pseudo:
        if meaning != "no-new":
            continue
        scope = _ModHit(_Mod.NEG_FWD, p0, p1, "")
        hits = [
            h
            for h in hits
            if not (
                h.kind in TARGET_KINDS
                and (_in_forward_scope(scope, h, stops) or _overlaps((p0, p1), (h.start, h.end)))
                and h.subtype != "normal"
            )
        ]
    return hits


def _apply_modifiers(
    text: str,
    sentence: tuple[int, int],
    hits: list[_Hit],
    mods: list[_ModHit],
    stops: Sequence[int],
) -> list[int]:
    """Each modifier to the targets in its scope. A negation's scope also ends at a new finding
    phrase that carries its own descriptor ("without fracture, with diffusely heterogeneous
    marrow"; SPEC.md 3). Returns the negation stops, for the uncertain reading."""
    s_start, s_end = sentence
    neg_stops = sorted({*stops, *_negation_breaks(text[s_start:s_end], s_start)})
    for hit in hits:
        if hit.kind is FeatureKind.ENHANCEMENT and _NON_PREFIX.match(text, hit.start):
            hit.negated = True  # "non-enhancing": the enhancement alone is denied
            continue
        if hit.subtype not in {"normal", "pseudo"}:
            for mh in mods:
                _apply(mh, hit, neg_stops if mh.mod is _Mod.NEG_FWD else stops, text)
        if hit.kind is FeatureKind.CHEMICAL_SHIFT_DROP:
            hit.negated = False  # "no signal loss" is a value (0%), not a negation
    return neg_stops


# a plain denial between the marrow and its adjective ("the marrow is not heterogeneous"); a
# qualified one ("is not clearly heterogeneous") is left to the uncertain reading
_DENIED_INSIDE = re.compile(
    r"\b(?:is|are|was|were|appears?|looks?|seems?)\s+not\s+(?!(?:clearly|definitely|convincingly|"
    r"confidently|definitively|entirely|completely|obviously|only)\b)",
    re.IGNORECASE,
)


def _sentence_checks(
    text: str,
    sentence: tuple[int, int],
    hits: list[_Hit],
    mods: list[_ModHit],
    neg_stops: Sequence[int],
    stops: Sequence[int],
) -> list[_Hit]:
    """Uncertain readings, benign comparisons, features said of nothing in particular,
    distribution words and general statements."""
    s_start, s_end = sentence
    s_text = text[s_start:s_end]
    for hit in hits:
        if (
            hit.kind is FeatureKind.MARROW_SIGNAL
            and hit.subtype != "not-normal"
            and _DENIED_INSIDE.search(text, hit.start, hit.end)
        ):
            hit.negated = True  # "the marrow is not heterogeneous": the phrase denies itself
    _mark_uncertain(text, hits, mods, neg_stops)
    for hit in hits:
        if hit.kind is FeatureKind.MARROW_SIGNAL and _SELF_CONTRADICTION.search(
            text, hit.start, hit.end
        ):
            hit.uncertain = True  # "heterogeneous and normal signal at L3": kept, uncertain
    hits = [_benign_comparison_denied(h, text) for h in hits if not _partial_benign(h)]
    if any(not h.negated and h.kind in _NEEDS_MARROW_CONTEXT for h in hits) and not (
        _MARROW_WORD.search(s_text) or mentions_bone(s_text) or _REFERS_BACK.search(s_text)
    ):
        # an affirmed enhancement or high signal said of nothing in particular is not a marrow
        # feature (a denied one is kept: "abnormal enhancement is not identified")
        hits = [h for h in hits if h.negated or h.kind not in _NEEDS_MARROW_CONTEXT]
    hits.extend(_distribution(text, sentence, hits, stops))
    return _drop_general_statements(s_text, s_start, hits)


# "Expansile lytic lesions in the sacrum and ilium. Avid enhancement of both.": a pronoun that
# ends its clause speaks of what the sentence before named (never "of both kidneys")
_REFERS_BACK = re.compile(
    r"\b(?:of|in|within)\s+(?:both|each|them|these|all\s+(?:three|four|of\s+them))\s*(?:[.;,]|$)|"
    r"^\W*(?:both|they|each)\s+(?:\w+\s+)?enhanc",
    re.IGNORECASE,
)


def _hedges(hits: list[_Hit], mods: list[_ModHit]) -> list[str]:
    """A hedge word counts for the report when its sentence states a present finding: hedges
    qualify the interpretation ("..., likely reconversion"), before or after the finding."""
    if any(
        (h.kind in TARGET_KINDS or h.kind is FeatureKind.BENIGN_HEDGE)
        and not h.negated
        and not h.historical
        and h.subtype != "normal"
        for h in hits
    ):
        return list(dict.fromkeys(mh.label for mh in mods if mh.label))
    return []
