"""``marrow-cds report governance --out FILE.html [--since DATE]``: the CDS committee's view of
the cards after go-live (issue 18), from the feedback store (SQLite or PostgreSQL).

Per rule (R1-R8, and the other card topics the service records: data-quality,
imaging-protocol ...): cards issued, feedback received (accepted, overridden), the override rate
(overridden / issued), the override reasons (system|code as the EHR sent them), and weekly
trends (weeks starting Monday, UTC) of cards issued and overridden. One self-contained page with
plots (inline SVG, nothing loaded) and the same figures as CSV beside it (``FILE.csv``).

Aggregates only: the page and the CSV carry no patient hash, card uuid, hook instance or
clinician comment (free text may name a patient), only counts per rule, outcome, reason and
week. Feedback for a card uuid this database never issued (another replica's card) is counted
under the rule "unknown". Rows are read as a stream (bounded memory) and counted here, so the
same code runs on SQLite and PostgreSQL. Nothing is served over HTTP.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from cds_hooks.storage.records import FeedbackRow, IssuedCardRow

from .report import bar_chart, esc, page, table

UNKNOWN_RULE = "unknown"


@dataclass
class Governance:
    since: datetime | None
    until: datetime
    issued: Counter[str] = field(default_factory=Counter)  # rule -> cards issued
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, outcome)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, reason)
    weekly_issued: Counter[tuple[date, str]] = field(default_factory=Counter)
    weekly_overridden: Counter[tuple[date, str]] = field(default_factory=Counter)

    @property
    def rules(self) -> list[str]:
        found = set(self.issued) | {rule for rule, _ in self.outcomes}
        return sorted(found, key=_rule_key)

    @property
    def weeks(self) -> list[date]:
        found = {week for week, _ in self.weekly_issued} | {w for w, _ in self.weekly_overridden}
        if not found:
            return []
        first, last = min(found), max(found)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    def override_rate(self, rule: str) -> float | None:
        issued = self.issued.get(rule, 0)
        return self.outcomes.get((rule, "overridden"), 0) / issued if issued else None


def _rule_key(rule: str) -> tuple[int, int, str]:
    if rule[:1] == "R" and rule[1:].isdigit():
        return (0, int(rule[1:]), rule)
    return (1 if rule != UNKNOWN_RULE else 2, 0, rule)


def week_of(moment: datetime) -> date:
    day = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def collect(engine: Engine, since: datetime | None, until: datetime | None = None) -> Governance:
    """Count the store's issued cards and feedback from ``since`` (all when None)."""
    result = Governance(since=since, until=until or datetime.now(UTC))
    rule_of: dict[str, str] = {}
    issued_query = select(IssuedCardRow.card_uuid, IssuedCardRow.rule_id, IssuedCardRow.issued_at)
    if since is not None:
        issued_query = issued_query.where(IssuedCardRow.issued_at >= since)
    with engine.connect() as conn:
        for card_uuid, rule_id, issued_at in conn.execution_options(yield_per=5000).execute(
            issued_query
        ):
            rule = rule_id or UNKNOWN_RULE
            rule_of[card_uuid] = rule
            result.issued[rule] += 1
            result.weekly_issued[(week_of(_aware(issued_at)), rule)] += 1
        feedback_query = select(
            FeedbackRow.card_uuid,
            FeedbackRow.outcome,
            FeedbackRow.outcome_timestamp,
            FeedbackRow.override_reason_system,
            FeedbackRow.override_reason_code,
        )
        if since is not None:
            feedback_query = feedback_query.where(FeedbackRow.outcome_timestamp >= since)
        unmatched: set[str] = set()
        rows = conn.execution_options(yield_per=5000).execute(feedback_query)
        for card_uuid, outcome, when, system, code in rows:
            known = rule_of.get(card_uuid)
            if known is None:
                unmatched.add(card_uuid)
            rule = known or UNKNOWN_RULE
            result.outcomes[(rule, outcome)] += 1
            if outcome == "overridden":
                reason = f"{system}|{code}" if code else "(no reason given)"
                result.reasons[(rule, reason)] += 1
                result.weekly_overridden[(week_of(_aware(when)), rule)] += 1
        if unmatched:  # issued before --since, or by a replica with another database
            chunk = sorted(unmatched)
            for start in range(0, len(chunk), 500):
                lookup = select(IssuedCardRow.card_uuid, IssuedCardRow.rule_id).where(
                    IssuedCardRow.card_uuid.in_(chunk[start : start + 500])
                )
                for card_uuid, rule_id in conn.execute(lookup):
                    _move(result, card_uuid, rule_id or UNKNOWN_RULE, conn, feedback_query)
    return result


def _move(result: Governance, card_uuid: str, rule: str, conn: object, query: object) -> None:
    """Feedback of a card issued before ``since``: counted under its rule, not "unknown"."""
    from sqlalchemy import Connection, Select

    assert isinstance(conn, Connection)
    assert isinstance(query, Select)
    rows = conn.execute(query.where(FeedbackRow.card_uuid == card_uuid))
    for _uuid, outcome, when, system, code in rows:
        result.outcomes[(UNKNOWN_RULE, outcome)] -= 1
        result.outcomes[(rule, outcome)] += 1
        if outcome == "overridden":
            reason = f"{system}|{code}" if code else "(no reason given)"
            result.reasons[(UNKNOWN_RULE, reason)] -= 1
            result.reasons[(rule, reason)] += 1
            week = week_of(_aware(when))
            result.weekly_overridden[(week, UNKNOWN_RULE)] -= 1
            result.weekly_overridden[(week, rule)] += 1
    for counter in (result.outcomes, result.reasons, result.weekly_overridden):
        for key in [k for k, v in counter.items() if v <= 0]:
            del counter[key]


# --------------------------------------------------------------------------- outputs


def csv_rows(g: Governance) -> list[tuple[str, str, str, int]]:
    rows: list[tuple[str, str, str, int]] = []
    for rule in g.rules:
        rows.append(("per rule", rule, "issued", g.issued.get(rule, 0)))
        for outcome in ("accepted", "overridden"):
            rows.append(("per rule", rule, outcome, g.outcomes.get((rule, outcome), 0)))
    for (rule, reason), count in sorted(
        g.reasons.items(), key=lambda kv: (_rule_key(kv[0][0]), kv[0][1])
    ):
        rows.append(("override reason", rule, reason, count))
    for week in g.weeks:
        for rule in g.rules:
            issued = g.weekly_issued.get((week, rule), 0)
            overridden = g.weekly_overridden.get((week, rule), 0)
            if issued or overridden:
                rows.append(("week issued", rule, week.isoformat(), issued))
                rows.append(("week overridden", rule, week.isoformat(), overridden))
    return rows


def line_chart(plot_id: str, caption: str, weeks: list[date], series: dict[str, list[int]]) -> str:
    """Weekly counts as lines (inline SVG), one colour per series, a legend under it."""
    from .report import COLOURS

    width, height, left, bottom, top_pad = 640, 220, 44, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = max((max(v) for v in series.values() if v), default=0) or 1
    step = plot_w / max(len(weeks) - 1, 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(caption)}" width="{width}" '
        f'height="{height + 20 * len(series)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" '
        'stroke="#8a949e"></line>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end">{top:,}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>',
    ]
    if weeks:
        parts.append(f'<text x="{left}" y="{height - 8}">{weeks[0].isoformat()}</text>')
        parts.append(
            f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">'
            f"{weeks[-1].isoformat()}</text>"
        )
    for n, (name, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(
            f"{left + i * step:.1f},{top_pad + plot_h - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="series" data-series="{esc(name)}" points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="2"></polyline>'
        )
        for i, v in enumerate(values):
            y_point = top_pad + plot_h - plot_h * v / top
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{y_point:.1f}" '
                f'r="2.5" fill="{colour}"><title>{esc(name)}, week of '
                f"{weeks[i].isoformat()}: {v}</title></circle>"
            )
        y = height + 14 + 20 * n
        parts.append(
            f'<rect x="{left}" y="{y - 10}" width="14" height="10" fill="{colour}"></rect>'
        )
        parts.append(f'<text x="{left + 20}" y="{y}">{esc(name)}</text>')
    parts.append("</svg>")
    return (
        f'<figure class="plot" id="{esc(plot_id)}"><figcaption>{esc(caption)}</figcaption>'
        + "".join(parts)
        + "</figure>"
    )


def render(g: Governance, csv_name: str) -> str:
    rules = g.rules
    period = (
        f"from {g.since.date().isoformat()} " if g.since is not None else "since the first card "
    ) + f"to {g.until.date().isoformat()}"
    total_issued = sum(g.issued.values())
    total_overridden = sum(n for (_, o), n in g.outcomes.items() if o == "overridden")
    body = [
        "<h1>Marrow CDS: card governance</h1>",
        f'<p class="meta">Cards {esc(period)}: {total_issued:,} issued, {total_overridden:,} '
        f"overridden. Aggregates only: no patient, card or clinician is identified. The same "
        f"figures: {esc(csv_name)}.</p>",
        '<h2>Plots</h2><div class="plots">',
        bar_chart("plot-issued", "Cards issued per rule", [(r, g.issued.get(r, 0)) for r in rules]),
        bar_chart(
            "plot-override-rate",
            "Override rate per rule (% of cards issued)",
            [(r, round(100 * (g.override_rate(r) or 0))) for r in rules],
            unit="%",
            colour="#c0504d",
        ),
        bar_chart(
            "plot-reasons",
            "Override reasons (all rules)",
            sorted(_reason_totals(g).items(), key=lambda kv: (-kv[1], kv[0]))[:15],
            colour="#7f7f7f",
        ),
    ]
    weeks = g.weeks
    body.append(
        line_chart(
            "plot-weekly",
            "Weekly trend: cards issued and overridden (all rules)",
            weeks,
            {
                "issued": [sum(g.weekly_issued.get((w, r), 0) for r in rules) for w in weeks],
                "overridden": [
                    sum(g.weekly_overridden.get((w, r), 0) for r in rules) for w in weeks
                ],
            },
        )
    )
    body.append("</div><h2>Per rule</h2>")
    body.append(
        table(
            ["rule", "issued", "accepted", "overridden", "override rate"],
            [
                (
                    r,
                    g.issued.get(r, 0),
                    g.outcomes.get((r, "accepted"), 0),
                    g.outcomes.get((r, "overridden"), 0),
                    g.override_rate(r) if g.override_rate(r) is not None else "-",
                )
                for r in rules
            ],
            "per-rule",
        )
    )
    body.append("<h2>Override reasons per rule</h2>")
    body.append(
        table(
            ["rule", "reason (system|code)", "overrides"],
            [
                (r, reason, n)
                for (r, reason), n in sorted(
                    g.reasons.items(), key=lambda kv: (_rule_key(kv[0][0]), -kv[1])
                )
            ],
            "reasons",
        )
    )
    body.append("<h2>Weekly, per rule (issued / overridden)</h2>")
    body.append(
        table(
            ["week (Monday)", *rules],
            [
                (
                    w.isoformat(),
                    *(
                        f"{g.weekly_issued.get((w, r), 0)} / {g.weekly_overridden.get((w, r), 0)}"
                        for r in rules
                    ),
                )
                for w in weeks
            ],
            "weekly",
        )
    )
    return page("Marrow CDS: card governance", body)


def _reason_totals(g: Governance) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (_rule, reason), count in g.reasons.items():
        totals[reason] += count
    return totals


def write_governance(g: Governance, out: Path) -> Path:
    csv_path = out.with_suffix(".csv")
    out.write_text(render(g, csv_path.name), encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "rule", "key", "count"])
        writer.writerows(csv_rows(g))
    return csv_path


def governance_command(out: Path, since: datetime | None, database_url: str | None) -> int:
    from cds_hooks.storage.records import make_engine

    from ..settings import Settings

    if since is not None and since.time() == time.max:  # --since DATE: from that day's start
        since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    url = database_url
    if url is None:
        from ..cli import main as cli

        url = Settings.from_env(instance_path=cli._instance_path()).database_url
    engine = make_engine(url)
    try:
        g = collect(engine, since)
    except SQLAlchemyError as exc:  # an unreachable or unmigrated database: said, not a traceback
        print(
            f"marrow-cds report governance: cannot read the store: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.dispose()
    csv_path = write_governance(g, out)
    print(f"governance page written to {out} (figures in {csv_path})", file=sys.stderr)
    return 0
