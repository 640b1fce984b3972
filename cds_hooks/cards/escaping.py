"""Markdown escaping of every text that goes into a card's `detail` (`escape_md`): report
sentences and lab values come from outside, and the CDS Hooks sandbox renders raw HTML in
`detail`."""

from __future__ import annotations

import re
from typing import Final

_HTML_ENTITIES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_SPECIALS: Final = frozenset("\\`*_[]{}|~#!$")
_LIST_MARKER: Final = re.compile(r"^([-+*]|=+|\d{1,9}[.)])(?=\s|$)")
# Unicode categories Cc (C0 and C1 controls) and Cs (surrogates): not text, not serialisable.
_CONTROLS: Final = "\x00-\x1f\x7f-\x9f\ud800-\udfff"
DROPPED_CHARACTERS: Final = re.compile(f"[{_CONTROLS}]")
# One translation table for the whole escape (a single pass in C: `escape_md` runs on every
# value of every card).
_ESCAPES: Final = str.maketrans({**{c: "\\" + c for c in _MD_SPECIALS}, **_HTML_ENTITIES})


# Text that escaping leaves as it is: words of characters that are neither whitespace, Markdown
# punctuation, HTML-significant nor dropped, separated by single spaces. Most card text (labels,
# units, values, "normal") is such text; a quarter of it is empty.
_INERT_CHARS: Final = (
    f"[^\\s{re.escape(''.join(sorted(_MD_SPECIALS | set(_HTML_ENTITIES))))}{_CONTROLS}]"
)
_INERT: Final = re.compile(f"(?:{_INERT_CHARS}+(?: {_INERT_CHARS}+)*)?")


def escape_md(text: object) -> str:
    """Text as inert Markdown: one line, HTML entities for & < > ", Markdown punctuation escaped,
    control characters dropped.

    The result renders as the literal text in any CommonMark/GFM renderer, raw HTML enabled or
    not, inside a paragraph, a table cell or a blockquote.
    """
    if type(text) is str and not text:
        return text  # a third of the cells of a card's tables are empty
    if type(text) is str and _INERT.fullmatch(text) is not None:
        escaped = text  # nothing to join, drop or escape: only a list marker to look for
    else:
        flat = " ".join(str(text).split())
        escaped = DROPPED_CHARACTERS.sub("", flat).translate(_ESCAPES)
    # A leading "- ", "+ ", "1. " or "=" would start a list or underline a heading.
    match = _LIST_MARKER.match(escaped)
    if match:
        marker = match.group(1)
        return marker[:-1] + "\\" + escaped[len(marker) - 1 :]
    return escaped
