"""Hook requests turned into a Bulk Data export, for comparing the audit with the hook.

`write_export(vignettes, folder)` renames each vignette's patient (``v0000``, ``v0001`` ...: the
vignettes share patient ids) in every reference, writes every prefetched resource (and the
Binaries given) as NDJSON by type with a manifest, and returns the renamed request bodies: the
request the hook answers for the same patient data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cds_hooks.cli.read_report import hook_request, wrap_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "hospital"


def resources_of(prefetch: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            for entry in value.get("entry") or ():
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield entry["resource"]
        else:
            yield value


def renamed(body: Mapping[str, Any], new_id: str) -> dict[str, Any]:
    old_id = body["context"]["patientId"]
    text = json.dumps(body).replace(f'Patient/{old_id}"', f'Patient/{new_id}"')
    out = json.loads(text)
    out["context"]["patientId"] = new_id
    for resource in resources_of(out.get("prefetch") or {}):
        if resource.get("resourceType") == "Patient" and resource.get("id") == old_id:
            resource["id"] = new_id
    return out


def write_export(
    bodies: Sequence[Mapping[str, Any]],
    folder: Path,
    binaries: Sequence[Mapping[str, Any]] = (),
    transaction_time: str = "2026-12-07T12:00:00+00:00",
) -> list[dict[str, Any]]:
    from cds_hooks.audit.evaluate import _template_type
    from cds_hooks.cli.evaluate_offline import service_for_hook

    templates = service_for_hook("patient-view").prefetch
    folder.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[bytes]] = {}
    out = []
    for n, body in enumerate(bodies):
        body = renamed(body, f"v{n:04d}")
        out.append(body)
        for key, value in body["prefetch"].items():  # prefetched, if empty: exported, none
            if isinstance(value, dict) and key in templates:
                by_type.setdefault(_template_type(templates[key].query), [])
        for resource in resources_of(body["prefetch"]):
            by_type.setdefault(resource["resourceType"], []).append(orjson.dumps(resource))
    for binary in binaries:
        by_type.setdefault("Binary", []).append(orjson.dumps(binary))
    for rtype, lines in by_type.items():
        (folder / f"{rtype}.ndjson").write_bytes(b"".join(x + b"\n" for x in lines))
    manifest = {
        "transactionTime": transaction_time,
        "request": "https://ehr.example.org/fhir/$export",
        "requiresAccessToken": True,
        "output": [{"type": t, "url": f"https://ehr.example.org/bulk/{t}.ndjson"} for t in by_type],
        "error": [],
    }
    (folder / "manifest.json").write_bytes(orjson.dumps(manifest))
    return out


def corpus_texts() -> list[tuple[str, str]]:
    """(id, text) of every hospital corpus report (sets A, B, C)."""
    found = []
    for path in sorted(CORPUS.glob("set_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found.append((item["id"], item["text"]))
    return found


def corpus_requests(as_of: datetime) -> list[dict[str, Any]]:
    """Each corpus text as ``read-report`` evaluates it: the report of a patient with normal
    synthetic labs (cds_hooks.cli.read_report.hook_request)."""
    return [
        hook_request(wrap_text(text, report_id=rid, effective=as_of), as_of)
        for rid, text in corpus_texts()
    ]
