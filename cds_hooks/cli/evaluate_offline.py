"""Offline evaluation of a hook request (``marrow-cds evaluate``): prefetch only, no network,
nothing stored. The same validation and handler as the HTTP endpoint.

`render_text` is the ``--format text`` view a clinician or informaticist reads in a terminal:
evaluation time (as_of) and the deciding rule at the top; per card its rule, summary, source
and suggestions, each suggestion with its orders (order key, display, priority,
occurrencePeriod, note); then the card detail with HTML entities unescaped ("<", not "&lt;"),
markdown emphasis dropped, links shown as "text <url>" and tables aligned in columns.
"""

from __future__ import annotations

import html
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from cds_hooks.errors import BadRequest, MarrowError, operation_outcome
from cds_hooks.hooks import parse_hook_request
from cds_hooks.schemas import HookRequest, HookResponse
from cds_hooks.services.registry import HookCall, Service, registry
from cds_hooks.wire import prune_empty, validation_error
from logic.order_catalogue import ORDER_KEY_SYSTEM

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Evaluation:
    """One offline evaluation: the HTTP-equivalent status and body, and how it was decided."""

    status: int
    response: dict[str, Any]  # the CDS Hooks response, or an OperationOutcome when status != 200
    as_of: datetime
    rule_id: str | None = None  # the decision ("R0".."R8"); None for order review / an error
    rule_ids: Mapping[str, str] = field(default_factory=dict)  # card uuid -> rule / check id


def service_for_hook(hook: object, body: Mapping[str, Any] | None = None) -> Service:
    """The service answering `hook`. A body that is not a hook request (no `hook`, or not a
    string) gets the message the HTTP path gives (the request's validation error, issue 10)."""
    if body is not None and (not isinstance(hook, str) or not hook):
        try:
            HookRequest.model_validate(body)
        except ValidationError as exc:
            raise validation_error(exc, "hook request") from None
    for service in registry().values():
        if service.hook == hook:
            return service
    hooks = ", ".join(sorted({s.hook for s in registry().values()}))
    raise BadRequest(
        f"no service answers hook {hook!r} (services answer: {hooks})", expression="hook"
    )


def evaluate(body: Any, as_of: datetime) -> Evaluation:
    """Evaluate one request body offline, keeping the deciding rule for the text view."""
    try:
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        service = service_for_hook(body.get("hook"), body)
        hook_request = parse_hook_request(service, body)
        prefetch = body.get("prefetch")
        base = os.environ.get("MARROW_CDS_PUBLIC_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
        call = HookCall(
            service=service,
            request=hook_request,
            prefetch=prefetch if isinstance(prefetch, dict) else {},
            as_of=as_of,
            rules_url=f"{base}/rules",
            fhir=None,
        )
        result = service.handler(call)
    except MarrowError as error:
        return Evaluation(error.status, operation_outcome(error.code, error.diagnostics), as_of)
    response = HookResponse(cards=result.cards)
    body_out = prune_empty(response.model_dump(mode="json", exclude_none=True))
    return Evaluation(200, body_out, as_of, result.rule_id, dict(result.rule_ids))


def evaluate_request(body: Any, as_of: datetime) -> tuple[int, dict[str, Any]]:
    """(HTTP-equivalent status, response JSON or OperationOutcome) for one request body."""
    evaluation = evaluate(body, as_of)
    return evaluation.status, evaluation.response


# ------------------------------------------------------------------------------ text view

_INDENT = "  "
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
# the "More" disclosure of a card's detail (<details><summary>More...</summary> ... </details>)
_FOLD_TAG = re.compile(r"</?(?:details|summary)>")
WIDTH = 100  # issue 10: lines of the text view fit 100 columns
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")


def plain(text: object) -> str:
    """Markdown / HTML-escaped card text as a terminal shows it: entities unescaped ("&lt;" ->
    "<"), bold markers dropped, links as "text <url>"."""
    if not isinstance(text, str):
        return ""
    text = _LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return html.unescape(text)


def _rule_of_card(card: Mapping[str, Any], rule_ids: Mapping[str, str]) -> str | None:
    """The rule (or check, or secondary topic) the card was issued under, as the handler said
    (`HookResult.rule_ids`); never read back from the card's catalogue URL."""
    uuid = card.get("uuid")
    return rule_ids.get(uuid) if isinstance(uuid, str) else None


def _order_lines(action: Mapping[str, Any], *, priority: bool = True) -> list[str]:
    """One order: its display (the order key only when it has none), then priority (unless the
    suggestion line says it for all its orders), occurrencePeriod and note when present."""
    resource = action.get("resource")
    if not isinstance(resource, dict):
        kind = action.get("type", "action")
        return [f"* {kind}: {plain(action.get('description')) or plain(action.get('resourceId'))}"]
    sent_code = resource.get("code")
    code: dict[str, Any] = sent_code if isinstance(sent_code, dict) else {}
    codings = [c for c in code.get("coding", []) if isinstance(c, dict)]
    key = next((c.get("code") for c in codings if c.get("system") == ORDER_KEY_SYSTEM), None)
    display = plain(code.get("text")) or next(
        (plain(c.get("display")) for c in codings if c.get("display")), ""
    )
    lines = [f"* {display or key or resource.get('resourceType', 'order')}"]
    if action.get("type") not in (None, "create"):
        lines.append(f"    action: {action['type']}")
    if priority and resource.get("priority"):
        lines.append(f"    priority: {resource['priority']}")
    period = resource.get("occurrencePeriod")
    if isinstance(period, dict) and (period.get("start") or period.get("end")):
        start, end = period.get("start", "(open)"), period.get("end", "(open)")
        lines.append(f"    occurrencePeriod: {start} to {end}")
    for note in resource.get("note", []) if isinstance(resource.get("note"), list) else []:
        if isinstance(note, dict) and note.get("text"):
            lines.append(f"    note: {plain(note['text'])}")
    return lines


def _table(rows: Sequence[str]) -> list[str]:
    """A markdown pipe table as aligned columns (the rule row dropped)."""
    cells = [
        [plain(c).strip() for c in row.strip().strip("|").split("|")]
        for row in rows
        if not _TABLE_RULE.match(row.strip())
    ]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    sizes = [max(len(r[i]) for r in cells) for i in range(width)]
    aligned = ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    if max(len(line) for line in aligned) <= WIDTH - 8:
        return aligned
    # too wide for the terminal: one "item: value unit, date" line per row (no header)
    return [
        f"{r[0]}: " + " ".join(c for c in r[1:] if c and c != "—")
        if any(c and c != "—" for c in r[1:])
        else r[0]
        for r in cells[1:]
    ]


def _detail_lines(detail: str) -> list[str]:
    out: list[str] = []
    table: list[str] = []
    for line in [*detail.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            out.extend(_table(table))
            table = []
        text = _FOLD_TAG.sub("", plain(line)).rstrip()
        if text.startswith("> "):
            text = "  " + text[2:]  # a quoted report sentence, indented
        if text or (out and out[-1]):
            out.append(text)
    while out and not out[-1]:
        out.pop()
    return out


def render_text(evaluation: Evaluation) -> str:
    """The ``--format text`` view of an evaluation (see the module docstring)."""
    response = evaluation.response
    cards = [c for c in response.get("cards", []) if isinstance(c, dict)]
    rules = list(
        dict.fromkeys(r for c in cards if (r := _rule_of_card(c, evaluation.rule_ids)) is not None)
    )
    if evaluation.rule_id is not None:  # patient-view: the decision table row (SPEC.md 5)
        head = f"rule:  {evaluation.rule_id}"
        others = [r for r in rules if r != evaluation.rule_id]
        if others:
            head += f" (cards also from {', '.join(others)})"
    elif rules:  # order review: the checks that fired
        head = f"checks: {', '.join(rules)}"
    else:
        head = "rule:  none"
    lines = [
        f"as_of: {evaluation.as_of.isoformat(timespec='seconds')}",
        head,
        f"cards: {len(cards)}",
        "",
    ]
    if not cards:
        lines.append("No cards.")
        return "\n".join(lines) + "\n"
    for number, card in enumerate(cards, 1):
        indicator = str(card.get("indicator", "info")).upper()
        lines.append(f"{number}. [{indicator}] {plain(card.get('summary'))}")
        source = card.get("source", {}) if isinstance(card.get("source"), dict) else {}
        topic_coding = source.get("topic")
        topic = topic_coding.get("code") if isinstance(topic_coding, dict) else None
        rule = _rule_of_card(card, evaluation.rule_ids)
        if rule:
            lines.append(f"{_INDENT}rule: {rule}")
        lines.append(
            f"{_INDENT}source: {plain(source.get('label'))}" + (f" ({topic})" if topic else "")
        )
        for suggestion in card.get("suggestions", []):
            star = " (recommended)" if suggestion.get("isRecommended") else ""
            lines.append(f"{_INDENT}- suggestion: {plain(suggestion.get('label'))}{star}")
            actions = [a for a in suggestion.get("actions", []) if isinstance(a, dict)]
            priorities = {
                a["resource"].get("priority")
                for a in actions
                if isinstance(a.get("resource"), dict)
            }
            shared = len(priorities) == 1 and None not in priorities
            if shared:
                lines.append(f"{_INDENT * 2}  priority: {priorities.pop()}")
            for action in actions:
                order_lines = _order_lines(action, priority=not shared)
                lines.extend(f"{_INDENT * 3}{line}" for line in order_lines)
        if card.get("detail"):
            lines.append(f"{_INDENT}detail:")
            lines.extend(
                f"{_INDENT * 2}{line}".rstrip() for line in _detail_lines(str(card["detail"]))
            )
        lines.append("")
    return "\n".join(_fit(line) for line in lines)


def _fit(line: str) -> str:
    """A line wrapped to WIDTH columns, continuation lines indented under its text."""
    if len(line) <= WIDTH:
        return line
    body = line.lstrip(" ")
    indent = " " * (len(line) - len(body))
    hang = indent + "    "
    return "\n".join(
        textwrap.wrap(
            body,
            width=WIDTH,
            initial_indent=indent,
            subsequent_indent=hang,
            break_on_hyphens=False,
        )
    )
