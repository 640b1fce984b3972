"""Sentences, clauses and modifier scope: the ConText half of the report reader (SPEC.md section 3).

The text is cut into sentences (`_sentences`, abbreviations such as "approx." do not end one) and
each sentence into clauses at terminators. A *modifier* applies to a *target* only inside its
scope (`_apply`):

- negation triggers (no, without, negative for, free of, not seen, ...) have a scope that runs
  forward (or, for "not seen"/"is absent", backward) to the end of the clause: the sentence end or
  but / however / although / except / ";". So "diffuse heterogeneity without a discrete focal
  lesion" negates only the lesion.
- pseudo-negations ("no change in", "not significantly changed", "no new", "no interval
  increase") are matched first and swallow their "no" (see `sentence`): the finding stays
  present; "no new" negates only newness; "no longer" / "resolved" make a finding historical.
- hedges: severity (slight, mild, subtle, minimal) and uncertainty (nonspecific, may represent,
  likely, favoured/favored, probably, could reflect, possible, cannot exclude ...). British and
  American spellings throughout (the words live in `vocabulary`).

Also here: `_Hit` / `_ModHit` (a target or modifier found in the text, by character span) and
`_dedupe` (the longest of overlapping hits of one kind wins).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from fhir_mappers.report_reader.vocabulary import (
    _ABBREVIATIONS,
    _AND_CUT,
    _BACKWARD_WINDOW,
    _BOUNDARY,
    _BOUNDARY_CASELESS,
    _KW_TERMINATOR,
    _TERMINATOR,
    _Kind,
    _Mod,
)
from logic.model import FeatureKind, IntervalChange


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
    uncertain: bool = False  # negation could not be decided: kept as present (SPEC.md 3)


@dataclass
class _ModHit:
    mod: _Mod
    start: int
    end: int
    label: str


# A sentence longer than this is cut (at the last comma / semicolon, else the last space) so
# that the work per sentence is bounded and the reader's cost stays linear in the text (issue 16):
# dictation systems produce long unpunctuated runs. Real report sentences are far shorter.
MAX_SENTENCE_CHARS = 400
_CUT_SEARCH_FROM = 200  # a cut is looked for in the second half of an over-long sentence


def _caseless(text: str) -> bool:
    """Whether the text is written without capitals (then case cannot mark a sentence start)."""
    # the reader's own block labels ("FINDINGS:", "IMPRESSION:") say nothing of the writer
    body = text.replace("FINDINGS:\n", "").replace("IMPRESSION:\n", "")
    letters = len(_LETTER.findall(body))
    return letters >= 20 and len(_CAPITAL.findall(body)) * 66 <= letters


_LETTER = re.compile(r"[^\W\d_]")
_CAPITAL = re.compile(r"[A-Z]")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    caseless = _caseless(text)
    boundary = _BOUNDARY_CASELESS if caseless else _BOUNDARY
    for match in boundary.finditer(text):
        mark = match.group(0)
        if mark.startswith("."):
            words = text[max(start, match.start() - 12) : match.start()].split()
            if words and words[-1].lower().rstrip(".") in _ABBREVIATIONS:
                continue
        if (
            mark.startswith("\n")
            and "\n" not in mark[1:]
            and _wrapped_line(text, match.start(), prose=not caseless)
        ):
            continue  # a hard line wrap inside a sentence ("measuring\n8 mm")
        end = match.end() if mark[0] in ".!?" else match.start()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        while e - s > MAX_SENTENCE_CHARS:
            cut = _cut_point(text, s)
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


def _wrapped_line(text: str, newline: int, *, prose: bool = True) -> bool:
    """True when the line ending at `newline` stops mid-phrase: it ends with a comma or a word that
    cannot end a sentence ("of", "the", "measuring", "and" ...), so the next line continues it."""
    tail = text[max(0, newline - 20) : newline].rstrip()
    if not tail or tail[-1] in ".:;!?)":
        return False
    if tail[-1] == ",":
        return True
    last = tail.rsplit(None, 1)[-1].lower()
    return last in CONTINUATION_WORDS or (prose and _filled_line(text, newline))


# A line wrapped at a fixed width by a PDF, a fax or a transcription system: it is long, stops
# without punctuation, and the next line does not start a heading, a list item or a level line
# ("L4-5: ..."). Template lines ("No fracture" / "Patchy marrow at L3") are short.
_WRAP_WIDTH = 60
_STARTS_OWN_LINE = re.compile(
    r"[ \t]*(?:[-*•#]|\d{1,2}[.)]\s|[A-Za-z][A-Za-z /&'()-]{0,40}:|(?i:slide)\s+\d{1,3}\b|"
    r"[CTLS]\d{1,2}(?:\s*[-/–]\s*[CTLS]?\d{1,2})?\s*:|$)"
)


def _filled_line(text: str, newline: int) -> bool:
    """Only in prose: written in mixed case, the next line starting in lower case or the wrapped
    line holding a sentence of its own before (text in capitals with no punctuation is a list of
    lines, each its own statement)."""
    line_start = text.rfind("\n", 0, newline) + 1
    if newline - line_start < _WRAP_WIDTH or _STARTS_OWN_LINE.match(text, newline + 1):
        return False
    line = text[line_start:newline]
    if line.upper() == line:
        return False
    nxt = text[newline + 1 : newline + 2]
    return nxt.islower() or bool(_PROSE_MARK.search(line))


_PROSE_MARK = re.compile(r"[a-z][.,;] +\S")


CONTINUATION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "with",
        "without",
        "in",
        "at",
        "to",
        "by",
        "for",
        "from",
        "measuring",
        "measures",
        "is",
        "are",
        "was",
        "were",
        "than",
        "as",
        "on",
        "within",
        "involving",
        "including",
        "into",
        "throughout",
        "demonstrating",
        "showing",
        "shows",
        "suggesting",
        "which",
        "that",
        "there",
        "this",
        "these",
    ]
)


def _cut_point(text: str, start: int) -> int:
    """Where to cut an over-long sentence that starts at `start`: after the last , or ; of its
    second half, else at the last white space, else hard at the limit. Bounded work."""
    window = text[start + _CUT_SEARCH_FROM : start + MAX_SENTENCE_CHARS]
    for marks in (",;", " \t\n"):
        best = max(window.rfind(m) for m in marks)
        if best >= 0:
            return start + _CUT_SEARCH_FROM + best + 1
    return start + MAX_SENTENCE_CHARS


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@lru_cache(maxsize=512)
def _terminators(sentence: str, offset: int, *, prefilter: bool = True) -> tuple[int, ...]:
    """Positions of the clause terminators (but / however / ";" ...) in a sentence at `offset`."""
    lowered = sentence.lower()
    if prefilter and not any(k in lowered for k in _KW_TERMINATOR):
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
    # "no longer seen" / "has resolved" close a longer statement than a negation does: "the
    # patchy marrow heterogeneity described at L3 and L4 on the outside examination is no longer
    # seen"
    # and so does "was not reproduced / confirmed": "the area of abnormal marrow signal in the left
    # ilium that had been queried in the spring was not reproduced"
    closes = mod.mod is _Mod.HIST_BOTH or (
        mod.mod is _Mod.NEG_BACK and _CLOSES_A_STATEMENT.search(text, mod.start, mod.end)
    )
    window = _HISTORY_BACKWARD_WINDOW if closes else _BACKWARD_WINDOW
    return len(text[hit.end : mod.start].split()) <= window


_HISTORY_BACKWARD_WINDOW = 16
_CLOSES_A_STATEMENT = re.compile(r"(?:confirmed|substantiated|corroborated|reproduced)$", re.I)


def _clause_of(pos: int, sentence: tuple[int, int], stops: Sequence[int]) -> tuple[int, int]:
    start, end = sentence
    for stop in stops:
        if stop <= pos:
            start = max(start, stop)
        elif stop < end:
            end = stop
            break
    return start, end


def _segment(text: str, sentence: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """The stretch of a sentence around [start, end) between "and" / ";" cuts."""
    cuts = [m.start() for m in _AND_CUT.finditer(text, sentence[0], sentence[1])]
    seg_start = max((c for c in cuts if c <= start), default=sentence[0])
    seg_end = min((c for c in cuts if c >= end), default=sentence[1])
    return seg_start, seg_end


def _sentence_of(sentences: Sequence[tuple[int, int]], pos: int) -> tuple[int, int]:
    """The sentence that contains `pos` (sentences sorted by start: a binary search)."""
    i = bisect_right(sentences, (pos, len_max)) - 1
    if i >= 0 and sentences[i][0] <= pos < sentences[i][1]:
        return sentences[i]
    return (pos, pos)


len_max = 1 << 62


_HEDGE_MODS = frozenset({_Mod.SEVERITY, _Mod.UNCERTAIN, _Mod.POSSIBLE})


def _apply(mh: _ModHit, hit: _Hit, stops: Sequence[int], text: str) -> None:
    """Apply one modifier to one target if the target lies in its scope (ConText)."""
    inside = mh.start >= hit.start and mh.end <= hit.end
    if _overlaps((mh.start, mh.end), (hit.start, hit.end)):
        if not inside:
            return
        # a modifier inside the target phrase: "mildly heterogeneous", "non-enhancing"
        if mh.mod is _Mod.NEG_FWD and (hit.kind is FeatureKind.ENHANCEMENT or mh.start > hit.start):
            # "non-enhancing"; "the marrow does not demonstrate abnormal signal" (a pattern
            # that spans its noun and its adjective spans the negation between them)
            hit.negated = True
        elif mh.mod in _HEDGE_MODS:
            hit.hedged = True
            hit.possible = hit.possible or mh.mod is _Mod.POSSIBLE
        return
    fwd = _in_forward_scope(mh, hit, stops)
    if fwd and mh.mod is _Mod.NEG_FWD and _TAKEN_FOR.match(text, mh.start):
        # "The L3 lesion, previously mistaken on CT for a haemangioma, is a 14 mm metastasis":
        # what it was taken for is denied, up to the comma that closes the aside
        fwd = "," not in text[mh.end : hit.start]
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
    ) and not _present_now(mh, hit, text):
        hit.historical = True


_TAKEN_FOR = re.compile(
    r"(?:mistaken|misdiagnosed|misread|misinterpreted|mistaken|over[\s-]?(?:read|called|"
    r"interpreted|diagnosed)|confused|mimick|simulating)",
    re.IGNORECASE,
)


# What makes a finding this study's although its sentence also speaks of the past ("Compared with
# the baseline MRI, the L3 lesion has enlarged to 14 mm", "On the prior study the lesion measured
# 8 mm, now 12 mm", "... was first reported in 2023 and now measures 15 mm").
_PRESENT_NOW = re.compile(
    r"\b(?:has|have)\s+(?:since\s+)?(?:grown|enlarged|increased|progressed|extended|spread)\b|"
    r"\b(?:now|currently|today)\s+(?:measur\w*|\d|larger|bigger|more|involv\w*|extend\w*|also|"
    r"seen|shows?|demonstrat\w*|present|visible)|\bthere\s+(?:is|are)\s+now\b(?!\s+(?:normal|no|unremarkable|only))|"
    r"\bthere\s+(?:is|are)\s+(?:a\s+)?new\b|"
    r"\bnow\s+(?:multiple|several|numerous|new|two|three)\b|"
    r"\bon\s+(?:this|the\s+current|today'?s|the\s+present)\s+(?:study|mri|examination|exam|scan)\b|"
    # still there: "previously seen lesion ... is stable", "which persists", "again demonstrated"
    r"\b(?:stable|unchanged|persist\w*|again\s+(?:seen|noted|demonstrated|identified|shown))\b|"
    r"\bremains?\b(?!\s+(?:normal|unremarkable|absent|resolved|clear|negative))",
    re.IGNORECASE,
)
# ... but what has gone is gone: "no longer seen", "has resolved", "returned to normal"
_GONE = re.compile(r"no\s+longer|resolved|normali[sz]ed|returned\s+to\s+normal", re.IGNORECASE)


# words of a supposition: what follows was never seen, however present its tense ('If the report
# had said "stable 8 mm focus"', "Had the MRI shown ...", 'I nearly wrote "..."')
_SUPPOSED = re.compile(r"\W*(?:if|had|nearly|almost|compare|as\s+(?:if|though))\b", re.IGNORECASE)


def _present_now(mh: _ModHit, hit: _Hit, text: str) -> bool:
    """The sentence says, after its words of the past, that the finding is there now."""
    if _GONE.match(text, mh.start) or _SUPPOSED.match(text, mh.start):
        return False
    return _PRESENT_NOW.search(text, min(mh.end, hit.start), hit.sentence[1]) is not None


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
