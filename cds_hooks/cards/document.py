"""A card's `detail` as typed blocks, rendered twice: as the card's Markdown (`markdown`) and as
the lines of the offline text view (`text_lines`, ``marrow-cds evaluate --format text``).

The card builders (`cds_hooks.cards.detail`, `follow_up_text`, the order-review service) say
what a detail contains (a decision, reasons, an evidence table, report quotes, a "More" fold)
in plain text; escaping for Markdown happens here, once, and the text view never parses the
Markdown back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from cds_hooks.cards.escaping import escape_md

EMPTY_CELL: Final = "—"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: bold words (`lead`, e.g. "Recommendation:") then text. `text` may be several
    parts, each escaped on its own and joined with ", "."""

    text: str | tuple[str, ...] = ""
    lead: str = ""


@dataclass(frozen=True)
class Labelled:
    """A bullet "label: text" (each part escaped on its own)."""

    label: str
    text: str


@dataclass(frozen=True)
class Bullets:
    """A bold title, then one bullet per item."""

    title: str
    items: tuple[str | Labelled, ...]


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells (an empty cell shows as a dash), with an optional bold title
    and, after it in parentheses, why it is there."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    why: str = ""


@dataclass(frozen=True)
class Quotes:
    """Sentences quoted from one source: "label, date:" then each sentence as a quote."""

    label: str
    date: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    """A bold title over blocks ("Report" over its quotes)."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Fold:
    """Blocks under a disclosure (`summary` always shown): the card's "More"."""

    summary: str
    blocks: tuple[Block, ...]


Block = Paragraph | Bullets | Table | Quotes | Section | Fold
Document = tuple[Block, ...]


# ------------------------------------------------------------------------------ Markdown


def markdown(document: Iterable[Block]) -> str:
    """The card's `detail`: the blocks in GitHub-flavoured Markdown, every text escaped."""
    return "\n\n".join(_markdown(block) for block in document)


def _text(text: str | tuple[str, ...]) -> str:
    if isinstance(text, str):
        return escape_md(text)
    return ", ".join(escape_md(part) for part in text)


def _item(item: str | Labelled) -> str:
    if isinstance(item, Labelled):
        return f"{escape_md(item.label)}: {escape_md(item.text)}"
    return escape_md(item)


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(escape_md(cell) or EMPTY_CELL for cell in cells) + " |"


def _markdown(block: Block) -> str:
    if isinstance(block, Paragraph):
        parts = [f"**{escape_md(block.lead)}**"] if block.lead else []
        if block.text:
            parts.append(_text(block.text))
        return " ".join(parts)
    if isinstance(block, Bullets):
        return f"**{escape_md(block.title)}**\n\n" + "\n".join(
            f"- {_item(item)}" for item in block.items
        )
    if isinstance(block, Table):
        lines = [_row(block.header), "|" + "---|" * len(block.header)]
        lines += [_row(row) for row in block.rows]
        if block.title:
            title = f"**{escape_md(block.title)}**" + (f" ({block.why})" if block.why else "")
            lines[:0] = [title, ""]
        return "\n".join(lines)
    if isinstance(block, Quotes):
        caption = ", ".join(p for p in (escape_md(block.label), block.date) if p)
        return f"{caption}:\n\n" + "\n\n".join(f"> {escape_md(s)}" for s in block.sentences)
    if isinstance(block, Section):
        return f"**{escape_md(block.title)}**\n\n" + markdown(block.blocks)
    return (
        f"<details>\n<summary>{escape_md(block.summary)}</summary>\n\n"
        + markdown(block.blocks)
        + "\n\n</details>"
    )


# ------------------------------------------------------------------------------ text view


def text_lines(document: Iterable[Block], width: int) -> list[str]:
    """The blocks as a terminal shows them: titles and leads as plain words, a quoted sentence
    indented, tables in aligned columns (one "item: value" line per row when wider than
    `width`), one blank line between blocks."""
    lines: list[str] = []
    for block in document:
        if lines:
            lines.append("")
        lines.extend(_lines(block, width))
    return lines


def _plain(text: str | tuple[str, ...]) -> str:
    """Plain text on one line (whitespace collapsed, as in the Markdown)."""
    joined = text if isinstance(text, str) else ", ".join(text)
    return " ".join(joined.split())


def _lines(block: Block, width: int) -> list[str]:
    if isinstance(block, Paragraph):
        return [" ".join(p for p in (_plain(block.lead), _plain(block.text)) if p)]
    if isinstance(block, Bullets):
        items = [
            f"{_plain(i.label)}: {_plain(i.text)}" if isinstance(i, Labelled) else _plain(i)
            for i in block.items
        ]
        return [block.title, "", *(f"- {item}" for item in items)]
    if isinstance(block, Table):
        head = [block.title + (f" ({block.why})" if block.why else ""), ""] if block.title else []
        return head + _table([block.header, *block.rows], width)
    if isinstance(block, Quotes):
        caption = ", ".join(p for p in (_plain(block.label), block.date) if p)
        lines = [f"{caption}:"]
        for sentence in block.sentences:
            lines += ["", f"  {_plain(sentence)}"]
        return lines
    if isinstance(block, Section):
        return [block.title, "", *text_lines(block.blocks, width)]
    return [block.summary, "", *text_lines(block.blocks, width)]


def _table(rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Aligned columns; too wide for `width`: one "item: value unit, date" line per row (no
    header)."""
    cells = [[_plain(c) or EMPTY_CELL for c in row] for row in rows]
    columns = max(len(r) for r in cells)
    cells = [r + [""] * (columns - len(r)) for r in cells]
    sizes = [max(len(r[i]) for r in cells) for i in range(columns)]
    aligned = ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    if max(len(line) for line in aligned) <= width:
        return aligned
    return [
        f"{r[0]}: " + " ".join(c for c in r[1:] if c and c != EMPTY_CELL)
        if any(c and c != EMPTY_CELL for c in r[1:])
        else r[0]
        for r in cells[1:]
    ]
