"""A card's detail as typed blocks: one Markdown for the card, one text view for the terminal."""

from __future__ import annotations

from cds_hooks.cards.document import (
    Bullets,
    Document,
    Fold,
    Labelled,
    Paragraph,
    Quotes,
    Section,
    Table,
    markdown,
    text_lines,
)

DETAIL: Document = (
    Paragraph("Marrow biopsy <indicated>", lead="Recommendation:"),
    Bullets("Why", ("haemoglobin 9.2 g/dL < 12 g/dL",)),
    Fold(
        "More: evidence",
        (
            Table(("Item", "Value"), (("Haemoglobin", "9.2"), ("Calcium", ""))),
            Section("Report", (Quotes("MRI lumbar spine", "2026-11-10", ("T1 *low*.", "Two.")),)),
            Table(("Check", "Result"), (("CBC", "normal"),), title="Checked", why="why not"),
        ),
    ),
    Bullets("Not obtained", (Labelled("lab results", "- timed out"),)),
    Paragraph(("MRI L-spine", "1. CT"), lead="Draft orders reviewed:"),
)


def test_markdown_of_every_block() -> None:
    assert markdown(DETAIL) == (
        "**Recommendation:** Marrow biopsy &lt;indicated&gt;\n\n"
        "**Why**\n\n- haemoglobin 9.2 g/dL &lt; 12 g/dL\n\n"
        "<details>\n<summary>More: evidence</summary>\n\n"
        "| Item | Value |\n|---|---|\n| Haemoglobin | 9.2 |\n| Calcium | — |\n\n"
        "**Report**\n\nMRI lumbar spine, 2026-11-10:\n\n> T1 \\*low\\*.\n\n> Two.\n\n"
        "**Checked** (why not)\n\n| Check | Result |\n|---|---|\n| CBC | normal |\n\n"
        "</details>\n\n"
        "**Not obtained**\n\n- lab results: \\- timed out\n\n"
        "**Draft orders reviewed:** MRI L-spine, 1\\. CT"
    )


def test_text_lines_of_every_block() -> None:
    assert text_lines(DETAIL, 92) == [
        "Recommendation: Marrow biopsy <indicated>",
        "",
        "Why",
        "",
        "- haemoglobin 9.2 g/dL < 12 g/dL",
        "",
        "More: evidence",
        "",
        "Item         Value",
        "Haemoglobin  9.2",
        "Calcium      —",
        "",
        "Report",
        "",
        "MRI lumbar spine, 2026-11-10:",
        "",
        "  T1 *low*.",
        "",
        "  Two.",
        "",
        "Checked (why not)",
        "",
        "Check  Result",
        "CBC    normal",
        "",
        "Not obtained",
        "",
        "- lab results: - timed out",
        "",
        "Draft orders reviewed: MRI L-spine, 1. CT",
    ]
