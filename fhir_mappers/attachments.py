"""Report documents as text: the formats EHRs deliver radiology reports in (issue 17).

`decode_bytes(raw, content_type)` turns the bytes of one report document into plain text:

- text/plain (and text/x-plain): decoded with the `charset` parameter (default UTF-8);
- text/html, XHTML (application/xhtml+xml): tags stripped, block elements and `<br>` become line
  breaks, entities unescaped, a two-cell table row "Impression | ..." reads "Impression: ...";
- RTF (text/rtf, application/rtf, and text/richtext, which EHRs use for RTF): through
  `striprtf` (pure Python, maintained): control words dropped, `\\'xx` escapes decoded in the
  document's code page, `\\uN` escapes as Unicode, `\\par` as a line break;
- PDF (application/pdf) with a text layer: through `pypdf` (pure Python, maintained, limits on
  decompressed stream sizes). Lines repeated on every page (headers, footers, "Page 1 of 2") are
  dropped and lines wrapped by the page width are joined, so the layout does not change the
  reading. A PDF without a text layer (a scan) yields no text and a `missing` reason: no OCR.

Bounded: at most `MAX_DOCUMENT_BYTES` of a document are decoded, at most `MAX_PDF_PAGES` pages
read, a PDF is abandoned after `MAX_PDF_SECONDS` (or as soon as the caller's `stop()` says the
hook call's time is spent). Nothing here raises on bad input: a difficulty is a `problem` string
(a warning: some text was read) or a `missing` reason (in clinical words: no text could be read).
"""

from __future__ import annotations

import codecs
import html
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

# Caps (issue 16/17, bounded work). Real radiology report documents are 2-200 kB and 1-4 pages.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # the FHIR client's default answer cap
MAX_PDF_PAGES = 30
MAX_PDF_SECONDS = 2.0
MAX_TEXT_CHARS = 1_000_000  # decoded text kept per document (the reader reads far less)

PLAIN_TYPES = frozenset({"text/plain", "text/x-plain"})
HTML_TYPES = frozenset({"text/html", "application/xhtml", "application/xhtml+xml"})
RTF_TYPES = frozenset({"text/rtf", "application/rtf", "text/richtext", "application/x-rtf"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
READABLE_TYPES = PLAIN_TYPES | HTML_TYPES | RTF_TYPES | PDF_TYPES

Stop = Callable[[], bool]


def no_stop() -> bool:
    return False


@dataclass(frozen=True)
class Decoded:
    """The text of one document, a warning about how it was read, or why no text could be."""

    text: str | None = None
    problem: str | None = None  # technical note for the problem list (some text may be read)
    missing: str | None = None  # set when no text was read: what a clinician is told


def media_type(content_type: object) -> tuple[str, str]:
    """("text/html", "charset=utf-8") from a Content-Type / Attachment.contentType."""
    if not isinstance(content_type, str):
        return "", ""
    kind, _, params = content_type.partition(";")
    return kind.strip().lower(), params


def charset_of(params: str) -> str | None:
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._:\-]+)", params, re.IGNORECASE)
    return match.group(1) if match else None


def decode_bytes(raw: bytes, content_type: object, *, stop: Stop = no_stop) -> Decoded:
    """The text of a document of `content_type` (see the module docstring)."""
    kind, params = media_type(content_type)
    if kind not in READABLE_TYPES:
        return Decoded(
            problem=f"document of type '{kind or 'unknown'}' is not a text format this service "
            "reads: not read",
            missing="the report is in a format this service cannot read",
        )
    if len(raw) > MAX_DOCUMENT_BYTES:
        return Decoded(
            problem=f"document larger than {MAX_DOCUMENT_BYTES} bytes: not read",
            missing="the report document is too large to read",
        )
    if kind in PDF_TYPES:
        return pdf_to_text(raw, stop=stop)
    if kind in RTF_TYPES and raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return rtf_to_text(raw, params)
    if kind in RTF_TYPES and kind != "text/richtext":
        return Decoded(
            problem=f"document of type '{kind}' is not RTF: not read",
            missing="the report document is damaged or not in the format it claims",
        )
    text, problem = _decode_charset(raw, params, default="utf-8")
    if kind in HTML_TYPES or kind == "text/richtext":  # RFC 1341 richtext: tags, like HTML
        text = html_to_text(text)
    return Decoded(text=_newlines(text)[:MAX_TEXT_CHARS], problem=problem)


def _decode_charset(raw: bytes, params: str, *, default: str) -> tuple[str, str | None]:
    charset = charset_of(params) or default
    problem: str | None = None
    try:
        codecs.lookup(charset)
    except LookupError:
        problem = f"charset '{charset}' unknown: read as {default}"
        charset = default
    try:
        decoded = raw.decode(charset)
    except UnicodeDecodeError:
        decoded = raw.decode(charset, errors="replace")
        problem = f"document is not valid {charset}: undecodable bytes replaced"
    return decoded.lstrip("\ufeff"), problem


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- HTML


class _TextExtractor(HTMLParser):
    """Tag stripper that keeps block structure as line breaks; entities are unescaped.

    Table rows become lines; the cells of a row are separated by a space, except that a row of
    two cells whose first is a short label ("Impression", "Findings") reads "label: value"."""

    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
        | {"section", "article", "header", "footer", "blockquote", "pre", "dd", "dt"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self, *, markup_lines: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._row: list[list[str]] | None = None  # cells of the open <tr>
        # True when the markup breaks its lines with tags (<br>, <p>, <div> ...): then a line
        # break in the source is only white space, as a browser shows it (not inside <pre>).
        self._markup_lines = markup_lines
        self._pre_depth = 0

    def _out(self) -> list[str]:
        if self._row is not None and self._row:
            return self._row[-1]
        return self.parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre_depth += 1
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "tr":
            self._close_row()
            self._row = []
        elif tag in {"td", "th"}:
            if self._row is None:
                self.parts.append(" ")
            else:
                self._row.append([])
        elif tag in self._BLOCK:
            self._out().append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # <br/>: a line break, and no end tag follows

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "tr" or tag == "table":
            self._close_row()
            if tag == "table":
                self.parts.append("\n")
        elif tag in self._BLOCK and tag != "br":
            self._out().append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            if self._markup_lines and not self._pre_depth:
                data = re.sub(r"[ \t\r\n\f]+", " ", data)
            self._out().append(data)

    def _close_row(self) -> None:
        if self._row is None:
            return
        cells = [" ".join("".join(c).replace("\xa0", " ").split()) for c in self._row]
        cells = [c for c in cells if c]
        self._row = None
        if not cells:
            return
        if len(cells) == 2 and re.fullmatch(r"[A-Za-z][A-Za-z /&()-]{0,38}[A-Za-z)]:?", cells[0]):
            line = f"{cells[0].rstrip(':')}: {cells[1]}"
        else:
            line = " ".join(cells)
        self.parts.append(f"\n{line}\n")

    def close(self) -> None:
        super().close()
        self._close_row()


_MARKUP_LINES = re.compile(r"<(?:br|p|div|li|tr|h[1-6])\b", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Strip tags (block elements become line breaks), unescape entities, tidy whitespace."""
    parser = _TextExtractor(markup_lines=_MARKUP_LINES.search(markup) is not None)
    try:
        parser.feed(markup)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # noqa: BLE001  # pragma: no cover - HTMLParser is lenient; belt and braces
        raw = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    raw = raw.replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in raw.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --------------------------------------------------------------------------- RTF

_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


def rtf_to_text(raw: bytes, params: str = "") -> Decoded:
    """RTF -> text with striprtf; `\\'xx` escapes in the document's `\\ansicpg` code page."""
    from striprtf.striprtf import rtf_to_text as strip

    match = _RTF_CODEPAGE.search(raw[:4096])
    encoding = f"cp{int(match.group(1))}" if match else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    # RTF is 7-bit text; a stray 8-bit byte is read in the same code page.
    source = raw.decode(charset_of(params) or encoding, errors="replace")
    try:
        text: str = strip(source, encoding=encoding, errors="replace")  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - striprtf is lenient; a malformed document must not raise
        return Decoded(
            problem="RTF document could not be read",
            missing="the report document is damaged or not in the format it claims",
        )
    lines = [line.strip() for line in _newlines(text).split("\n")]
    return Decoded(text="\n".join(lines).strip()[:MAX_TEXT_CHARS])


# --------------------------------------------------------------------------- PDF

_PAGE_NUMBER = re.compile(r"(?i)^(page\s*)?\d+(\s*(of|/)\s*\d+)?$")
_LIST_START = re.compile(r"^\s*(?:[-*•◦▪]|\d{1,2}[.)]\s|[a-z][.)]\s)")
# A line that opens a report section ("IMPRESSION:", "Clinical history -") or a level of a
# level-by-level list ("L4-L5:", "T12-L1:"): never the rest of the sentence above it.
_SECTION_START = re.compile(
    r"^\s*(?:(?:mri|exam|clinical)\s+)?(?:findings?|impressions?|conclusions?|techniques?|"
    r"comparisons?|history|indications?|clinical\s+(?:history|information|details|indication)|"
    r"exam(?:ination)?|procedure|addendum|recommendations?|opinion|summary|report|"
    r"reason\s+for\s+(?:exam|examination|study))\s*[:\-–—]|^\s*[CTLS]\d{1,2}(?:\s*-\s*[CTLS]?\d{1,2})?\s*:",
    re.IGNORECASE,
)
_WIDE_END = re.compile(r"[.!?;]\s*$")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
EDGE_LINES = 4  # header and footer lines are looked for this far from a page's top and bottom


def pdf_to_text(raw: bytes, *, stop: Stop = no_stop) -> Decoded:
    """The text layer of a PDF, page headers/footers dropped and wrapped lines joined."""
    from pypdf import PdfReader

    started = time.monotonic()
    unreadable = "the report document is damaged or not in the format it claims"
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return Decoded(
                problem="PDF is encrypted: not read",
                missing="the report document is password-protected",
            )
        count = len(reader.pages)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for a malformed PDF
        return Decoded(problem=f"PDF could not be read ({type(exc).__name__})", missing=unreadable)
    pages: list[list[str]] = []
    problem: str | None = None
    for number in range(min(count, MAX_PDF_PAGES)):
        if stop() or time.monotonic() - started > MAX_PDF_SECONDS:
            problem = f"PDF read for too long: only {number} of {count} pages read"
            break
        try:
            # layout mode keeps the page's vertical gaps as blank lines: paragraphs stay apart
            text = reader.pages[number].extract_text(extraction_mode="layout") or ""
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not lose the others
            problem = f"PDF page {number + 1} could not be read ({type(exc).__name__})"
            text = ""
        pages.append([" ".join(line.split()) for line in _newlines(text).split("\n")])
    if count > MAX_PDF_PAGES and problem is None:
        problem = f"PDF of {count} pages: only the first {MAX_PDF_PAGES} read"
    if not any(line for page in pages for line in page):
        if problem is not None and count:
            return Decoded(problem=problem, missing=unreadable)
        return Decoded(
            problem="PDF has no text layer (a scanned image): not read (no OCR)",
            missing="the report is a scanned image without text, which this service cannot read",
        )
    body: list[str] = []
    for page in drop_running_lines(pages):  # one flow of lines: a sentence may cross pages
        while page and not page[-1]:
            page.pop()
        start = next((n for n, line in enumerate(page) if line), len(page))
        body.extend(page[start:])
    text = unwrap_lines(body)
    return Decoded(text=re.sub(r"\n{3,}", "\n\n", text).strip()[:MAX_TEXT_CHARS], problem=problem)


def _running_key(line: str) -> str:
    """A header/footer line compared across pages with its numbers blanked ("Page 2 of 3")."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers, and lines near the top or bottom of the page that recur on every
    page (a header or footer: the hospital's name, the patient banner, "Page 2 of 3"). Blank
    lines are kept (they part paragraphs)."""
    edges: list[set[int]] = []
    keys: list[set[str]] = []
    for page in pages:
        filled = [n for n, line in enumerate(page) if line]
        near = set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])
        edges.append(near)
        keys.append({_running_key(page[n]) for n in near})
    running: set[str] = set()
    if len(pages) >= 2:
        counts = Counter(key for page_keys in keys for key in page_keys)
        running = {key for key, n in counts.items() if n == len(pages)}
    out = []
    for page, near in zip(pages, edges, strict=True):
        kept = []
        for n, line in enumerate(page):
            if line and (_PAGE_NUMBER.match(line) or (n in near and _running_key(line) in running)):
                continue
            kept.append(line)
        out.append(kept)
    return out


def unwrap_lines(lines: list[str]) -> str:
    """Join the lines a PDF's page width broke inside a sentence; blank lines part paragraphs.

    Within a paragraph a line goes on with the next when it ran close to the document's full
    line width (broken by the layout, not by the author) without ending a sentence (". ! ? ;"),
    or when the next line starts in lower case after a line that ends no sentence, heading or
    label (":"); never before a list item, a section heading ("IMPRESSION:") or a level line
    ("L4-L5:")."""
    widths = [_width(line) for line in lines if line]
    if not widths:
        return ""
    full = max(widths)
    out: list[str] = []
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        if out and out[-1] and _continues(out[-1], line, full):
            out[-1] = out[-1] + ("" if out[-1].endswith("-") and line[:1].islower() else " ") + line
        else:
            out.append(line)
    return "\n".join(out).strip()


def _width(line: str) -> float:
    """A line's printed width in ems, roughly (Helvetica/Arial proportions): capitals are
    wider than lower case, so an all-capitals report wraps after fewer characters."""
    return sum(
        0.68 if c.isupper() else 0.28 if c == " " else 0.53 if c.isalnum() else 0.32 for c in line
    )


MIN_WRAP_WIDTH = 24.0  # ems: about 45 lower-case characters; narrower text is not wrapped prose


def _continues(previous: str, line: str, full: float) -> bool:
    if _LIST_START.match(line) or _SECTION_START.match(line):
        return False
    if _width(previous) >= 0.75 * full and full >= MIN_WRAP_WIDTH:
        # the line ran to the page's width: broken by the layout (in any case, even after a
        # "body:"), unless it ended a sentence
        return _WIDE_END.search(previous) is None
    if _SENTENCE_END.search(previous):
        return False
    # a short line: a heading ("FINDINGS", "MRI LUMBAR SPINE") or an author's line break,
    # unless the next line plainly goes on with the sentence
    return line[:1].islower() and not previous.isupper()
