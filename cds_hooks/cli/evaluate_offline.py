"""Offline evaluation of a hook request (``marrow-cds evaluate``): prefetch only, no network,
nothing stored. The same validation and handler as the HTTP endpoint.

`render_text` is the ``--format text`` view a clinician or informaticist reads in a terminal,
rendered from the card models and each card's detail as typed blocks (`HookResult.details`,
`cds_hooks.cards.document`), never from the Markdown: evaluation time (as_of) and the deciding
rule at the top; per card its rule, summary, source and suggestions, each suggestion with its
orders (display, priority, occurrencePeriod, note); then the card detail in plain words, tables
aligned in columns.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from cds_hooks.cards.document import Document, text_lines
from cds_hooks.errors import BadRequest, MarrowError, operation_outcome
from cds_hooks.hooks import parse_hook_request
from cds_hooks.schemas import Action, Card, HookRequest, HookResponse
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
    cards: tuple[Card, ...] = ()  # the card models of the response (the text view)
    details: Mapping[str, Document] = field(default_factory=dict)  # card uuid -> detail blocks


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
    return Evaluation(
        200,
        body_out,
        as_of,
        result.rule_id,
        dict(result.rule_ids),
        tuple(result.cards),
        dict(result.details),
    )


def evaluate_request(body: Any, as_of: datetime) -> tuple[int, dict[str, Any]]:
    """(HTTP-equivalent status, response JSON or OperationOutcome) for one request body."""
    evaluation = evaluate(body, as_of)
    return evaluation.status, evaluation.response


# ------------------------------------------------------------------------------ text view

_INDENT = "  "
WIDTH = 100  # issue 10: lines of the text view fit 100 columns


def rule_of_card(card: Card, rule_ids: Mapping[str, str]) -> str | None:
    """The rule (or check, or secondary topic) the card was issued under, as the handler said
    (`HookResult.rule_ids`); never read back from the card's catalogue URL."""
    return rule_ids.get(card.uuid) if card.uuid is not None else None


def _order_lines(action: Action, *, priority: bool = True) -> list[str]:
    """One order: its display (the order key only when it has none), then priority (unless the
    suggestion line says it for all its orders), occurrencePeriod and note when present."""
    resource = action.resource
    if resource is None:
        return [f"* {action.type}: {action.description or action.resourceId or ''}"]
    sent_code = resource.get("code")
    code: dict[str, Any] = sent_code if isinstance(sent_code, dict) else {}
    codings = [c for c in code.get("coding", []) if isinstance(c, dict)]
    key = next((c.get("code") for c in codings if c.get("system") == ORDER_KEY_SYSTEM), None)
    display = code.get("text") or next((c["display"] for c in codings if c.get("display")), "")
    lines = [f"* {display or key or resource.get('resourceType', 'order')}"]
    if action.type != "create":
        lines.append(f"    action: {action.type}")
    if priority and resource.get("priority"):
        lines.append(f"    priority: {resource['priority']}")
    period = resource.get("occurrencePeriod")
    if isinstance(period, dict) and (period.get("start") or period.get("end")):
        start, end = period.get("start", "(open)"), period.get("end", "(open)")
        lines.append(f"    occurrencePeriod: {start} to {end}")
    for note in resource.get("note", []) if isinstance(resource.get("note"), list) else []:
        if isinstance(note, dict) and note.get("text"):
            lines.append(f"    note: {note['text']}")
    return lines


def _head(evaluation: Evaluation) -> str:
    """The deciding rule (patient-view: the decision table row, SPEC.md 5), or the checks that
    fired (order review)."""
    rules = list(
        dict.fromkeys(
            r for c in evaluation.cards if (r := rule_of_card(c, evaluation.rule_ids)) is not None
        )
    )
    if evaluation.rule_id is not None:
        head = f"rule:  {evaluation.rule_id}"
        others = [r for r in rules if r != evaluation.rule_id]
        if others:
            head += f" (cards also from {', '.join(others)})"
        return head
    if rules:
        return f"checks: {', '.join(rules)}"
    return "rule:  none"


def _card_lines(number: int, card: Card, evaluation: Evaluation) -> list[str]:
    lines = [f"{number}. [{card.indicator.upper()}] {card.summary}"]
    rule = rule_of_card(card, evaluation.rule_ids)
    if rule:
        lines.append(f"{_INDENT}rule: {rule}")
    topic = card.source.topic.code if card.source.topic is not None else None
    lines.append(f"{_INDENT}source: {card.source.label}" + (f" ({topic})" if topic else ""))
    for suggestion in card.suggestions or ():
        star = " (recommended)" if suggestion.isRecommended else ""
        lines.append(f"{_INDENT}- suggestion: {suggestion.label}{star}")
        actions = suggestion.actions or []
        priorities = {a.resource.get("priority") for a in actions if a.resource is not None}
        shared = len(priorities) == 1 and None not in priorities
        if shared:
            lines.append(f"{_INDENT * 2}  priority: {priorities.pop()}")
        for action in actions:
            order_lines = _order_lines(action, priority=not shared)
            lines.extend(f"{_INDENT * 3}{line}" for line in order_lines)
    detail = evaluation.details.get(card.uuid or "")
    if detail:
        lines.append(f"{_INDENT}detail:")
        lines.extend(f"{_INDENT * 2}{line}".rstrip() for line in text_lines(detail, WIDTH - 8))
    elif card.detail:  # a card issued without its blocks: its Markdown as sent
        lines.append(f"{_INDENT}detail:")
        lines.extend(f"{_INDENT * 2}{line}".rstrip() for line in card.detail.splitlines())
    return lines


def render_text(evaluation: Evaluation) -> str:
    """The ``--format text`` view of an evaluation (see the module docstring)."""
    cards = evaluation.cards
    lines = [
        f"as_of: {evaluation.as_of.isoformat(timespec='seconds')}",
        _head(evaluation),
        f"cards: {len(cards)}",
        "",
    ]
    if not cards:
        lines.append("No cards.")
        return "\n".join(lines) + "\n"
    for number, card in enumerate(cards, 1):
        lines.extend(_card_lines(number, card, evaluation))
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
