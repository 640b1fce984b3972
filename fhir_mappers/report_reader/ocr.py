"""Report text that went through a fax and optical character recognition (OCR) before it reached
the EHR: "foca1 1esions", "rnarrow", "MRl SPlNE", "lMPRESSl0N".

Only a text that shows the signs of OCR is touched (at least `_MIN_SIGNS` words with a 0 or 1
inside letters: "signa1", "1esion", "C1inical"); ordinary report text ("T1W", "L5-S1", "10mm",
"1.5 T") is never changed.

- `shadow(text)`: the same text with the confusions that keep its length undone, word by word:
  0 / 1 among letters -> o / l (O / I in a capitalised word), a lower-case l in a capitalised word
  -> I ("MRl" -> "MRI"), a capital I after a lower-case letter -> l ("MiId" -> "Mild"). Offsets do
  not move, so headings found in the shadow are headings of the text as sent.
- `repair(text)`: the shadow, and "rn" read back as "m" in a word that becomes one the reader
  knows ("rnarrow" -> "marrow", "crn" -> "cm"), with an offset map back to the text as sent.

Cost linear in the text: one pass over its words.
"""

from __future__ import annotations

import re

_SIGN = re.compile(r"[a-z]{2}[01][a-z]|(?<![\w.])[01][a-z]{3,}|[a-z]{3}[01](?![\w.])")
_MIN_SIGNS = 2
# a word of letters with 0 / 1 among them; not a level or sequence name ("T1W", "S1", "C0")
_WORD = re.compile(r"(?<![\w.])[A-Za-z01]+(?![\w.])")
_LEVEL_LIKE = re.compile(r"[a-z][01]\d*[a-z]{0,2}", re.IGNORECASE)


def looks_scanned(text: str) -> bool:
    """Whether the text shows the signs of OCR (a few words with 0 or 1 inside letters)."""
    found = _SIGN.finditer(text)
    return all(next(found, None) is not None for _ in range(_MIN_SIGNS))


def _fixed_word(word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or _LEVEL_LIKE.fullmatch(word):
        return word
    upper = sum(1 for c in letters if c.isupper())
    capitalised = upper >= 2 and all(c.isupper() or c == "l" for c in letters)
    out = []
    for i, c in enumerate(word):
        if c == "1":
            c = "I" if capitalised else "l"
        elif c == "0":
            c = "O" if capitalised else "o"
        elif c == "l" and capitalised:
            c = "I"
        elif c == "I" and i > 0 and word[i - 1].islower():
            c = "l"
        out.append(c)
    return "".join(out)


def shadow(text: str) -> str:
    """The text with the length-keeping OCR confusions undone (the text itself when it shows no
    sign of OCR)."""
    return _shadow(text) if looks_scanned(text) else text


def _shadow(text: str) -> str:
    return _WORD.sub(lambda m: _fixed_word(m.group(0)), text)


# Words the reader needs whose OCR form has "rn" for "m" ("rnarrow", "rnild", "crn").
_KNOWN_WITH_M = frozenset(
    [
        "marrow",
        "mm",
        "cm",
        "mild",
        "mildly",
        "mottled",
        "muscle",
        "muscles",
        "musculature",
        "mass",
        "masses",
        "measuring",
        "measures",
        "measured",
        "measure",
        "metastasis",
        "metastases",
        "metastatic",
        "myeloma",
        "multiple",
        "multifocal",
        "malignant",
        "malignancy",
        "marginated",
        "margin",
        "margins",
        "minimal",
        "moderate",
        "moderately",
        "more",
        "mri",
        "impression",
        "abnormal",
        "abnormality",
        "abnormalities",
        "normal",
        "normally",
        "remains",
        "remaining",
        "recommend",
        "recommended",
        "comment",
        "comments",
        "compression",
        "comparison",
        "complete",
        "completely",
        "demonstrates",
        "demonstrated",
        "demonstrating",
        "examination",
        "exam",
        "immediately",
        "implies",
        "item",
        "lumbar",
        "lumbosacral",
        "sacrum",
        "femur",
        "femoral",
        "femora",
        "femurs",
        "humerus",
        "medullary",
        "intramedullary",
        "homogeneous",
        "homogeneously",
        "inhomogeneous",
        "inhomogeneously",
        "hypointense",
        "summary",
        "impressions",
        "mixed",
        "myelomatous",
        "plasmacytoma",
        "lymphoma",
        "small",
        "similar",
        "same",
        "time",
        "terminal",
        "mid",
        "segment",
        "segments",
    ]
)
_RN = re.compile(r"[A-Za-z]*rn[A-Za-z]*")


def repair(text: str) -> tuple[str, list[int] | None]:
    """(repaired text, offsets): offsets[i] is where character i of the repaired text came from
    in `text` (len + 1 entries); None when no word changed length (the text as it is when it
    shows no sign of OCR)."""
    if not looks_scanned(text):
        return text, None
    fixed = _shadow(text)
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _RN.finditer(fixed):
        word = m.group(0)
        if word.lower() in _KNOWN_WITH_M:
            continue
        candidate = word.replace("rn", "m")
        if candidate.lower() not in _KNOWN_WITH_M:
            continue
        out.append(fixed[pos : m.start()])
        offsets.extend(range(pos, m.start()))
        i = m.start()
        for part in re.split(r"(rn)", word):
            if part == "rn":
                out.append("m")
                offsets.append(i)
                i += 2
            else:
                out.append(part)
                offsets.extend(range(i, i + len(part)))
                i += len(part)
        pos = m.end()
    if not out:
        return fixed, None
    out.append(fixed[pos:])
    offsets.extend(range(pos, len(fixed)))
    offsets.append(len(fixed))
    return "".join(out), offsets
