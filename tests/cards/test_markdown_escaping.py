"""Property: any text from outside renders as exactly that text, never as HTML or Markdown."""

from __future__ import annotations

import html
import re
import unicodedata

import markdown_it
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.cards.document import Paragraph, Quotes, Table, markdown
from cds_hooks.cards.escaping import escape_md

# the CDS Hooks sandbox renders `detail` as GitHub-flavoured Markdown with raw HTML enabled
RENDERER = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

hostile = st.text(
    alphabet=st.sampled_from(
        [*"<>&\"'`*_[]()!#|~\\-+=.:/ \t\n{}$^%@;,0123456789abcXYZ", "é", "µ", "\u00a0"]
    ),
    max_size=60,
) | st.text(max_size=60)


def _as_text(text: str) -> str:
    """What the clinician should read: whitespace collapsed, control characters dropped."""
    flat = " ".join(text.split())
    return "".join(c for c in flat if unicodedata.category(c) not in ("Cc", "Cs")).strip()


def _visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_escaped_text_renders_as_itself_in_a_paragraph(text):
    rendered = RENDERER.render(f"Value: {escape_md(text)}")
    expected = _as_text(f"Value: {text}")
    assert rendered.startswith("<p>")
    assert rendered.count("<") == 2, rendered  # only <p> and </p>
    assert _visible_text(rendered) == expected


@settings(max_examples=300, deadline=None)
@given(hostile, hostile)
def test_a_paragraph_block_renders_its_lead_in_bold_and_its_text_as_itself(lead, text):
    rendered = RENDERER.render(markdown([Paragraph(f"{text}", lead=f"Lead {lead}:")]))
    tags = re.findall(r"</?([a-z0-9]+)", rendered)
    assert set(tags) <= {"p", "strong"}, rendered
    assert " ".join(_visible_text(rendered).split()) == " ".join(
        _as_text(f"Lead {lead}: {text}").split()
    )


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_escaped_text_renders_as_itself_in_a_blockquote(text):
    rendered = RENDERER.render(markdown([Quotes("MRI lumbar spine", "2026-11-10", (text,))]))
    caption, _, quote = rendered.partition("<blockquote>")
    assert _visible_text(caption) == "MRI lumbar spine, 2026-11-10:"
    tags = re.findall(r"</?([a-z0-9]+)", quote)
    assert set(tags) <= {"blockquote", "p"}, rendered
    assert _visible_text(quote) == _as_text(text)


@settings(max_examples=300, deadline=None)
@given(hostile, hostile)
def test_escaped_text_stays_in_its_table_cell(left, right):
    rendered = RENDERER.render(markdown([Table(("a", "b"), ((left, right),))]))
    assert rendered.count("<td>") == 2, rendered
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td"}, rendered


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_shortened_plain_text_fits_a_summary(text):
    from cds_hooks.cards.detail import SUMMARY_MAX, shorten

    short = shorten(text)
    assert len(short) <= SUMMARY_MAX
    assert all(unicodedata.category(c) not in ("Cc", "Cs") for c in short)


# ------------------------------------------------------------------ the inert-text shortcut

_SPECIALS = "\\`*_[]{}|~#!$"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _full_escape(text: object) -> str:
    """escape_md as written before its shortcut: collapse whitespace, drop Cc/Cs, escape
    Markdown punctuation and HTML characters, escape a leading list marker."""
    flat = " ".join(str(text).split())
    kept = "".join(c for c in flat if unicodedata.category(c) not in ("Cc", "Cs"))
    escaped = "".join("\\" + c if c in _SPECIALS else _ENTITIES.get(c, c) for c in kept)
    match = re.match(r"^([-+*]|=+|\d{1,9}[.)])(?=\s|$)", escaped)
    if match:
        marker = match.group(1)
        return marker[:-1] + "\\" + escaped[len(marker) - 1 :]
    return escaped


@settings(max_examples=1500, deadline=None)
@given(hostile | st.text(alphabet=st.characters(codec=None), max_size=20))
def test_the_same_text_as_the_full_escape(text):
    assert escape_md(text) == _full_escape(text)


def test_every_whitespace_and_control_character_takes_the_full_escape():
    odd = [
        chr(code)
        for code in range(0x110000)
        if chr(code).isspace() or unicodedata.category(chr(code)) in ("Cc", "Cs")
    ]
    for c in [*odd, *_SPECIALS, *_ENTITIES]:
        for text in (c, f"a{c}b", f"a {c} b", f"{c}a", f"a{c}", f"1.{c}", f"-{c}x"):
            assert escape_md(text) == _full_escape(text), (hex(ord(c)), text)


def test_inert_text_and_list_markers():
    for text in ("", "normal", "13.5", "×10⁹/L", "2.45 (as sent: 9.8 mg/dL)", "a  b", " a"):
        assert escape_md(text) == _full_escape(text)
    assert escape_md("1. item") == "1\\. item"
    assert escape_md("- item") == "\\- item"
    assert escape_md("==") == "=\\="
    assert escape_md(12) == "12"
