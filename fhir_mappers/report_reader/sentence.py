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
    for i, ((kind, pattern, subtype), kw) in enumerate(zip(_TARGETS, _KW_TARGETS, strict=True)):
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
    hits = [_benign_comparison_denied(h, text) for h in hits if not _partial_benign(h)]
    if not (_MARROW_WORD.search(s_text) or mentions_bone(s_text)):
        # an affirmed enhancement or high signal said of nothing in particular is not a marrow
        # feature (a denied one is kept: "abnormal enhancement is not identified")
        hits = [h for h in hits if h.negated or h.kind not in _NEEDS_MARROW_CONTEXT]
    hits.extend(_distribution(text, sentence, hits, stops))
    hits = _drop_general_statements(s_text, s_start, hits)
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
