"""Report text as radiologists write it -> one spelling the reader's vocabulary knows (SPEC.md §3).

"Words as reports write them": misspellings ("heterogenous", "inhomogenous"), abbreviations ("SI"
for signal intensity, "T1W", "T1WI"), hyphenated and glued sizes ("8-mm", "8mm"), "disk" for disc,
"hypo-intense". The reader runs on the normalised text and maps every span back to the text as
sent (`Normalised.original_span`), so a card always quotes the report's own words.

One pass of one compiled alternation over the text: cost linear in its length.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from fhir_mappers.report_reader.ocr import repair

# (pattern, replacement). Case-insensitive unless the pattern says (?-i:...).
_RULES: tuple[tuple[str, str], ...] = (
    (r"\bhet(?:e)?ro(?:g|gn)en(?:ous|ious|eous|eaous)\b", "heterogeneous"),
    (r"\bhet(?:e)?ro(?:g|gn)en(?:ously|iously|eously)\b", "heterogeneously"),
    (r"\bhetrogene(?:ous|ity)\b", "heterogeneous"),
    (r"\bheterogenicity\b", "heterogeneity"),
    # typing slips of the target words ("Diffusley heterogenous marow signal")
    (r"\bmar(?:ow|rrow|roow)\b", "marrow"),
    (r"\bdif+us(?:ley|ly|elly)\b|\bdifusely\b", "diffusely"),
    (r"\bdifuse\b", "diffuse"),
    (r"\binhomogen(?:ous|ious|eous)\b", "inhomogeneous"),
    (r"\bnon-?homogene?ous\b", "inhomogeneous"),
    (r"\b(?-i:SI)\b", "signal intensity"),
    (r"\bT1W(?:I)?\b|\bT1-W(?:I)?\b", "T1-weighted"),
    (r"\bT2W(?:I)?\b|\bT2-W(?:I)?\b", "T2-weighted"),
    (r"\bdisks\b", "discs"),
    (r"\bdisk\b", "disc"),
    (r"\bhypo-intens", "hypointens"),
    (r"\bhyper-intens", "hyperintens"),
    (r"\biso-intens", "isointens"),
    (r"\bc/w\b", "consistent with"),
    (r"\bw/o\b", "without"),
    (r"\bmets\b", "metastases"),
    (r"\bmyelomatous\b", "myeloma"),
    # speech-recognition homophones of negations ("Know new lesion", "no longer scene")
    (
        # (not straight after a negation: "no evidence of know focal lesion" has a stray word,
        # not a second negation)
        r"(?<!\bof\s)(?<!\bno\s)(?<!\bnot\s)"
        r"\bknow(?=\s+(?:new|evidence|focal|suspicious|significant|abnormal|definite|marrow)\b)",
        "no",
    ),
    (r"\bscene\b", "seen"),
    # speech recognition of lesion words and sizes ("5 millimeter t one hypo intense legion")
    (r"\blegions\b", "lesions"),
    (r"\blegion\b", "lesion"),
    (r"\bt\s+one\b", "T1"),
    (r"\bt\s+two\b", "T2"),
    (r"\bhypo\s+intens", "hypointens"),
    (r"\bhyper\s+intens", "hyperintens"),
    (r"\bmillimet(?:er|re)s?\b", "mm"),
    (r"\bcentimet(?:er|re)s?\b", "cm"),
    (
        r"(?:(?<=\n)|(?<=[.:]\s)|(?<=[.:]\s\s)|^)know\b(?!\s+(?:that|of|if|whether|how|about)\b)",
        "no",
    ),
    (r"\bhetero[\s-]+gen(?:ius|ious|ous|eous)\b", "heterogeneous"),
    # "in homogeneous marrow" dictated for "inhomogeneous marrow"
    (
        r"\bin[\s-]+homogene(?=(?:ous|ously|ity)\b)",
        "inhomogene",
    ),
)
# A template prompt left in the report ("[Describe any focal lesion here]") is no finding: it is
# blanked, character for character.
_PROMPT = (
    r"\[[^\]\n]{0,80}?\b(?:describe|insert|enter|edit|select|choose|type|item|placeholder|"
    r"here|as\s+needed)\b[^\]\n]{0,80}\]|"
    # a pick-list's menu left in the text: "Marrow: Normal (options: normal / heterogeneous / ...)"
    r"\((?:options?|choices|select\s+one|pick\s+one)\s*:[^)\n]{0,200}\)"
)
# Sizes: "8-mm", "8mm", "0.8cm" -> "8 mm", "0.8 cm" (a hyphenated size is a size, never a count).
_SIZE_GLUE = r"(?P<num>\d(?:\.\d+)?)(?:-|(?=mm\b|cm\b))(?P<unit>mm|cm)\b"

# Every rule starts with one of these characters, a letter only at the start of a word (each
# word rule opens with a word boundary, or at a line start): look-arounds reject the others.
_FIRST = "(?:(?<!\\w)(?=[hinstdcwmkl])|(?=[0-9\\[(]))"
_PATTERN = re.compile(
    _FIRST
    + "(?:"
    + "|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(_RULES))
    + f"|(?P<size>{_SIZE_GLUE})|(?P<prompt>{_PROMPT}))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Normalised:
    """The normalised text and where each of its characters came from in the text as sent.

    The map is kept as the rewritten stretches only (a report rewrites a few words; the rest maps
    one to one), or, after an OCR repair or a flattened table, as one offset a character."""

    text: str
    # the rewritten stretches in text order: (start, end) in `text`, (start, end) in the original
    edits: tuple[tuple[int, int, int, int], ...] = ()
    table: tuple[int, ...] | None = None  # len(text) + 1 offsets, when set

    def offset(self, at: int) -> int:
        """Where character `at` of the normalised text came from (`at == len(text)`: the end)."""
        if self.table is not None:
            return self.table[at]
        i = bisect_right(self.edits, (at, _AFTER_ANY)) - 1
        if i < 0:
            return at
        start, end, o_start, o_end = self.edits[i]
        if at >= end:
            return o_end + (at - end)
        # every character of a replacement maps into the original match, proportionally
        width, length = o_end - o_start, end - start
        return o_start + min(width - 1, (at - start) * width // max(1, length))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that [start, end) of the normalised text came from."""
        # characters outside a rewritten word map one to one, so the original offset of the
        # character after the span is where the span ends in the original text
        first = self.offset(start)
        return first, max(first, self.offset(end))

    def offsets(self) -> tuple[int, ...]:
        """One offset a character (and one for the end): `len(text) + 1` entries."""
        if self.table is not None:
            return self.table
        return tuple(self.offset(i) for i in range(len(self.text) + 1))


_AFTER_ANY = 1 << 62  # sorts after any (start, ...) tuple with the same start


# Structured templates: "Marrow signal: [x] normal [ ] abnormal",
# "Suspicious focal bone lesion [ ]".
_BOX = re.compile(r"\[(?P<mark>[ xX✓✔✗]?)\]|(?P<glyph>[☐☑☒])")
_LINE = re.compile(r"[^\n]+")
# the text before a line's first box is a field label ("Marrow signal:", "Marrow ......"): the
# options follow their boxes; otherwise each box follows its option ("Normal marrow signal [x]")
_FIELD_LABEL = re.compile(r"(?:^|[:.\-–—]|\.{2,})[ \t]*$")


def _ticked(box: re.Match[str]) -> bool:
    mark = box.group("mark")
    return box.group("glyph") in {"☑", "☒"} if mark is None else mark.strip() != ""


def blank_unticked_options(text: str) -> str:
    """A template's options that are not ticked are blanked, character for character, with their
    boxes; a ticked option keeps its words (its box is blanked). "Focal marrow lesion: [ ] yes
    [x] no" reads "Focal marrow lesion: ... no"; "Normal marrow signal [x]  Suspicious focal bone
    lesion [ ]" reads "Normal marrow signal". Same length: every offset stays."""
    if "]" not in text and not any(g in text for g in "☐☑☒"):
        return text
    chars: list[str] | None = None
    for line in _LINE.finditer(text):
        boxes = list(_BOX.finditer(text, line.start(), line.end()))
        if not boxes:
            continue
        chars = chars if chars is not None else list(text)
        boxes_first = _FIELD_LABEL.search(text, line.start(), boxes[0].start()) is not None
        for i, box in enumerate(boxes):
            if _ticked(box):
                start, end = box.span()
            elif boxes_first:
                start = box.start()
                end = boxes[i + 1].start() if i + 1 < len(boxes) else line.end()
            else:
                start, end = (boxes[i - 1].end() if i else line.start()), box.end()
            chars[start:end] = " " * (end - start)
    return text if chars is None else "".join(chars)


def normalise(text: str) -> Normalised:
    """Rewrite spelling variants, abbreviations and glued sizes (and OCR confusions of a scanned
    report, `ocr.repair`); keep an offset map."""
    text, scanned = repair(blank_unticked_options(text))
    text, rows = _lesion_table_rows(text)
    if rows is not None:
        scanned = rows if scanned is None else [scanned[o] for o in rows]
    normalised = _rewrite(text)
    if scanned is None:
        return normalised  # no word changed length: offsets are the rewrite's own
    return Normalised(normalised.text, table=tuple(scanned[o] for o in normalised.offsets()))


# A table of lesions flattened into text ("Lesion | Level | Size" then "A | T11 | 8 mm"): each
# row under a header whose first cell names lesions is a lesion, so "Lesion " is written before
# the row (mapped to the row's first character) for the reader to count it with its own level
# and size. At most `_MAX_TABLE_ROWS` rows a report (bounded work).
_TABLE_HEADER = re.compile(
    r"^[ \t|]*(?:focal\s+)?(?:lesions?|foci|focus|deposits?)\b[^\n|]{0,20}\|[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_TABLE_ROW = re.compile(r"[ \t|]*[^\n|]{1,30}\|[^\n]*")
_MAX_TABLE_ROWS = 64


_NO_LESION_CELLS = frozenset({"", "none", "nil", "no", "n/a", "na", "-", "--", "—", "0"})


def _lesion_table_rows(text: str) -> tuple[str, list[int] | None]:
    if "|" not in text:
        return text, None
    starts: list[int] = []
    headers: list[tuple[int, int]] = []
    for header in _TABLE_HEADER.finditer(text):
        if len(headers) >= _MAX_TABLE_ROWS:
            break
        # the header's first cell names a column, not a lesion: blanked like a template prompt
        first = header.start() + len(header.group(0)) - len(header.group(0).lstrip(" \t|"))
        headers.append((first, text.index("|", first)))
        pos = header.end() + 1
        while pos < len(text) and len(starts) < _MAX_TABLE_ROWS:
            row = _TABLE_ROW.match(text, pos)
            if row is None or "\n" in row.group(0):
                break
            cells = row.group(0).lstrip(" \t|")
            if cells.split("|", 1)[0].strip().lower() not in _NO_LESION_CELLS:  # "None | - | -"
                starts.append(pos + len(row.group(0)) - len(cells))
            pos = row.end() + 1
    if not headers:
        return text, None
    pieces, pos = [], 0
    for a, b in headers:
        pieces += [text[pos:a], " " * (b - a)]
        pos = b
    text = "".join([*pieces, text[pos:]])
    if not starts:
        return text, None
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for start in starts:
        out.append(text[pos:start])
        offsets.extend(range(pos, start))
        # "Lesion" quotes the row's first cell ("A", "1", "Right iliac wing") as sent
        cell_end = len(text[start : text.index("|", start)].rstrip()) + start
        out.append("Lesion ")
        offsets.extend([start] * len("Lesion") + [max(start + 1, cell_end)])
        pos = start
    out.append(text[pos:])
    offsets.extend(range(pos, len(text) + 1))
    return "".join(out), offsets


def _rewrite(text: str) -> Normalised:
    out: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    pos = 0
    at = 0  # length of the normalised text so far
    for match in _PATTERN.finditer(text):
        start, end = match.span()
        out.append(text[pos:start])
        at += start - pos
        replacement = _replacement(match)
        out.append(replacement)
        edits.append((at, at + len(replacement), start, end))
        at += len(replacement)
        pos = end
    out.append(text[pos:])
    return Normalised("".join(out), tuple(edits))


def _replacement(match: re.Match[str]) -> str:
    if match.group("prompt") is not None:
        return " " * len(match.group("prompt"))
    if match.group("size") is not None:
        return f"{match.group('num')} {match.group('unit').lower()}"
    for i, (_, replacement) in enumerate(_RULES):
        found = match.group(f"r{i}")
        if found is not None:
            if found[:1].isupper() and replacement[:1].islower() and not found.isupper():
                return replacement[:1].upper() + replacement[1:]
            return replacement
    return match.group(0)  # pragma: no cover - every alternative is handled above
