"""The audit's ``summary.csv`` and ``report.html``, and the plots they share with the
governance page.

``report.html`` is one self-contained page: inline CSS, plots as inline SVG (no script, no font,
no image, nothing loaded: its Content-Security-Policy forbids any request), every text escaped.
It holds the class distribution, cards per rule, overdue follow-ups by months overdue, the
data-quality problems, the bad input (file and line, up to the first 200), and the review
sample: for each class, a fixed-seed random sample of index reports with the reader's spans
highlighted (``cds_hooks.cli.read_report.highlighted``) for a radiologist to confirm. No patient id
is shown: the sample names the report (its FHIR reference in the export).
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import AuditRun

CLASS_ORDER = ("NEGATIVE", "NONSPECIFIC", "DIFFUSE", "FOCAL_EQUIVOCAL", "FOCAL_MULTIPLE")

# fmt: off
# The page's head (inline CSS, a CSP forbidding every request); ``{title}`` filled in.
PAGE_HEAD = (
    resources.files("cds_hooks").joinpath("templates/audit_page_head.html").read_text("utf-8")
)

COLOURS = ("#3d6fb4", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#7f7f7f")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def bar_chart(
    plot_id: str,
    caption: str,
    items: Sequence[tuple[str, int]],
    *,
    unit: str = "",
    colour: str = COLOURS[0],
) -> str:
    """A horizontal bar chart as inline SVG (one bar per item, its count written beside it)."""
    bar_h, gap, label_w, plot_w = 20, 6, 190, 360
    height = max(len(items), 1) * (bar_h + gap) + gap
    top = max((count for _, count in items), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(caption)}" width="{label_w + plot_w + 70}"'
        f' height="{height}" viewBox="0 0 {label_w + plot_w + 70} {height}"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    if not items:
        parts.append(f'<text x="4" y="{bar_h}">none</text>')
    for n, (label, count) in enumerate(items):
        y = gap + n * (bar_h + gap)
        width = 0 if count == 0 else max(1, round(plot_w * count / top))
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<g class="bar" data-label="{esc(label)}" data-count="{count}">'
            f"<title>{esc(label)}: {count}{esc(unit)}</title>"
            f'<text x="{label_w - 6}" y="{y + bar_h - 6}" text-anchor="end">{esc(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{width}" height="{bar_h}" fill="{colour}"></rect>'
            f'<text x="{label_w + width + 4}" y="{y + bar_h - 6}">{count:,}</text></g>'
        )
    parts.append("</svg>")
    return (
        f'<figure class="plot" id="{esc(plot_id)}"><figcaption>{esc(caption)}</figcaption>'
        + "".join(parts)
        + "</figure>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], table_id: str = "") -> str:
    attr = f' id="{esc(table_id)}"' if table_id else ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{value:,}</td>'
            if isinstance(value, int)
            else f'<td class="num">{value:.1%}</td>'
            if isinstance(value, float)
            else f"<td>{esc(value)}</td>"
            for value in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _ordered_classes(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    known = [(c, counts.get(c, 0)) for c in CLASS_ORDER]
    return known + sorted((c, n) for c, n in counts.items() if c not in CLASS_ORDER)


def _rule_key(rule: str) -> tuple[int, str]:
    return (int(rule[1:]) if rule[1:].isdigit() else 99, rule)


# --------------------------------------------------------------------------- summary.csv


def summary_rows(run: AuditRun) -> list[tuple[str, str, int]]:
    a = run.aggregate
    rows: list[tuple[str, str, int]] = [
        ("total", "patients", a.patients),
        ("total", "imaging reports", a.reports),
        ("total", "patients with a spine/sacrum/pelvis MRI", a.audited),
        ("total", "patients with a card", a.audited - a.by_decision.get("R0", 0)),
    ]
    rows += [("class", c, n) for c, n in _ordered_classes(a.by_class)]
    rows += [("decision", r, a.by_decision[r]) for r in sorted(a.by_decision, key=_rule_key)]
    rows += [("rule", r, a.by_rule[r]) for r in sorted(a.by_rule, key=_rule_key)]
    rows += [("card topic", t, n) for t, n in sorted(a.by_topic.items())]
    rows += [("problem", k, n) for k, n in sorted(a.by_problem.items())]
    rows += [("follow-up", s, n) for s, n in sorted(a.follow_up.items())]
    rows += [("months overdue", str(m), n) for m, n in sorted(a.overdue_months.items())]
    rows += [("ignored type", t, n) for t, n in sorted(run.partitioned.ignored.items())]
    return rows


def write_summary(run: AuditRun, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "key", "count"])
        writer.writerows(summary_rows(run))


# --------------------------------------------------------------------------- report.html


def overdue_items(overdue: Mapping[int, int]) -> list[tuple[str, int]]:
    """Months overdue in bands a committee reads: 0-1, 1-2, ... 6-12, over 12."""
    bands = [(f"{m}-{m + 1} months", m, m + 1) for m in range(6)]
    bands += [("6-12 months", 6, 12), ("over 12 months", 12, 10**6)]
    return [(label, sum(n for m, n in overdue.items() if lo <= m < hi)) for label, lo, hi in bands]


LEGEND = """<p class="legend">
  <span class="cat-target">abnormal-marrow target</span>
  <span class="cat-worrisome">worrisome feature</span>
  <span class="cat-benign">benign modifier or hedge</span>
  <span class="cat-descriptor">descriptor</span>
  <span class="size">size</span>
  <span class="cat-target mod-negated">negated</span>
  <span class="cat-target mod-hedged">hedged</span>
  <span class="cat-target mod-historical">historical</span>
  <span class="cat-target mod-uncertain">uncertain</span>
</p>"""


def render_report(run: AuditRun) -> str:
    a = run.aggregate
    with_card = a.audited - a.by_decision.get("R0", 0)
    out = [PAGE_HEAD.format(title="Marrow CDS: audit of an export")]
    out.append("<h1>What Marrow CDS would have said about this export</h1>")
    out.append(
        f'<p class="meta">Evaluated as of {esc(run.as_of.isoformat())} through the service\'s own '
        f"mapping and decision code. {a.patients:,} patients, {a.reports:,} imaging reports; "
        f"{a.audited:,} patients with a spine, sacrum or pelvis MRI, {with_card:,} of whom would "
        f"get a card. {run.workers} worker(s) ({esc(run.engine)}), {run.seconds:.1f} s.</p>"
    )
    out.append('<h2>Plots</h2><div class="plots">')
    out.append(bar_chart("plot-classes", "Index MRI report by class", _ordered_classes(a.by_class)))
    rules = sorted(set(a.by_rule) | set(a.cards_by_rule), key=_rule_key)
    out.append(
        bar_chart(
            "plot-cards-per-rule",
            "Cards per rule (patients whose decision it is)",
            [(r, a.cards_by_rule.get(r, 0)) for r in rules],
            colour=COLOURS[1],
        )
    )
    out.append(
        bar_chart(
            "plot-overdue",
            "Surveillance MRI overdue, by months overdue",
            overdue_items(a.overdue_months),
            colour=COLOURS[5],
        )
    )
    problems = sorted(a.by_problem.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    out.append(
        bar_chart("plot-problems", "Data-quality problems, by kind", problems, colour=COLOURS[6])
    )
    out.append("</div>")
    out.append("<h2>Counts</h2>")
    out.append(
        table(
            ["decision", "patients"],
            [(r, a.by_decision[r]) for r in sorted(a.by_decision, key=_rule_key)],
            "decision-table",
        )
    )
    out.append(table(["card topic", "cards"], sorted(a.by_topic.items()), "topic-table"))
    states = sorted(a.follow_up.items())
    out.append(table(["follow-up MRI (R7/R8)", "patients"], states, "follow-up-table"))
    out.append("<h2>Bad input</h2>")
    bad = sum(a.bad_input.values())
    if bad:
        out.append(
            f'<p class="note">{bad:,} line(s) or resource(s) could not be used as sent (never '
            "fatal); the first ones below, all of them in problems.ndjson.</p>"
        )
        out.append(
            table(
                ["file", "line", "kind", "what"],
                [(p.file, p.line, p.kind, p.message) for p in a.problems],
                "bad-input",
            )
        )
    else:
        out.append('<p class="note">None: every line was read.</p>')
    if run.partitioned.ignored:
        out.append(
            '<p class="note">Not read (other resource types): '
            + esc(", ".join(f"{t} {n:,}" for t, n in sorted(run.partitioned.ignored.items())))
            + ".</p>"
        )
    out.append("<h2>Review sample</h2>")
    out.append(
        '<p class="note">For each class, a random sample (fixed seed: the same reports on every '
        "run of the same export) of index reports, with the reader's spans highlighted. A "
        "radiologist confirms the class or notes a disagreement. Hover a highlight for what the "
        "reader took it to be.</p>" + LEGEND
    )
    for image_class, _count in _ordered_classes(a.by_class):
        items = a.samples.get(image_class, [])
        if not items:
            continue
        out.append(f'<h3 id="sample-{esc(image_class)}">{esc(image_class)}</h3>')
        for n, (_score, reference, _cls, text_html) in enumerate(items, 1):
            out.append(
                f'<section class="sample" data-class="{esc(image_class)}">'
                f"<strong>{n}. {esc(reference)}</strong> read as <strong>{esc(image_class)}"
                f'</strong><pre class="report-text">{text_html}</pre>'
                '<p class="confirm">Radiologist: &#9744; agree &nbsp; &#9744; disagree, class: '
                "________</p></section>"
            )
    out.append("</body></html>\n")
    return "\n".join(out)


def write_report(run: AuditRun, path: Path) -> None:
    path.write_text(render_report(run), encoding="utf-8")


def page(title: str, body: Sequence[str]) -> str:
    """A self-contained page with the audit's style (used by the governance report)."""
    return PAGE_HEAD.format(title=esc(title)) + "\n".join(body) + "\n</body></html>\n"
