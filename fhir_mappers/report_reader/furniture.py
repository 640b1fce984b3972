"""A web page's furniture around a teaching case: not the patient's, never a statement.

A case page copied or converted from a website (a teaching file, a case collection) arrives with
the page around the case: lists of other cases ("Related cases", "Popular this week: Solitary
plasmacytoma of T11; ..."), readers' comments ("Reader comments", "user259: Ours had three lytic
lesions") and the like. Their words are titles of other patients' cases and other people's
patients: SPEC.md section 3 counts only this patient's findings. `page_furniture` gives the spans
the reader removes before it splits the report at its headings (a reader's "Comments (1)" is not
the radiologist's "Comment:").

One pass over the lines of the text (linear), each block bounded (`_MAX_LINES`, `_MAX_CHARS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A list of other cases or articles, under its own label ("More cases", "Similar cases",
# "Cases you may like", "Recently viewed: ..."): short titles, one a line.
_CASE_LIST = re.compile(
    r"[ \t]*(?:(?:more|similar|related|recent|recommended|featured|latest|other|popular|"
    r"trending|suggested|next|previous)\s+(?:cases?|articles?|quiz(?:zes)?|content|images|"
    r"image\s+challenges|challenges|questions|topics|posts|reading)"
    r"(?:\s+(?:on|in)\s+[\w ]{1,30})?|cases?\s+you\s+(?:may|might)\s+"
    r"(?:also\s+)?like|you\s+(?:may|might)\s+also\s+like|recently\s+viewed|most\s+(?:viewed|"
    r"read|popular)|popular\s+(?:this|last)\s+(?:week|month)|trending(?:\s+now)?|"
    r"in\s+this\s+(?:section|category)|see\s+also|cases?\s+in\s+this\s+(?:collection|series|"
    r"section|category))[ \t]*(?:\(\d+\))?[ \t]*(?P<colon>:)?",
    re.IGNORECASE,
)
# Readers' comments under their label ("Reader comments", "Comments (3)", "Discussion forum"); a
# report's own "Comment:" heading is the radiologist's and is not one of them.
_COMMENTS = re.compile(
    r"[ \t]*(?:(?:reader|readers'?|user|users'?|visitor|member)\s+comments?|"
    r"comments?(?=\s*\(\d+\))|"
    r"\d+\s+comments?|discussion\s+(?:forum|thread|board)|forum|leave\s+a\s+(?:comment|reply)|"
    r"add\s+(?:a\s+)?comment|replies|join\s+the\s+discussion)[ \t]*(?:\(\d+\))?[ \t]*:?[ \t]*$",
    re.IGNORECASE,
)
# A comment line by its author's handle ("Dr_C: Great case!", "user259: Ours had ..."): a name
# with an underscore, or letters then two or more digits (not a level label: "T12:", "L4:").
# (Not an image's or a series' label: "Image12:", "IMG03:", "Series05:")
_HANDLE_LINE = re.compile(
    r"[ \t]*(?!(?i:image|img|series|slice|fig|figure|scan|sequence)\d)"
    r"(?:[A-Za-z][A-Za-z.]*_[\w.]*|[A-Za-z]{3,}\d{2,}|(?i:guest|anonymous|moderator))[ \t]*:"
)
# The same labels inside a page flattened to one long line ("... Related cases Renal cell carcinoma
# bone metastasis Solitary plasmacytoma of T11 Published 15 Oct 2016"): written as a page writes
# them (capital first letter), each taking the text up to the next heading of the page, another
# label, or `_INLINE_REACH` characters.
# (Not "Previous images", "Recent images" or a "see also" without its colon: a flattened report's
# own words, "Previous images from 2019 were reviewed. FINDINGS: ...")
_INLINE_LABEL = re.compile(
    r"(?<!\S)(?:(?:Related|Similar|Recommended|Popular|Featured|Suggested)\s+"
    r"(?:cases|articles|quizzes|images|questions|image\s+challenges)|More\s+(?:cases|quizzes|"
    r"image\s+challenges)|(?:See\s+also|Trending|Tags|Recently\s+viewed)[ \t]*:|"
    r"Cases\s+in\s+this\s+(?:collection|series)|Cases\s+you\s+(?:may|might)\s+(?:also\s+)?like|You\s+(?:may|"
    r"might)\s+also\s+like|Recently\s+viewed|Most\s+viewed|Popular\s+this\s+(?:week|month)|"
    r"(?:Reader|User|Readers'?)\s+comments|Comments\s*\(\d+\)|Discussion\s+forum)(?!\w)"
)
_INLINE_END = re.compile(
    r"(?<!\S)(?:References|Key\s+points|Teaching\s+points?|Learning\s+points|Pearls|"
    r"Case\s+[Dd]iscussion|Discussion|(?:Imaging\s+)?[Ff]indings|Impression|Conclusion|"
    r"Final\s+diagnosis|Diagnosis|Case\s+information|Presentation|Clinical\s+history|"
    r"Published|Updated|Last\s+revised|Copyright|Licen[cs]e)(?!\w)",
    re.IGNORECASE,  # ("FINDINGS:" of a flattened report ends a list too: never read past one)
)
_INLINE_REACH = 400  # characters an inline label's list or comment may run on
_LONG_LINE = 300  # characters: a line this long holds a flattened page, not a list
_TITLE_MAX = 100  # characters: a listed title is a short line
_MAX_LINES = 40  # lines one block may run on
_MAX_CHARS = 4000  # characters one block may run on


def page_furniture(text: str, is_heading: Callable[[str], bool]) -> list[tuple[int, int]]:
    """The (start, end) spans of a page's lists of other cases, readers' comments and comment
    lines (see the module's docstring), in order; a block ends at a line `is_heading` says opens
    a part of the case."""
    spans: list[tuple[int, int]] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = text[start:end]
        if _HANDLE_LINE.match(line):
            spans.append((start, end))
        elif (m := _CASE_LIST.match(line)) is not None and (
            m.group("colon") or not line[m.end() :].strip()
        ):
            # ("Recent images show ..." is a sentence, not a label: a label has its colon or
            # stands alone on its line)
            if line[m.end() :].strip():
                spans.append((start, end))  # "Recently viewed: A; B; C": its line
            else:
                i = _block(text, lines, i, spans, is_heading, titles_only=True)
                continue
        elif _COMMENTS.match(line):
            i = _block(text, lines, i, spans, is_heading, titles_only=False)
            continue
        elif end - start > _LONG_LINE:
            spans.extend(_inline(text, start, end))
        i += 1
    return spans


def _inline(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The labelled lists and comments inside one long line (a flattened page)."""
    spans: list[tuple[int, int]] = []
    for m in _INLINE_LABEL.finditer(text, start, end):
        if spans and m.start() < spans[-1][1]:
            continue
        reach = min(end, m.end() + _INLINE_REACH)
        stop = _INLINE_END.search(text, m.end(), reach)
        nxt = _INLINE_LABEL.search(text, m.end(), reach)
        cut = min(x.start() for x in (stop, nxt) if x is not None) if (stop or nxt) else reach
        spans.append((m.start(), cut))
    return spans


def _block(
    text: str,
    lines: list[tuple[int, int]],
    first: int,
    spans: list[tuple[int, int]],
    is_heading: Callable[[str], bool],
    *,
    titles_only: bool,
) -> int:
    """The block under a furniture label, up to the next heading of the case, another label,
    a blank line after its items, or -- for a list of titles -- the first line too long to be a
    title. Returns the index of the line after the block."""
    start = lines[first][0]
    end = lines[first][1]
    i = first + 1
    seen_item = False
    while i < len(lines) and i - first <= _MAX_LINES and end - start <= _MAX_CHARS:
        a, b = lines[i]
        line = text[a:b]
        if not line.strip():
            if seen_item:
                break
            i += 1
            continue
        if (
            is_heading(line)
            or _CASE_LIST.match(line)
            or _COMMENTS.match(line)
            or (titles_only and len(line.strip()) > _TITLE_MAX)
        ):
            break
        seen_item = True
        end = b
        i += 1
    spans.append((start, end))
    return i


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, without its line break."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in re.finditer(r"\n", text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out
