"""Where a negation stops, and when it cannot be decided (SPEC.md section 3).

- A trigger's scope ends at a new finding phrase joined by "with", "and" or "," that carries its
  own descriptor ("without fracture, with diffusely heterogeneous marrow"); a list closed by
  "or" / "nor" stays negated ("no fracture, abnormal marrow signal or mass").
- Prefixes describe ("non-enhancing" denies only the enhancement).
- A negated benign comparison ("not brighter than the discs") is the worrisome feature.
- Uncertain reading: a target negated only by a trigger far before it, across a verb, is kept
  and marked uncertain (never silently NEGATIVE); so is a self-contradictory phrase
  ("heterogeneous and normal signal").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir_mappers.report_reader.measurements import _CLAUSE_MARK, measured_size_within
from fhir_mappers.report_reader.scope import (
    _Hit,
    _ModHit,
)
from fhir_mappers.report_reader.vocabulary import (
    _F,
    TARGET_KINDS,
    _Mod,
)
from logic.model import FeatureKind

_SELF_CONTRADICTION = re.compile(r"\b(?:and|or)\s+normal\b", _F)
_AFTER_TERMINATOR = re.compile(r"[\w;,]*\s*")
_NON_PREFIX = re.compile(r"non[\s-]?", _F)
# Words that give a finding phrase its own descriptor (SPEC.md section 3 negation scope).
_DESCRIPTOR = (
    r"(?:an?\s+)?(?:diffuse(?:ly)?|patchy|heterogene\w*|inhomogene\w*|mottled|variegated|mild(?:ly)?|"
    r"slight(?:ly)?|subtle|abnormal(?:ly)?|low|decreased|reduced|multiple|several|numerous|"
    r"innumerable|scattered|multifocal|focal|new|marked(?:ly)?|extensive|widespread|"
    # a count opens a finding of its own ("No fracture, with two enhancing lesions at L2 and L4")
    r"two|three|four|five|six|seven|eight|nine|ten|"
    r"(?:t1[\s-]+)?hypointense|enhancing|lytic|sclerotic|\d+(?:\.\d+)?\s*(?:mm|cm))\b"
)
_BREAK = re.compile(
    rf",\s*(?:with\s+|and\s+)?(?={_DESCRIPTOR})|\s(?:with|and)\s+(?={_DESCRIPTOR})"
    r"|(?:,\s*|\s)(?:and\s+)?(?=there\s+(?:is|are)\b)",
    _F,
)
_LIST_CLOSE = re.compile(r"\b(?:or|nor)\b", _F)


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
    # (a partial comparison made history by "no longer" is denied: `_benign_comparison_denied`)
    return (
        hit.kind is FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE
        and hit.subtype == "partial"
        and not hit.negated
        and not hit.historical
    )


# A benign comparison is denied only by a negation right before it ("not brighter", "no longer
# higher"); "free of infiltration, with normal T1 marrow signal brighter than the discs" denies
# the infiltration, not the comparison.
_DENIES_COMPARISON = re.compile(
    r"\b(?:not|no\s+longer|never|nor|isn't|aren't|n't)\s+(?:\w+ly\s+)?(?:any\s+)?$", _F
)


def _benign_comparison_denied(hit: _Hit, text: str) -> _Hit:
    """SPEC.md section 3: a negated benign comparison ("not brighter than the discs", "no longer
    higher than muscle") is the worrisome feature."""
    if hit.kind is not FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE:
        return hit
    denied_here = _DENIES_COMPARISON.search(text, max(0, hit.start - 30), hit.start)
    if hit.negated or (hit.historical and denied_here):
        # ("no longer higher than muscle" reads as history through its "no longer")
        hit.negated = hit.historical = False
        if denied_here:
            hit.kind = FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC
    return hit


_BROKEN_OFF = re.compile(r"\s*(?:--+|—|–\s|\.\.\.|…)")
# "There is no a 6 mm lytic lesion": "no" before an article is a dictation error ("now a",
# "noted a"?): whether the lesion is denied cannot be told
_NO_THEN_ARTICLE = re.compile(r"\s+(?:a|an)\s", re.IGNORECASE)
# "The marrow is no diffusely heterogeneous": the marrow as the subject of "is no" ("is now"?
# "is not"?)
_MARROW_IS_NO = re.compile(r"\b(?:marrow|signal)\s+(?:is|are|was|were)\s+$", re.IGNORECASE)


# "there is no mild heterogenous marrow signal in C6 is noted": two verbs for one finding
_THERE_IS = re.compile(r"\bthere\s+(?:is|are)\s+$", re.IGNORECASE)
_SECOND_VERB = re.compile(
    r"^[^.;:,]{0,80}?\b(?:is|are)\s+(?:noted|seen|identified|present|demonstrated)\b",
    re.IGNORECASE,
)


def _garbled_no(text: str, trigger: _ModHit, between: str, hit: _Hit) -> bool:
    """A "no" that dictation has garbled: before an article, after "the marrow is", or in a
    "there is no ..." that has a second verb of its own ("... is noted")."""
    if text[trigger.start : trigger.end].lower() != "no":
        return False
    return bool(
        _NO_THEN_ARTICLE.match(between)
        or _MARROW_IS_NO.search(text, max(0, trigger.start - 24), trigger.start)
        or (
            _THERE_IS.search(text, max(0, trigger.start - 12), trigger.start)
            and _SECOND_VERB.match(text[hit.end : hit.sentence[1]])
        )
    )


# Words that may stand between a negation and what it negates ("no MRI evidence of", "no
# definite", "no suspicious"): qualifiers, not another finding.
_QUALIFIERS = frozenset(
    [
        "a",
        "an",
        "the",
        "any",
        "definite",
        "definitive",
        "significant",
        "suspicious",
        "convincing",
        "obvious",
        "clear",
        "clearly",
        "appreciable",
        "further",
        "other",
        "additional",
        "evidence",
        "sign",
        "signs",
        "finding",
        "findings",
        "feature",
        "features",
        "mri",
        "ct",
        "imaging",
        "radiographic",
        "of",
        "to",
        "suggest",
        "suggesting",
        "area",
        "areas",
        "focus",
        "foci",
        "see",
        "seen",
        "identify",
        "identified",
        "detect",
        "detected",
        "appreciate",
        "appreciated",
        "demonstrate",
        "demonstrated",
        "show",
        "shows",
        "find",
        "found",
        "note",
        "noted",
        "there",
        "is",
        "are",
        "was",
        "were",
        "have",
        "has",
    ]
)
# a phrase with one of these between is one phrase ("no correlate for the outside-reported ...")
_LINKS = frozenset(["for", "of", "in", "at", "on", "to", "from", "by", "as", "than"])
_JOINED = re.compile(r"[,;:()]|\b(?:and|or|nor|with|without|but)\b", _F)
_STARTS_WITH_DESCRIPTOR = re.compile(_DESCRIPTOR, _F)


def _run_on_list(between: str, text: str, hit: _Hit) -> bool:
    """ "NO FRACTURE NO LISTHESIS PATCHY HETEROGENEOUS MARROW SIGNAL": with no punctuation or
    joiner,
    a negated noun followed by a marrow phrase with its own descriptor may be a new finding or the
    end of the list; SPEC.md section 3 keeps it, as an uncertain reading."""
    words = between.lower().split()
    # ("no fracture or listhesis patchy heterogeneous marrow": the list may be joined within,
    # but nothing joins its last noun to the marrow phrase)
    listed = bool(words) and not _JOINED.search(words[-1]) and not _PUNCT.search(between)
    if hit.kind in _LESION_KINDS and not (
        _LEVEL_LAST.search(between) and _SIZE_FIRST.match(text, hit.start)
    ):
        return False  # a lesion starts the next finding only as "... L3 8 mm ... focus"
    # "without a focal lesion or diffusely decreased T1 marrow signal": only words that describe
    # the target stand after the list's last joiner; it is the list's last item
    last_item = _JOINED.split(between.lower())[-1].split()
    return (
        hit.kind in _RUN_ON_KINDS
        and 1 <= len(words) <= 5
        and not _LINKS.intersection(words)
        and (not _JOINED.search(between) or listed)
        and not (
            _JOINED.search(between) and all(w in _QUALIFIERS or _describes(w) for w in last_item)
        )
        # a noun stands between ("no fracture patchy ..."), not only words that describe the
        # target ("no diffusely heterogeneous marrow signal" is a plain denial)
        and any(w not in _QUALIFIERS and not _describes(w) for w in words)
        and _STARTS_WITH_DESCRIPTOR.match(text, hit.start) is not None
    )


_PUNCT = re.compile(r"[,;:()]")
# ("No suspicious marrow lesion L3 8 mm T1 hypointense focus": a lesion may start the next
# finding as well)
_LESION_KINDS = frozenset({FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION})
_LEVEL_LAST = re.compile(r"\b[CTLS]\d{1,2}\s*$", re.IGNORECASE)
_SIZE_FIRST = re.compile(r"\d+(?:\.\d+)?\s*(?:mm|cm)\b", re.IGNORECASE)
_RUN_ON_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
    }
)
_DESCRIPTOR_WORD = re.compile(rf"{_DESCRIPTOR}$|\w+ly$", _F)


def _describes(word: str) -> bool:
    """A word that describes a finding ("diffusely", "patchy", "8 mm"), not a finding's noun."""
    return _DESCRIPTOR_WORD.match(word) is not None


def _double_negation(text: str, triggers: Sequence[_ModHit], nearest: _ModHit) -> bool:
    """ "There is no evidence of no focal marrow lesion": a negation of a negation, as speech
    recognition writes it; whether the finding stands is unknown."""
    return any(
        m is not nearest and m.end <= nearest.start and not text[m.end : nearest.start].strip()
        for m in triggers
    )


def _mark_uncertain(
    text: str, hits: list[_Hit], mods: Sequence[_ModHit], stops: Sequence[int]
) -> None:
    """SPEC.md section 3 "Uncertain reading": an abnormal-marrow target negated by a trigger that is
    far from it, across a verb, is kept (never silently NEGATIVE) and marked uncertain."""
    for hit in hits:
        if not hit.negated or hit.kind not in TARGET_KINDS or hit.subtype in {"normal", "pseudo"}:
            continue
        if (
            _only_qualified_denial(text, hit, mods, stops)
            or _DENIAL_DOUBTED.search(text, hit.end, hit.sentence[1])
            or _seen_on_some_images_only(text, hit, stops)
            # "No fracture, listhesis or ?heterogeneous marrow signal": a queried item of a denial
            or text[max(0, hit.start - 2) : hit.start].strip().endswith("?")
        ):
            # "The patchy marrow signal at L2 is not clearly seen on today's motion-degraded T1":
            # not denied, not affirmed
            hit.negated = False
            hit.uncertain = True
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
        if (
            (len(between.split()) > _FAR_WORDS and _VERBISH.search(between))
            or _BROKEN_OFF.match(between)
            or _garbled_no(text, nearest, between, hit)
            or _run_on_list(between, text, hit)
            or _TEMPLATE_THEN_FINDING.match(between) is not None
            or _TEMPLATE_IN_FINDING.search(text, nearest.end, hit.end) is not None
            or _SURE_THEN_MILD.match(between) is not None
            or _measured_in_an_open_list(text, nearest, between, hit)
            or _double_negation(text, triggers, nearest)
        ):
            # far across a verb, or a dictation that breaks off after the negation and starts
            # again ("There is no-- mildly patchy marrow signal"): which one stands is unknown
            hit.negated = False
            hit.uncertain = True


# "No marrow replacing process slightly heterogeneous marrow signal in L1", "Negative for
# fracture diffusely heterogenous marrow signal": a template's denial runs into a dictated
# finding with no stop between them; whether the denial reaches it is unknown: kept, uncertain
_TEMPLATE_THEN_FINDING = re.compile(
    r"\s*(?:[\w-]+\s+){0,3}?(?:process|fracture|abnormality|mass|collapse|o?edema|compression|"
    r"stenosis|effusion|erosions?|destruction)\s+(?:(?:slightly|mildly|diffusely|patchy|subtly|"
    r"minimally|markedly|moderately|somewhat)\s+)?$",
    re.IGNORECASE,
)


_TEMPLATE_IN_FINDING = re.compile(
    r"\b(?:process|fracture|abnormality|collapse|o?edema)\s+(?:slightly|mildly|diffusely|patchy|"
    r"subtly|minimally|markedly|moderately|somewhat)\s+(?:heterogene|inhomogene|mottled|patchy|"
    r"abnormal|low|decreased)",
    re.IGNORECASE,
)


# "There is no definite mildly heterogeneous marrow signal within L4": a denial of certainty
# followed by a mild finding contradicts itself (dictation that dropped a word); kept, uncertain
_SURE_THEN_MILD = re.compile(
    r"\s*(?:definite|definitive|convincing|clear|obvious)\s+(?:mild|mildly|slight|slightly|subtle|"
    r"subtly|minimal|minimally|faint|faintly)\s+\S*\s*$",
    re.IGNORECASE,
)


# "No cord compression, epidural mass, lesions in L2 and L4 measuring 9 and 12 mm": a list that
# no "or" closes, whose lesion is measured -- nobody measures what is not there; kept, uncertain
_CLOSES_LIST = re.compile(r"\b(?:or|nor)\b", re.IGNORECASE)


def _measured_in_an_open_list(text: str, trigger: _ModHit, between: str, hit: _Hit) -> bool:
    return hit.kind in _LESION_KINDS and (
        (
            "," in between
            and _CLOSES_LIST.search(text, trigger.end, hit.sentence[1]) is None
            and measured_size_within(text, hit.start, _MEASURE_REACH) is not None
        )
        # "No focal lesion in L4 measuring 7 mm with restricted diffusion"
        or _measuring(text, hit.end)
    )


_MEASURE_REACH = 60  # characters from the lesion to its size
_MEASURING_WORD = re.compile(r"\bmeasur\w*\s+", re.IGNORECASE)


def _measuring(text: str, at: int) -> bool:
    """ "measuring 7 mm" just after the lesion (not "measuring 5 mm or more": a threshold)."""
    word = _MEASURING_WORD.search(text, at, at + _MEASURE_REACH)
    if word is None or _CLAUSE_MARK.search(text, at, word.start()):
        return False
    size = measured_size_within(text, word.end(), 12)
    return size is not None and size.start() == word.end()


_QUALIFIED_DENIAL = re.compile(
    r"\bnot\s+(?:clearly|definitely|convincingly|confidently|definitively)\s|\?\s*not\b",
    re.IGNORECASE,
)


def _only_qualified_denial(
    text: str, hit: _Hit, mods: Sequence[_ModHit], stops: Sequence[int]
) -> bool:
    """The target's only denial is a qualified one after it ("is not clearly seen")."""
    denials = [
        m
        for m in mods
        if m.mod in {_Mod.NEG_FWD, _Mod.NEG_BACK}
        and not any(min(m.end, hit.end) <= stop < max(m.start, hit.start) for stop in stops)
    ]
    return bool(denials) and all(
        m.mod is _Mod.NEG_BACK
        and m.start >= hit.end
        and (
            _QUALIFIED_DENIAL.search(text, max(0, m.start - 2), m.end) is not None
            or text[m.end : m.end + 3].lstrip().startswith("?")  # "not seen ?"
        )
        for m in denials
    )


# "there is questionable subtle heterogeneous marrow signal in L4, not seen on the motion
# degraded axial images": seen on one sequence and not on another, the finding is neither
# affirmed nor denied (a plain "Focal lesion not seen on the sagittal or axial images" is a denial:
# the finding must be affirmed before it)
_NOT_SEEN_ON_SOME = re.compile(
    r"\bnot\s+(?:clearly\s+|definitely\s+)?(?:seen|visible|reproduced|confirmed|identified)\s+on\s+"
    r"(?:the\s+)?(?:all|every|other|motion[\s-]degraded|\w+[\s-]degraded|axial|sagittal|coronal|"
    r"stir|t1|t2|dixon|opposed[\s-]phase|in[\s-]phase|post[\s-]?contrast|fat[\s-]sat\w*)\b",
    re.IGNORECASE,
)
_AFFIRMED_BEFORE = re.compile(
    r"\b(?:there\s+(?:is|are)|questionable|possible|query)\b|\?", re.IGNORECASE
)


def _seen_on_some_images_only(text: str, hit: _Hit, stops: Sequence[int]) -> bool:
    affirmed = _AFFIRMED_BEFORE.search(text, hit.sentence[0], hit.start)
    if affirmed is None or _DENIED_BETWEEN.search(text, affirmed.end(), hit.start) is not None:
        return False  # ("There is no focal marrow lesion, not seen on the STIR images either")
    # in the finding's own clause, up to the next negation stop ("...; the previously questioned
    # area is not seen on the axial images" speaks of another)
    clause_end = min((s for s in stops if hit.end <= s < hit.sentence[1]), default=hit.sentence[1])
    return _NOT_SEEN_ON_SOME.search(text, hit.end, clause_end) is not None


_DENIED_BETWEEN = re.compile(r"\b(?:no|not|without|negative|free|nor)\b", re.IGNORECASE)


# "No definite patchy marrow signal in L5, though this is difficult to exclude given the motion":
# the report itself doubts its denial
_DENIAL_DOUBTED = re.compile(
    r"\b(?:this|it|which|that)\s+(?:is\s+|was\s+|remains\s+)?(?:difficult\s+to|cannot\s+be|"
    r"can\s*not\s+be|could\s+not\s+be|not\s+possible\s+to)\s+(?:exclude[d]?|rule[d]?\s+out)\b|"
    # "is not seen on this study, possibly related to differences in technique": not seen may be
    # the technique's doing, not the finding's absence
    r"\b(?:possibly|probably|perhaps|may\s+be|might\s+be|could\s+be)\s+(?:related\s+to\s+|due\s+to\s+|"
    r"because\s+of\s+|from\s+)?(?:(?:the\s+)?differences?\s+in\s+)?(?:technique|technical|"
    r"slice\s+thickness|artefact|artifact|motion|positioning|partial\s+volume)|"
    # "No convincing patchy marrow signal, though the left iliac wing is not entirely clear"
    r"\b(?:though|although|but)\s+(?:[\w-]+\s+){0,6}?(?:is|are)\s+not\s+(?:entirely|completely|"
    r"fully|totally)\s+(?:clear|excluded)",
    re.IGNORECASE,
)
