"""The `smart` link every primary card carries to the companion app (issue 13, CDS Hooks 2.0
Link: type "smart", url the app's launch URL, appContext a string the EHR hands the app back in
its token response).

appContext is a small JSON object naming what the card is about, never a value or a name:
``{"rule": "R4", "flags": ["H-ANAEMIA", ...], "indexReport": "DiagnosticReport/1",
"evidence": ["Observation/2", ...], "ruleSet": "2026.1"}``. The app reads the resources it names
with its own token.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import orjson

from cds_hooks.cards.parts import require_absolute_url
from logic.catalogue import RULE_SET_VERSION
from logic.model import Recommendation

from ..schemas import Link

APP_LABEL: Final = "Trends and report reading (Marrow CDS app)"
MAX_EVIDENCE: Final = 40  # references in appContext; the EHR passes it back verbatim


def app_launch_url(rules_url: str) -> str:
    """The launch URL beside the rule catalogue: both hang off MARROW_CDS_PUBLIC_BASE_URL."""
    base = require_absolute_url(rules_url).split("#", 1)[0]
    if base.endswith("/rules"):
        base = base[: -len("/rules")]
    return f"{base.rstrip('/')}/app/launch"


def app_context(recommendation: Recommendation, rule_id: str) -> str:
    evidence: list[str] = []
    for flag in recommendation.flags:
        for item in flag.evidence:
            if item.reference and item.reference not in evidence:
                evidence.append(item.reference)
    for check in recommendation.checks:
        for item in check.evidence:
            if item.reference and item.reference not in evidence:
                evidence.append(item.reference)
    index = recommendation.index_report
    context = {
        "rule": rule_id,
        "flags": list(dict.fromkeys(flag.id for flag in recommendation.flags)),
        "indexReport": index.reference if index is not None else None,
        "evidence": evidence[:MAX_EVIDENCE],
        "ruleSet": RULE_SET_VERSION,
    }
    return compact_json(context)


def compact_json(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``: ASCII, non-ASCII as \\u escapes. orjson
    writes the same text when its output is printable ASCII without a backslash (nothing
    escaped: ids, flag ids, references), in a tenth of the time; otherwise json.dumps."""
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError:  # e.g. a lone surrogate, which json.dumps escapes
        data = b"\\"
    if _ESCAPED.search(data) is None:
        return data.decode("ascii")
    return json.dumps(value, separators=(",", ":"))


# What either encoder could write differently: a backslash (an escape), control characters,
# DEL and any byte of a non-ASCII character.
_ESCAPED: Final = re.compile(rb"[\x00-\x1f\x7f-\xff\\\\]")


def smart_link(rules_url: str, recommendation: Recommendation, rule_id: str) -> Link:
    return Link(
        label=APP_LABEL,
        url=app_launch_url(rules_url),
        type="smart",
        appContext=app_context(recommendation, rule_id),
    )
